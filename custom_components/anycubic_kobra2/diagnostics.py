"""Diagnostics: entry settings (secrets redacted), link state and the printer state."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_CA_CERT, CONF_CLIENT_CERT, CONF_CLIENT_KEY, CONF_PRINTER_ID
from .data import KobraConfigEntry
from .insight import insight_diagnostics

TO_REDACT = {
    CONF_HOST,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_PRINTER_ID,
    "taskid",
    "localtask",
    # A job's file name can be personal ("Jane_Doe_house_key_copy.gcode").
    "filename",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: KobraConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    state = asdict(coordinator.state)
    # A monotonic clock value means nothing outside this process.
    state.pop("last_report", None)
    # File names say little about a problem and can be long lists; their number is enough.
    state["files"] = {storage: len(files) for storage, files in coordinator.state.files.items()}
    # Slicer settings are arbitrary printer JSON (user paths, serials): their keys are enough.
    if (params := coordinator.state.slice_params) is not None:
        state["slice_params"] = sorted(str(key) for key in params)
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
                "unique_id": entry.unique_id,
            },
            "link": {
                "broker_connected": coordinator.broker_connected,
                "printer_available": coordinator.printer_available,
                "fresh": coordinator.fresh,
                "topic_style": coordinator.topic_style.value,
                "poll_interval": coordinator.poll_interval,
                "stale_timeout": coordinator.stale_timeout,
            },
            "state": state,
            "estimate": insight_diagnostics(coordinator),
        },
        TO_REDACT,
    )
