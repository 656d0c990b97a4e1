"""Firmware update of a Kobra 2: installed version, an announced image, install with progress."""

from typing import Any, override

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import KobraCoordinator
from .data import KobraConfigEntry
from .entity import KobraEntity
from .firmware import FirmwareTracker

PARALLEL_UPDATES = 1

FIRMWARE = UpdateEntityDescription(
    key="firmware",
    translation_key="firmware",
    device_class=UpdateDeviceClass.FIRMWARE,
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the printer's firmware update entity."""
    async_add_entities(
        [KobraFirmwareUpdateEntity(entry.runtime_data.coordinator, entry.runtime_data.firmware)]
    )


class KobraFirmwareUpdateEntity(KobraEntity, UpdateEntity):
    """The printer's firmware: an announced image can be installed through `ota/update`."""

    _attr_supported_features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS

    def __init__(self, coordinator: KobraCoordinator, tracker: FirmwareTracker) -> None:
        """Bind the entity to the printer and its firmware tracker."""
        super().__init__(coordinator, FIRMWARE)
        self._tracker = tracker

    @override
    async def async_added_to_hass(self) -> None:
        """Follow offers and progress as well as the coordinator."""
        await super().async_added_to_hass()
        self.async_on_remove(self._tracker.async_add_listener(self.async_write_ha_state))

    @property
    def installed_version(self) -> str | None:
        """Return the version the printer reported."""
        return self.coordinator.state.firmware_version

    @property
    def latest_version(self) -> str | None:
        """Return the announced version, or the installed one when nothing is offered."""
        offer = self._tracker.offer
        return offer.version if offer is not None else self.installed_version

    @property
    def release_url(self) -> str | None:
        """Return the announced image's release page."""
        offer = self._tracker.offer
        return offer.release_url if offer is not None else None

    @property
    def release_summary(self) -> str | None:
        """Return the announced image's notes."""
        offer = self._tracker.offer
        return offer.release_notes if offer is not None else None

    @property
    def in_progress(self) -> bool:
        """Return whether the printer is downloading or installing firmware."""
        return self._tracker.in_progress

    @property
    def update_percentage(self) -> int | None:
        """Return how far the update got (download first half, install second half)."""
        return self._tracker.percentage

    @override
    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """Send the announced image to the printer; progress follows from its reports."""
        offer = self._tracker.offer
        if offer is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_firmware_offer")
        await self.coordinator.async_command(offer.command())
        self._tracker.install_started()
