"""The Anycubic Kobra 2 integration: local MQTT push for Kobra 2 Pro, Plus and Max."""

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from . import assist, devices, insight, repairs
from .const import DOMAIN
from .coordinator import KobraCoordinator
from .data import KobraConfigEntry, KobraRuntimeData
from .filament import filament_settings
from .files import FileBrowser
from .firmware import FirmwareTracker
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for all printers)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: KobraConfigEntry) -> bool:
    """Connect to the broker, then hand the printer's reports to the platforms."""
    coordinator = KobraCoordinator(hass, entry)
    # Storage is read before connecting, so no report waits for it.
    job_insight = await insight.async_load_insight(hass, coordinator)
    await coordinator.async_config_entry_first_refresh()
    monitor = await repairs.async_create_monitor(hass, coordinator)
    runtime = entry.runtime_data = KobraRuntimeData(
        coordinator=coordinator,
        files=FileBrowser(coordinator, monitor),
        firmware=FirmwareTracker(),
        repairs=monitor,
        insight=job_insight,
    )
    entry.async_on_unload(coordinator.async_add_report_listener(runtime.firmware.handle_report))
    entry.async_on_unload(runtime.files.async_start())
    coordinator.async_register_device()
    devices.async_remove_stale_devices(hass, entry)
    # Before the client starts: the insight must see every print report from the first one.
    insight.async_start_insight(entry, job_insight)
    coordinator.async_start()

    async def _async_stop(_event: Event) -> None:
        """Disconnect cleanly when Home Assistant stops."""
        await coordinator.async_shutdown()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop))
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(runtime.repairs.async_start())
    # After the platforms: the aliases go on entities that now exist.
    assist.async_setup_entry_assist(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: KobraConfigEntry) -> bool:
    """Unload the platforms; the coordinator disconnects as the entry unloads."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: KobraConfigEntry) -> None:
    """Forget a removed printer's repair issues."""
    await repairs.async_remove_entry_repairs(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: KobraConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow deleting devices other than the entry's live printer."""
    return await devices.async_remove_config_entry_device(hass, entry, device)


async def _async_entry_updated(hass: HomeAssistant, entry: KobraConfigEntry) -> None:
    """Reload when the options changed (data changes reload through their flows)."""
    # New filament options add or remove the weight and cost sensors.
    runtime = entry.runtime_data
    filament = runtime.insight.filament_settings
    if runtime.coordinator.options_changed(entry.options) or filament != filament_settings(
        entry.options
    ):
        hass.config_entries.async_schedule_reload(entry.entry_id)
