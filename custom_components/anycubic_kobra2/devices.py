"""The printer's device: created at setup, firmware version kept current, stale devices, removal by hand."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import CONF_MODEL_ID, CONF_PRINTER_ID, DOMAIN, LOGGER, MANUFACTURER
from .data import KobraConfigEntry
from .kobra2 import MODEL_NAMES


class PrinterDevice:
    """The printer's device entry, so it exists even before the printer reports."""

    def __init__(self, hass: HomeAssistant, entry: KobraConfigEntry) -> None:
        """Create (or find) the device of the entry's printer."""
        self._hass = hass
        model_id: str = entry.data[CONF_MODEL_ID]
        printer_id: str = entry.data[CONF_PRINTER_ID]
        device = dr.async_get(hass).async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, printer_id)},
            manufacturer=MANUFACTURER,
            model=MODEL_NAMES.get(model_id, model_id),
            model_id=model_id,
            name=entry.title,
            serial_number=printer_id,
        )
        self._device_id = device.id
        self._sw_version = device.sw_version

    @callback
    def async_sync_firmware(self, version: str | None) -> None:
        """Copy the firmware version from the printer's version report to the device."""
        if version is None or version == self._sw_version:
            return
        dr.async_get(self._hass).async_update_device(self._device_id, sw_version=version)
        self._sw_version = version


def _is_current_printer(entry: KobraConfigEntry, device: dr.DeviceEntry) -> bool:
    """Return whether the device is the printer the entry talks to now."""
    return (DOMAIN, entry.data[CONF_PRINTER_ID]) in device.identifiers


@callback
def async_remove_stale_devices(hass: HomeAssistant, entry: KobraConfigEntry) -> None:
    """Detach devices the entry no longer has, e.g. after the printer id was corrected."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if _is_current_printer(entry, device):
            continue
        LOGGER.debug("Removing stale device %s (%s)", device.name, device.identifiers)
        if hasattr(device, "config_entry_id"):
            # Home Assistant 2026+: a device belongs to exactly one config entry.
            registry.async_remove_device(device.id)
        else:
            # Older releases share devices between entries; only leave ours (the registry
            # deletes the device when no entry is left).
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: KobraConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device, unless it is the entry's live printer (it would return)."""
    return not _is_current_printer(entry, device)
