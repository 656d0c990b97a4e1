"""The automation blueprints load in Home Assistant's blueprint schema and do what they promise."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

BLUEPRINT_DIR = Path(__file__).parents[3] / "blueprints" / "automation" / "anycubic_kobra2"
BLUEPRINTS = sorted(BLUEPRINT_DIR.glob("*.yaml"))
EVENT_ENTITY = "event.kobra_2_pro_print"
REQUIRED_INPUTS = {
    "notify_print_finished.yaml": {"print_event_entity"},
    "turn_off_after_print.yaml": {"print_event_entity", "target_entities"},
}


def test_blueprints_exist() -> None:
    """Both promised blueprints are shipped."""
    assert {p.name for p in BLUEPRINTS} == {
        "notify_print_finished.yaml",
        "turn_off_after_print.yaml",
    }


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.name)
def test_blueprint_schema(path: Path) -> None:
    """Each blueprint passes Home Assistant's automation blueprint schema with all inputs declared."""
    data = yaml_util.load_yaml(path)
    blueprint = models.Blueprint(
        data, path=str(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.domain == "automation"
    assert blueprint.name.startswith("Anycubic Kobra 2")
    # Every input but the printer has a default, so the UI asks for as little as possible.
    required = {
        name
        for name, spec in blueprint.inputs.items()
        if not (isinstance(spec, dict) and "default" in spec)
    }
    assert required == REQUIRED_INPUTS[path.name]
    selector = blueprint.inputs["print_event_entity"]["selector"]["entity"]["filter"]
    assert selector == [{"integration": "anycubic_kobra2", "domain": ["event"]}]


async def _use_blueprint(
    hass: HomeAssistant, tmp_path: Path, name: str, inputs: dict[str, Any]
) -> None:
    """Install the blueprint in a fresh config dir and create one automation from it."""
    hass.config.config_dir = str(tmp_path)
    dest = tmp_path / "blueprints" / "automation" / "anycubic_kobra2"
    dest.mkdir(parents=True)
    shutil.copy(BLUEPRINT_DIR / name, dest / name)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "kobra_test",
                "use_blueprint": {"path": f"anycubic_kobra2/{name}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    states = hass.states.async_all(automation.DOMAIN)
    assert [s.state for s in states] == ["on"]


def _fire(hass: HomeAssistant, event_type: str, **attributes: Any) -> None:
    """Mimic the event entity: its state becomes the event time, attributes describe the event."""
    hass.states.async_set(
        EVENT_ENTITY,
        dt_util.utcnow().isoformat(),
        {
            "event_types": ["started", "paused", "resumed", "finished", "stopped", "failed"],
            "event_type": event_type,
            "friendly_name": "Kobra 2 Pro Print",
            **attributes,
        },
    )


async def test_notify_on_finish_reaches_every_channel(
    hass: HomeAssistant, tmp_path: Path, device_registry: dr.DeviceRegistry
) -> None:
    """A finished print notifies phones, notify entities and custom actions with a useful text."""
    phone_entry = MockConfigEntry(domain="mobile_app")
    phone_entry.add_to_hass(hass)
    phone = device_registry.async_get_or_create(
        config_entry_id=phone_entry.entry_id, identifiers={("mobile_app", "p9")}, name="Pixel 9"
    )
    phone_calls = async_mock_service(hass, "notify", "mobile_app_pixel_9")
    entity_calls = async_mock_service(hass, "notify", "send_message")
    custom_calls = async_mock_service(hass, "test", "custom")
    hass.states.async_set(EVENT_ENTITY, "unknown", {"friendly_name": "Kobra 2 Pro Print"})

    await _use_blueprint(
        hass,
        tmp_path,
        "notify_print_finished.yaml",
        {
            "print_event_entity": EVENT_ENTITY,
            "mobile_devices": [phone.id],
            "notify_entities": ["notify.family"],
            "extra_actions": [
                {"action": "test.custom", "data": {"text": "{{ title }} | {{ message }}"}}
            ],
        },
    )

    _fire(hass, "finished", file_name="cube.gcode", duration=4980, filament_used_mm=2345.0)
    await hass.async_block_till_done()

    assert len(phone_calls) == 1
    assert phone_calls[0].data["title"] == "Kobra 2 Pro Print: print finished"
    assert (
        phone_calls[0].data["message"]
        == "cube.gcode finished after 1 h 23 min, 2.35 m of filament."
    )
    assert len(entity_calls) == 1
    assert entity_calls[0].data["entity_id"] == ["notify.family"]
    assert entity_calls[0].data["message"] == phone_calls[0].data["message"]
    assert custom_calls[0].data["text"] == (
        "Kobra 2 Pro Print: print finished | cube.gcode finished after 1 h 23 min, 2.35 m of filament."
    )


async def test_notify_failed_and_filters(hass: HomeAssistant, tmp_path: Path) -> None:
    """Failures carry their reason; unselected types, restores and unavailability send nothing."""
    calls = async_mock_service(hass, "test", "custom")
    hass.states.async_set(EVENT_ENTITY, "unknown", {"friendly_name": "Kobra 2 Pro Print"})
    await _use_blueprint(
        hass,
        tmp_path,
        "notify_print_finished.yaml",
        {
            "print_event_entity": EVENT_ENTITY,
            "extra_actions": [{"action": "test.custom", "data": {"text": "{{ message }}"}}],
        },
    )

    _fire(hass, "started", file_name="cube.gcode")
    _fire(hass, "paused", file_name="cube.gcode")
    _fire(hass, "stopped", file_name="cube.gcode", progress=57)  # not selected by default
    await hass.async_block_till_done()
    assert calls == []

    _fire(hass, "failed", file_name="cube.gcode", reason="nozzle heating failed")
    await hass.async_block_till_done()
    assert [c.data["text"] for c in calls] == ["cube.gcode failed: nozzle heating failed."]

    # Going unavailable and coming back with the old event is not a new event.
    last = hass.states.get(EVENT_ENTITY)
    assert last is not None
    hass.states.async_set(EVENT_ENTITY, "unavailable", {})
    hass.states.async_set(EVENT_ENTITY, last.state, last.attributes)
    await hass.async_block_till_done()
    assert len(calls) == 1

    # A failure without details still reads well.
    _fire(hass, "failed")
    await hass.async_block_till_done()
    assert calls[-1].data["text"] == "The print failed."


async def test_notify_stopped_when_selected(hass: HomeAssistant, tmp_path: Path) -> None:
    """Stopped prints are reported with the progress reached when the user selects them."""
    calls = async_mock_service(hass, "test", "custom")
    hass.states.async_set(EVENT_ENTITY, "unknown", {"friendly_name": "Kobra 2 Pro Print"})
    await _use_blueprint(
        hass,
        tmp_path,
        "notify_print_finished.yaml",
        {
            "print_event_entity": EVENT_ENTITY,
            "event_types": ["stopped"],
            "extra_actions": [{"action": "test.custom", "data": {"text": "{{ message }}"}}],
        },
    )
    _fire(hass, "finished", file_name="a.gcode")
    _fire(hass, "stopped", file_name="a.gcode", progress=57)
    await hass.async_block_till_done()
    assert [c.data["text"] for c in calls] == ["a.gcode was stopped at 57 %."]


async def _wait_running(hass: HomeAssistant, runs: int) -> None:
    """Let the loop run until the automation has `runs` runs in progress.

    `async_block_till_done` cannot be used while a run waits in its (frozen-time) delay.
    """
    for _ in range(100):
        (state,) = hass.states.async_all(automation.DOMAIN)
        if state.attributes.get("current") == runs:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"automation never had {runs} run(s) in progress")


async def test_turn_off_after_print(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    """The target is turned off after the delay; a new print during the delay cancels it."""
    calls = async_mock_service(hass, "homeassistant", "turn_off")
    hass.states.async_set(EVENT_ENTITY, "unknown", {"friendly_name": "Kobra 2 Pro Print"})
    await _use_blueprint(
        hass,
        tmp_path,
        "turn_off_after_print.yaml",
        {
            "print_event_entity": EVENT_ENTITY,
            "target_entities": {"entity_id": "switch.printer_plug"},
            "delay": {"minutes": 5},
        },
    )

    _fire(hass, "finished", file_name="a.gcode")
    await _wait_running(hass, 1)
    freezer.tick(timedelta(minutes=3))
    async_fire_time_changed(hass)
    await _wait_running(hass, 1)
    assert calls == []
    # A new print starts before the delay ran out: the plug must stay on.
    _fire(hass, "started", file_name="b.gcode")
    await _wait_running(hass, 0)
    freezer.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await _wait_running(hass, 0)
    assert calls == []

    # Stopped prints are not selected by default: no run at all.
    _fire(hass, "stopped", file_name="b.gcode")
    await _wait_running(hass, 0)

    _fire(hass, "started", file_name="c.gcode")
    _fire(hass, "finished", file_name="c.gcode")
    await _wait_running(hass, 1)
    freezer.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await _wait_running(hass, 1)
    assert calls == []
    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await _wait_running(hass, 0)
    await hass.async_block_till_done()
    assert len(calls) == 1
    assert calls[0].data["entity_id"] == ["switch.printer_plug"]
