"""Sensors fed by the job insight: time left, finish, layers, print history and filament totals."""

from __future__ import annotations

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
from homeassistant.const import UnitOfLength, UnitOfMass, UnitOfTime
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.typing import StateType

from .const import DOMAIN
from .coordinator import KobraCoordinator
from .entity import KobraEntity
from .insight import OUTCOMES, JobInsight, get_insight


@dataclass(frozen=True, kw_only=True)
class KobraJobSensorEntityDescription(SensorEntityDescription):
    """A sensor read from the job insight; history sensors stay while the printer is away."""

    value_fn: Callable[[JobInsight], StateType | datetime]
    attributes_fn: Callable[[JobInsight], dict[str, Any] | None] = lambda _: None
    history: bool = False
    # Only created when the filament options allow computing it.
    needs: Callable[[JobInsight], bool] = lambda _: True


def _minutes(insight: JobInsight) -> int | None:
    """Return the whole minutes left (rounded up: 30 s left is not 0 minutes)."""
    remaining = insight.remaining
    return None if remaining is None else -int(-remaining.remaining_s // 60)


def _source(insight: JobInsight) -> dict[str, Any] | None:
    """Return the attribute naming where the estimate comes from."""
    remaining = insight.remaining
    return {"source": remaining.source.value} if remaining is not None else None


def _last_print(insight: JobInsight) -> dict[str, Any] | None:
    """Return the last print's details."""
    last = insight.last
    if last is None:
        return None
    attributes: dict[str, Any] = {
        "file_name": last.file_name,
        "duration": last.duration_s,
        "filament_used_mm": last.filament_mm,
        "filament_used_g": _round(insight.grams(last.filament_mm), 1),
        "filament_cost": _round(insight.cost(last.filament_mm), 2),
        "ended_at": last.ended_at,
    }
    return {key: value for key, value in attributes.items() if value is not None}


def _round(value: float | None, digits: int) -> float | None:
    """Round a value that may be missing."""
    return None if value is None else round(value, digits)


def _count(outcome: str) -> KobraJobSensorEntityDescription:
    """Return the description of one outcome counter."""
    return KobraJobSensorEntityDescription(
        key=f"prints_{outcome}",
        translation_key=f"prints_{outcome}",
        state_class=SensorStateClass.TOTAL_INCREASING,
        history=True,
        value_fn=lambda insight: int(getattr(insight.totals, outcome)),
    )


JOB_SENSORS: tuple[KobraJobSensorEntityDescription, ...] = (
    KobraJobSensorEntityDescription(
        key="remaining_time",
        translation_key="remaining_time",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=_minutes,
        attributes_fn=_source,
    ),
    KobraJobSensorEntityDescription(
        key="estimated_finish",
        translation_key="estimated_finish",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda insight: insight.finish,
        attributes_fn=_source,
    ),
    KobraJobSensorEntityDescription(
        key="total_layers",
        translation_key="total_layers",
        value_fn=lambda insight: insight.total_layers,
    ),
    *(_count(outcome) for outcome in OUTCOMES),
    KobraJobSensorEntityDescription(
        key="total_print_time",
        translation_key="total_print_time",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        history=True,
        value_fn=lambda insight: round(insight.totals.print_time_s / 3600, 3),
    ),
    KobraJobSensorEntityDescription(
        key="total_filament_used",
        translation_key="total_filament_used",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.MILLIMETERS,
        suggested_display_precision=0,
        history=True,
        value_fn=lambda insight: round(insight.totals.filament_mm, 1),
    ),
    KobraJobSensorEntityDescription(
        key="total_filament_weight",
        translation_key="total_filament_weight",
        device_class=SensorDeviceClass.WEIGHT,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        suggested_display_precision=0,
        history=True,
        value_fn=lambda insight: _round(insight.grams(insight.totals.filament_mm), 1),
        needs=lambda insight: insight.grams(1.0) is not None,
    ),
    KobraJobSensorEntityDescription(
        key="total_filament_cost",
        translation_key="total_filament_cost",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        history=True,
        value_fn=lambda insight: _round(insight.cost(insight.totals.filament_mm), 2),
        needs=lambda insight: insight.cost(1.0) is not None,
    ),
    KobraJobSensorEntityDescription(
        key="last_print",
        translation_key="last_print",
        device_class=SensorDeviceClass.ENUM,
        options=list(OUTCOMES),
        history=True,
        value_fn=lambda insight: insight.last.outcome if insight.last else None,
        attributes_fn=_last_print,
    ),
)


def job_sensors(coordinator: KobraCoordinator) -> list[KobraJobSensorEntity]:
    """Return the job sensors of a printer that its options allow."""
    insight = get_insight(coordinator)
    registry = er.async_get(coordinator.hass)
    sensors = []
    for description in JOB_SENSORS:
        if description.needs(insight):
            sensors.append(KobraJobSensorEntity(coordinator, insight, description))
            continue
        # Options no longer allow it (filament settings cleared): drop the old entity.
        unique_id = f"{coordinator.printer_id}_{description.key}"
        if entity_id := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
            registry.async_remove(entity_id)
    return sensors


class KobraJobSensorEntity(KobraEntity, SensorEntity):
    """A sensor read from the job insight."""

    entity_description: KobraJobSensorEntityDescription

    def __init__(
        self,
        coordinator: KobraCoordinator,
        insight: JobInsight,
        description: KobraJobSensorEntityDescription,
    ) -> None:
        """Bind the sensor to the printer and its insight."""
        super().__init__(coordinator, description)
        self._insight = insight
        # History is Home Assistant's record: it stays readable while the printer is away.
        self._requires_printer = not description.history
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value from the insight."""
        return self.entity_description.value_fn(self._insight)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes (estimate source, last print details)."""
        return self.entity_description.attributes_fn(self._insight)

    def _write_key(self) -> tuple[Any, ...]:
        """Return value and attributes: units and classes never change with a report."""
        return (self.native_value, self.extra_state_attributes)
