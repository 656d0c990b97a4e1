"""Translations and icons cover every entity, and the two English string files agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.helpers.entity import EntityDescription
import pytest

from custom_components.anycubic_kobra2 import binary_sensor, button, number, select, sensor

PACKAGE = Path(__file__).parents[3] / "custom_components" / "anycubic_kobra2"

TABLES: dict[str, tuple[EntityDescription, ...]] = {
    "binary_sensor": binary_sensor.BINARY_SENSORS,
    "button": button.BUTTONS,
    "number": number.NUMBERS,
    "select": select.SELECTS,
    "sensor": sensor.SENSORS,
}


def load(name: str) -> dict[str, Any]:
    """Read a JSON file of the integration."""
    data: dict[str, Any] = json.loads((PACKAGE / name).read_text(encoding="utf-8"))
    return data


def test_english_files_agree() -> None:
    """Custom integrations load translations/en.json; strings.json is its source and must match."""
    assert load("translations/en.json") == load("strings.json")


@pytest.mark.parametrize("platform", sorted(TABLES))
def test_every_entity_has_name_and_icon(platform: str) -> None:
    """Each description's translation key has a name (and enum states) and an icon."""
    strings = load("strings.json")["entity"][platform]
    icons = load("icons.json")["entity"][platform]
    for description in TABLES[platform]:
        key = description.translation_key
        assert key == description.key
        assert strings[key]["name"]
        assert icons[key]["default"].startswith("mdi:")
        options = getattr(description, "options", None)
        if options:
            assert set(strings[key]["state"]) == set(options)


def test_exceptions_used_by_the_coordinator_are_translated() -> None:
    """Every translation key the HA layer raises exists, with its placeholders."""
    messages = load("strings.json")["exceptions"]
    expected = {
        "cannot_connect": {"host", "port", "error"},
        "invalid_auth": {"host", "port"},
        "not_connected": set(),
        "printer_offline": set(),
        "command_timeout": {"command"},
        "command_failed": {"command", "error"},
        "communication_error": {"error"},
    }
    for key, placeholders in expected.items():
        message = messages[key]["message"]
        for placeholder in placeholders:
            assert f"{{{placeholder}}}" in message
