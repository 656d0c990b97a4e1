"""The YAML examples of the docs are valid automations and scripts that name real entities and actions."""

from __future__ import annotations

from pathlib import Path
import re
import shutil
from typing import Any

from homeassistant.components.automation import config as automation_config
from homeassistant.components.script import config as script_config
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest

from custom_components.anycubic_kobra2.const import DOMAIN
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import make_entry, setup_entry, wait_until

REPO = Path(__file__).parents[3]
USE_CASES = REPO / "docs" / "use-cases.md"
# Pages whose YAML blocks are whole automations or scripts (other pages show fragments).
EXAMPLE_PAGES = (USE_CASES,)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.M | re.S)
# The ids a printer named "Kobra 2 Pro" gets; the docs use them.
OWN_ENTITY = re.compile(
    r"\b(?:binary_sensor|button|event|number|select|sensor|update)\.kobra_2_pro_[a-z0-9_]+"
)
OWN_ACTION = re.compile(rf"\b{DOMAIN}\.([a-z_]+)")


def examples() -> list[tuple[str, dict[str, Any]]]:
    """Return (page and number, parsed YAML) of every YAML block of the example pages."""
    found = []
    for page in EXAMPLE_PAGES:
        for number, block in enumerate(YAML_BLOCK.findall(page.read_text(encoding="utf-8")), 1):
            found.append((f"{page.name}#{number}", yaml_util.parse_yaml(block)))
    return found


def test_the_use_cases_have_examples() -> None:
    """The use cases page shows automations for each of its topics, and a script."""
    parsed = [config for _, config in examples()]
    automations = [c for c in parsed if "triggers" in c or "use_blueprint" in c]
    assert len(automations) >= 8
    assert any("sequence" in c for c in parsed)


@pytest.mark.parametrize(("name", "config"), examples(), ids=[name for name, _ in examples()])
async def test_example_is_valid(
    hass: HomeAssistant, tmp_path: Path, name: str, config: dict[str, Any]
) -> None:
    """Home Assistant accepts the example as it would from the YAML editor."""
    # Blueprints imported from GitHub live under the repository owner's name.
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(
        REPO / "blueprints" / "automation" / DOMAIN,
        tmp_path / "blueprints" / "automation" / "anycubic-kobra2",
    )
    assert await async_setup_component(hass, "blueprint", {})
    if "sequence" in config:
        validated: Any = await script_config.async_validate_config_item(hass, "example", config)
    else:
        validated = await automation_config.async_validate_config_item(hass, "example", config)
    assert validated is not None, name
    assert getattr(validated, "validation_error", None) is None, name


async def test_examples_name_real_entities_and_actions(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """Every entity id and action of the integration that the docs mention exists."""
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    await wait_until(lambda: entry.runtime_data.printer_available)
    registered = {
        entity.entity_id
        for entity in er.async_get(hass).entities.values()
        if entity.platform == DOMAIN
    }
    actions = set(hass.services.async_services_for_domain(DOMAIN))
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert sorted(set(OWN_ENTITY.findall(text)) - registered) == [], page.name
        assert sorted(set(OWN_ACTION.findall(text)) - actions) == [], page.name
    assert OWN_ENTITY.findall(USE_CASES.read_text(encoding="utf-8"))
