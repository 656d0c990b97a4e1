"""Every translation has exactly the keys of strings.json, with the same placeholders."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.anycubic_kobra2.const import DOMAIN

PACKAGE = Path(__file__).parents[2] / "custom_components" / "anycubic_kobra2"
LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt-BR", "zh-Hans")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


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


def load(name: str) -> dict[str, str]:
    """Read one of the integration's string files, flattened."""
    return flatten(json.loads((PACKAGE / name).read_text(encoding="utf-8")))


def test_every_language_is_shipped() -> None:
    """English plus the eight translations (the README lists them), nothing half-done."""
    shipped = {path.stem for path in (PACKAGE / "translations").glob("*.json")}
    assert shipped == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_strings_json(language: str) -> None:
    """A key missing or left over in a translation fails (add the text in every language)."""
    source = load("strings.json")
    translated = load(f"translations/{language}.json")
    assert sorted(set(source) - set(translated)) == [], "missing in " + language
    assert sorted(set(translated) - set(source)) == [], "not in strings.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_kept(language: str) -> None:
    """Every text keeps its {placeholders} and `code`, and none is empty."""
    source = load("strings.json")
    translated = load(f"translations/{language}.json")
    for key, english in source.items():
        text = translated[key]
        assert text.strip(), key
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english)), key
        assert text.count("`") == english.count("`"), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_mostly_translated(language: str) -> None:
    """Only names, units and technical terms may stay English."""
    source = load("strings.json")
    translated = load(f"translations/{language}.json")
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
