"""Sensors of a Kobra 2: temperatures, job progress, settings and firmware."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfLength,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .data import KobraConfigEntry, KobraData
from .entity import KobraEntity
from .job_sensors import job_sensors
from .kobra2 import PRINT_STATES, SPEED_MODE_OPTIONS, truncate_state

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class KobraSensorEntityDescription(SensorEntityDescription):
    """A Kobra 2 sensor: how to read it (None, shown as unknown, when the printer gives no value)."""

    value_fn: Callable[[KobraData], StateType | datetime]


SENSORS: tuple[KobraSensorEntityDescription, ...] = (
    KobraSensorEntityDescription(
        key="nozzle_temperature",
        translation_key="nozzle_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        value_fn=lambda data: data.state.nozzle,
    ),
    KobraSensorEntityDescription(
        key="bed_temperature",
        translation_key="bed_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        value_fn=lambda data: data.state.bed,
    ),
    KobraSensorEntityDescription(
        key="target_nozzle_temperature",
        translation_key="target_nozzle_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.state.target_nozzle,
    ),
    KobraSensorEntityDescription(
        key="target_bed_temperature",
        translation_key="target_bed_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.state.target_bed,
    ),
    KobraSensorEntityDescription(
        key="print_state",
        translation_key="print_state",
        device_class=SensorDeviceClass.ENUM,
        options=PRINT_STATES,
        value_fn=lambda data: data.state.print_state,
    ),
    KobraSensorEntityDescription(
        key="progress",
        translation_key="progress",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda data: data.job.progress if data.job else None,
    ),
    KobraSensorEntityDescription(
        key="elapsed_time",
        translation_key="elapsed_time",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=lambda data: data.job.print_time_min if data.job else None,
    ),
    KobraSensorEntityDescription(
        key="current_file",
        translation_key="current_file",
        value_fn=lambda data: truncate_state(data.job.filename) if data.job else None,
    ),
    KobraSensorEntityDescription(
        key="filament_used",
        translation_key="filament_used",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.MILLIMETERS,
        suggested_display_precision=0,
        value_fn=lambda data: data.job.filament_used_mm if data.job else None,
    ),
    KobraSensorEntityDescription(
        key="current_layer",
        translation_key="current_layer",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.job.curr_layer if data.job else None,
    ),
    KobraSensorEntityDescription(
        key="fan_speed",
        translation_key="fan_speed",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.state.fan_speed_pct,
    ),
    KobraSensorEntityDescription(
        key="speed_mode",
        translation_key="speed_mode",
        device_class=SensorDeviceClass.ENUM,
        options=SPEED_MODE_OPTIONS,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.state.speed_mode_option,
    ),
    KobraSensorEntityDescription(
        key="z_offset",
        translation_key="z_offset",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.MILLIMETERS,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.state.z_offset,
    ),
    KobraSensorEntityDescription(
        key="firmware_version",
        translation_key="firmware_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.state.firmware_version,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a printer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(KobraSensorEntity(coordinator, description) for description in SENSORS)
    # Time left, finish, layers and history come from the job insight (job_sensors.py).
    async_add_entities(job_sensors(coordinator))


class KobraSensorEntity(KobraEntity, SensorEntity):
    """A sensor fed by the printer's reports."""

    entity_description: KobraSensorEntityDescription

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value from the latest reports."""
        return self.entity_description.value_fn(self.coordinator.data)

    def _write_key(self) -> tuple[Any, ...]:
        """Return the reported value: unit, class and precision never change with a report."""
        return (self.native_value,)
