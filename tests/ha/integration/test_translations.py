"""Translations: every entity has a name and an icon, and every language has every string."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.anycubic_kobra2 import binary_sensor, button, number, select, sensor
from custom_components.anycubic_kobra2.const import DOMAIN

PACKAGE = Path(__file__).parents[3] / "custom_components" / "anycubic_kobra2"
LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt-BR", "zh-Hans")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

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


def flatten(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Return {"a.b.c": text} for every string of a translation tree."""
    flat: dict[str, str] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            assert isinstance(value, str), path
            flat[path] = value
    return flat


def load_flat(name: str) -> dict[str, str]:
    """Read one of the integration's string files, flattened."""
    return flatten(load(name))


def test_every_language_is_shipped() -> None:
    """English plus the eight translations (the README lists them), nothing half-done."""
    shipped = {path.stem for path in (PACKAGE / "translations").glob("*.json")}
    assert shipped == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_strings_json(language: str) -> None:
    """A key missing or left over in a translation fails (add the text in every language)."""
    source = load_flat("strings.json")
    translated = load_flat(f"translations/{language}.json")
    assert sorted(set(source) - set(translated)) == [], "missing in " + language
    assert sorted(set(translated) - set(source)) == [], "not in strings.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_kept(language: str) -> None:
    """Every text keeps its {placeholders} and `code`, and none is empty."""
    source = load_flat("strings.json")
    translated = load_flat(f"translations/{language}.json")
    for key, english in source.items():
        text = translated[key]
        assert text.strip(), key
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english)), key
        assert text.count("`") == english.count("`"), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_mostly_translated(language: str) -> None:
    """Only names, units and technical terms may stay English."""
    source = load_flat("strings.json")
    translated = load_flat(f"translations/{language}.json")
    same = {key for key, english in source.items() if translated[key] == english}
    assert len(same) < len(source) // 10, sorted(same)


@pytest.mark.parametrize(
    ("language", "key", "expected"),
    [
        ("de", "step.mqtt_confirm.title", "Kobra 2 gefunden"),
        ("fr", "abort.already_configured", "Cette imprimante est déjà configurée"),
        ("es", "step.user.menu_options.ha_mqtt", "Usar la conexión MQTT de Home Assistant"),
        ("zh-Hans", "step.manual.data.printer_id", "打印机 ID"),
        ("nl", "step.mqtt_confirm.title", "Kobra 2 gevonden"),
        ("it", "abort.already_configured", "Questa stampante è già configurata"),
        ("pl", "step.user.menu_options.broker", "Połącz z brokerem"),
        ("pt-BR", "step.manual.data.printer_id", "ID da impressora"),
    ],
)
async def test_home_assistant_loads_them(
    hass: HomeAssistant, language: str, key: str, expected: str
) -> None:
    """Home Assistant's translation loader finds the files (custom integrations ship them)."""
    translations = await async_get_translations(hass, language, "config", [DOMAIN])
    assert translations[f"component.{DOMAIN}.config.{key}"] == expected
