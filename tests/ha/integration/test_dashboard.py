"""The shipped printer dashboard (docs/dashboard.yaml) names only entities the integration creates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from kobra2_sim import KobraSimulator
from tests.helpers.entry import setup_entry, wait_printer_ready

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "dashboard.yaml"
# Home Assistant's own cards: the dashboard must need nothing from HACS.
BUILT_IN_CARDS = {
    "entities",
    "gauge",
    "history-graph",
    "picture-entity",
    "tile",
    "vertical-stack",
    "horizontal-stack",
}


def entity_ids(node: Any) -> Iterator[str]:
    """Yield every entity id a Lovelace configuration refers to (entity: keys and plain entity rows)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "entity" and isinstance(value, str):
                yield value
            elif key == "entities" and isinstance(value, list):
                for row in value:
                    if isinstance(row, str):
                        yield row
                    else:
                        yield from entity_ids(row)
            else:
                yield from entity_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from entity_ids(item)


def card_types(node: Any) -> Iterator[str]:
    """Yield the type of every card of the dashboard's views (rows are not cards)."""
    for view in node["views"]:
        todo = list(view.get("cards", []))
        while todo:
            card = todo.pop()
            yield card["type"]
            todo.extend(card.get("cards", []))


def test_dashboard_uses_built_in_cards_only() -> None:
    """Every card is one of Home Assistant's own: nothing to install from HACS."""
    config = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    assert set(card_types(config)) <= BUILT_IN_CARDS


def test_entity_ids_finds_rows_and_cards() -> None:
    """The walker sees card entities, row entities and plain string rows (else the next test proves nothing)."""
    config = {
        "views": [
            {
                "cards": [
                    {"type": "gauge", "entity": "sensor.a"},
                    {"type": "entities", "entities": ["sensor.b", {"entity": "sensor.c"}]},
                ]
            }
        ]
    }
    assert sorted(entity_ids(config)) == ["sensor.a", "sensor.b", "sensor.c"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_dashboard_entities_exist(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
    printer: KobraSimulator,
) -> None:
    """Each entity id on the dashboard belongs to a Kobra 2 Pro set up with its default name."""
    await setup_entry(hass, mock_config_entry)
    await wait_printer_ready(hass, mock_config_entry)
    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
    }
    wanted = set(entity_ids(yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))))
    assert len(wanted) >= 20
    assert wanted - ours == set()
