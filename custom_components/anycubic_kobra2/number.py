"""Numbers of a Kobra 2: target temperatures, fan speed and Z offset."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfLength, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import KobraCoordinator
from .data import KobraConfigEntry, KobraData
from .entity import KobraEntity
from .kobra2 import Command, ModelLimits, commands, model_limits

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class KobraNumberEntityDescription(NumberEntityDescription):
    """A Kobra 2 setting: how to read it, how to change it and its range on a model."""

    value_fn: Callable[[KobraData], float | None]
    command_fn: Callable[[str, float], Command]
    min_fn: Callable[[ModelLimits], float] | None = None
    max_fn: Callable[[ModelLimits], float] | None = None


NUMBERS: tuple[KobraNumberEntityDescription, ...] = (
    KobraNumberEntityDescription(
        key="target_nozzle_temperature",
        translation_key="target_nozzle_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=0,
        native_step=1,
        mode=NumberMode.BOX,
        max_fn=lambda limits: limits.max_nozzle_temp,
        value_fn=lambda data: data.state.target_nozzle,
        command_fn=lambda taskid, value: commands.update_settings(
            taskid, target_nozzle=round(value)
        ),
    ),
    KobraNumberEntityDescription(
        key="target_bed_temperature",
        translation_key="target_bed_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=0,
        native_step=1,
        mode=NumberMode.BOX,
        max_fn=lambda limits: limits.max_bed_temp,
        value_fn=lambda data: data.state.target_bed,
        command_fn=lambda taskid, value: commands.update_settings(taskid, target_bed=round(value)),
    ),
    KobraNumberEntityDescription(
        key="fan_speed",
        translation_key="fan_speed",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        value_fn=lambda data: data.state.fan_speed_pct,
        command_fn=lambda taskid, value: commands.update_settings(
            taskid, fan_speed_pct=round(value)
        ),
    ),
    KobraNumberEntityDescription(
        key="z_offset",
        translation_key="z_offset",
        device_class=NumberDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.MILLIMETERS,
        native_step=0.01,
        min_fn=lambda limits: limits.min_z_offset,
        max_fn=lambda limits: limits.max_z_offset,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda data: data.state.z_offset,
        command_fn=lambda taskid, value: commands.update_settings(taskid, z_offset=round(value, 2)),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers of a printer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(KobraNumberEntity(coordinator, description) for description in NUMBERS)


class KobraNumberEntity(KobraEntity, NumberEntity):
    """A printer setting that can be changed."""

    entity_description: KobraNumberEntityDescription

    def _write_key(self) -> tuple[Any, ...]:
        """Return the setting: its range comes from the model and never changes."""
        return (self.native_value,)

    def __init__(
        self, coordinator: KobraCoordinator, description: KobraNumberEntityDescription
    ) -> None:
        """Set up the entity with the model's range."""
        super().__init__(coordinator, description)
        limits = model_limits(coordinator.model_id)
        if description.min_fn is not None:
            self._attr_native_min_value = description.min_fn(limits)
        if description.max_fn is not None:
            self._attr_native_max_value = description.max_fn(limits)

    @property
    def native_value(self) -> float | None:
        """Return the current setting."""
        return self.entity_description.value_fn(self.coordinator.data)

    async def async_set_native_value(self, value: float) -> None:
        """Send the new setting; the printer's answer updates the state."""
        await self.coordinator.async_command(
            self.entity_description.command_fn(self.coordinator.state.command_taskid, value)
        )
