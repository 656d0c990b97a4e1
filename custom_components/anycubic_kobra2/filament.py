"""Filament options (diameter, density, price per kg): the weight and cost of printed lengths."""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .compat import vol
from .const import CONF_FILAMENT_DENSITY, CONF_FILAMENT_DIAMETER, CONF_FILAMENT_PRICE

# (minimum, maximum, step, unit) of each option; all are optional.
_FIELDS: dict[str, tuple[float, float, float, str | None]] = {
    CONF_FILAMENT_DIAMETER: (1.0, 3.5, 0.01, "mm"),
    CONF_FILAMENT_DENSITY: (0.5, 3.0, 0.01, "g/cm³"),
    CONF_FILAMENT_PRICE: (0.0, 10000.0, 0.01, None),
}


def filament_schema(options: Mapping[str, Any]) -> dict[Any, Any]:
    """Return the options-form fields, pre-filled with what is set."""
    fields: dict[Any, Any] = {}
    for key, (low, high, step, unit) in _FIELDS.items():
        marker = (
            vol.Optional(key, description={"suggested_value": options[key]})
            if options.get(key) is not None
            else vol.Optional(key)
        )
        config = NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
        if unit is not None:
            config["unit_of_measurement"] = unit
        fields[marker] = NumberSelector(config)
    return fields


def filament_options(user_input: Mapping[str, Any]) -> dict[str, float]:
    """Return the filament options the user filled in (cleared fields are left out)."""
    return {key: float(user_input[key]) for key in _FIELDS if user_input.get(key) is not None}


def filament_grams(options: Mapping[str, Any], millimetres: float | None) -> float | None:
    """Return the weight of a filament length, if the options give diameter and density."""
    diameter = options.get(CONF_FILAMENT_DIAMETER)
    density = options.get(CONF_FILAMENT_DENSITY)
    if millimetres is None or not diameter or not density:
        return None
    area_mm2 = math.pi * (float(diameter) / 2) ** 2
    # mm³ / 1000 = cm³; times g/cm³.
    return millimetres * area_mm2 / 1000 * float(density)


def filament_cost(options: Mapping[str, Any], millimetres: float | None) -> float | None:
    """Return the cost of a filament length, if the options also give the price per kg."""
    price = options.get(CONF_FILAMENT_PRICE)
    grams = filament_grams(options, millimetres)
    if grams is None or price is None:
        return None
    return grams / 1000 * float(price)


def filament_settings(options: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return the filament options as compared to decide on a reload."""
    return tuple(options.get(key) for key in _FIELDS)
