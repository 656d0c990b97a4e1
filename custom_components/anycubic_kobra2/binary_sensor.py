"""Binary sensors of a Kobra 2: online and printing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import KobraCoordinator
from .data import KobraConfigEntry, KobraData
from .entity import KobraEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class KobraBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A Kobra 2 binary sensor: how to read it and whether it needs a live printer."""

    is_on_fn: Callable[[KobraData], bool]
    requires_printer: bool = True


BINARY_SENSORS: tuple[KobraBinarySensorEntityDescription, ...] = (
    KobraBinarySensorEntityDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Says whether the printer is live, so it must not itself go unavailable when it is not.
        requires_printer=False,
        is_on_fn=lambda data: data.live,
    ),
    KobraBinarySensorEntityDescription(
        key="printing",
        translation_key="printing",
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda data: data.state.job_active,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of a printer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        KobraBinarySensorEntity(coordinator, description) for description in BINARY_SENSORS
    )


class KobraBinarySensorEntity(KobraEntity, BinarySensorEntity):
    """A binary sensor fed by the printer's reports."""

    entity_description: KobraBinarySensorEntityDescription

    def __init__(
        self, coordinator: KobraCoordinator, description: KobraBinarySensorEntityDescription
    ) -> None:
        """Set up the entity."""
        super().__init__(coordinator, description)
        self._requires_printer = description.requires_printer

    @property
    def is_on(self) -> bool:
        """Return the value from the latest reports."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    def _write_key(self) -> tuple[Any, ...]:
        """Return the reported value."""
        return (self.is_on,)
