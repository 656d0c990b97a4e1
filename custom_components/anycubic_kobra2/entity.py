"""Base entity: one device per printer, availability from the coordinator."""

from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import KobraCoordinator
from .files import FileBrowser


class KobraEntity(CoordinatorEntity[KobraCoordinator]):
    """An entity of a Kobra 2 printer."""

    _attr_has_entity_name = True
    # False for entities that describe the link itself and stay meaningful while the printer is away.
    _requires_printer = True
    _last_written: tuple[Any, ...] | None = None

    def __init__(self, coordinator: KobraCoordinator, description: EntityDescription) -> None:
        """Bind the entity to the printer's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.printer_id}_{description.key}"
        # The coordinator creates the device and keeps its firmware version current; repeating
        # the details here would reset that version whenever entities are (re)added.
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, coordinator.printer_id)})

    @property
    def available(self) -> bool:
        """Return whether the broker is reachable and, if needed, the printer is live."""
        if self._requires_printer:
            return self.coordinator.printer_available
        return self.coordinator.broker_connected

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what Home Assistant would store has changed."""
        # Most reports change one or two values; rewriting every entity per report would make
        # the state writes, not MQTT, the integration's main cost.
        written = (self.available, *self._write_key())
        if written == self._last_written:
            return
        self._last_written = written
        self.async_write_ha_state()

    def _write_key(self) -> tuple[Any, ...]:
        """Return what the stored state is made of; platforms with a cheaper source override it."""
        return (
            self.state,
            self.state_attributes,
            self.extra_state_attributes,
            self.capability_attributes,
        )


class KobraFileEntity(KobraEntity):
    """An entity that also follows the printer's file browser."""

    def __init__(
        self,
        coordinator: KobraCoordinator,
        browser: FileBrowser,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to the printer and its file browser."""
        super().__init__(coordinator, description)
        self._browser = browser

    async def async_added_to_hass(self) -> None:
        """Also write the state when a listing or a selection changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._browser.async_add_listener(self.async_write_ha_state))
