"""Time left, finish, layers, job image, history and device triggers against the simulator.

The simulated printer runs on a real broker and really downloads uploaded files from Home
Assistant's HTTP server; its G-code samples carry each slicer's summary and thumbnails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import math
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
)

from custom_components.anycubic_kobra2 import insight, job_sensors
from custom_components.anycubic_kobra2.const import (
    CONF_FILAMENT_DENSITY,
    CONF_FILAMENT_DIAMETER,
    CONF_FILAMENT_PRICE,
    DOMAIN,
)
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.gcode import scan_bytes
from custom_components.anycubic_kobra2.kobra2.models import PrintPhase
from kobra2_sim import KobraSimulator, SimFile
from kobra2_sim.samples import Slicer, sample_gcode
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    ha_http_server,
    make_entry,
    setup_entry,
    sim_config,
    state_of,
    wait_printer_ready,
    wait_until,
)

REMAINING = "sensor.kobra_2_pro_remaining_time"
FINISH = "sensor.kobra_2_pro_estimated_finish"
LAYERS = "sensor.kobra_2_pro_total_layers"
IMAGE = "image.kobra_2_pro_job_image"
FINISHED = "sensor.kobra_2_pro_prints_finished"
STOPPED = "sensor.kobra_2_pro_prints_stopped"
LAST = "sensor.kobra_2_pro_last_print"
PRINT_TIME = "sensor.kobra_2_pro_total_print_time"
FILAMENT = "sensor.kobra_2_pro_total_filament_used"
WEIGHT = "sensor.kobra_2_pro_total_filament_weight"
COST = "sensor.kobra_2_pro_total_filament_cost"
SCREEN_FILE = SimFile("/screen.gcode", 900_000, print_seconds=3000, filament_mm=4000)
FILAMENT_OPTIONS = {
    CONF_FILAMENT_DIAMETER: 1.75,
    CONF_FILAMENT_DENSITY: 1.24,
    CONF_FILAMENT_PRICE: 25.0,
}


def attr(hass: HomeAssistant, entity_id: str, name: str) -> Any:
    """Return one attribute of an entity."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.attributes.get(name)


def numeric(hass: HomeAssistant, entity_id: str) -> bool:
    """Return whether an entity has a number as its state."""
    state = hass.states.get(entity_id)
    if state is None:
        return False
    try:
        float(state.state)
    except ValueError:
        return False
    return True


async def fetch_image(hass: HomeAssistant, base: str) -> tuple[str, bytes]:
    """Fetch the job image as a browser does, through its tokenised link on the real server."""
    token = attr(hass, IMAGE, "access_token")
    url = f"{base}/api/image_proxy/{IMAGE}?token={token}"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        return resp.content_type, await resp.read()


async def make_printer(amqtt: AmqttBroker, **overrides: Any) -> KobraSimulator:
    """Start a simulated printer that prints fast and reports often."""
    settings: dict[str, Any] = {
        "time_scale": 100.0,
        "report_interval": 0.2,
        "local_files": (SCREEN_FILE,),
    }
    settings.update(overrides)
    sim = KobraSimulator(sim_config(amqtt, **settings))
    await sim.start()
    return sim


@pytest.fixture
async def printer(amqtt: AmqttBroker) -> AsyncIterator[KobraSimulator]:
    """Run the fast simulated printer."""
    sim = await make_printer(amqtt)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture(autouse=True)
def disable_http_server() -> None:
    """Let Home Assistant's HTTP server bind and serve (uploads are downloaded from it)."""


@pytest.fixture
async def http_base(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[str]:
    """Run Home Assistant's HTTP server on a free loopback port as the internal URL."""
    async with ha_http_server(hass) as base:
        yield base


@pytest.fixture
def media(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Provide the media folder uploads come from."""
    folder = tmp_path / "media"
    folder.mkdir()
    hass.config.media_dirs = {"local": str(folder)}
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


@pytest.fixture
def entry(amqtt: AmqttBroker) -> MockConfigEntry:
    """Return the printer's entry with filament options set."""
    return make_entry(amqtt, options=FILAMENT_OPTIONS)


@pytest.fixture
async def coordinator(
    hass: HomeAssistant, entry: MockConfigEntry, printer: KobraSimulator
) -> KobraCoordinator:
    """Set up the integration and wait for the printer's full state."""
    await setup_entry(hass, entry)
    return await wait_printer_ready(hass, entry)


def device_of(hass: HomeAssistant, coordinator: KobraCoordinator) -> dr.DeviceEntry:
    """Return the printer's device (looked up the same way on both Home Assistant versions)."""
    (device,) = dr.async_entries_for_config_entry(
        dr.async_get(hass), coordinator.config_entry.entry_id
    )
    assert (DOMAIN, coordinator.printer_id) in device.identifiers
    return device


async def upload(
    hass: HomeAssistant, coordinator: KobraCoordinator, media: Path, name: str, content: bytes
) -> None:
    """Have the printer print a Home Assistant file."""
    (media / name).write_bytes(content)
    device = device_of(hass, coordinator)
    await hass.services.async_call(
        DOMAIN,
        "upload_and_print",
        {"device_id": device.id, "file": f"media-source://media_source/local/{name}"},
        blocking=True,
    )


async def settle_states(hass: HomeAssistant, condition: Callable[[], bool]) -> None:
    """Wait until a condition on the states holds."""
    await wait_until(condition, timeout=15.0)
    await hass.async_block_till_done()


async def test_screen_print_estimated_from_progress_rate(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A touchscreen job: unknown at first, then the smoothed rate; the finish moves while paused."""
    monkeypatch.setattr(insight, "FINISH_JITTER", timedelta(0))
    # No job: unknown, not unavailable.
    assert state_of(hass, REMAINING) == STATE_UNKNOWN
    assert state_of(hass, FINISH) == STATE_UNKNOWN
    assert state_of(hass, LAYERS) == STATE_UNKNOWN

    await printer.start_print("screen.gcode")
    await settle_states(hass, lambda: numeric(hass, REMAINING))
    assert attr(hass, REMAINING, "source") == "progress"
    assert attr(hass, FINISH, "source") == "progress"
    # The rate estimate is in the printer's minutes; the simulated job is 50 of them long.
    assert 0 < float(state_of(hass, REMAINING)) <= 50
    finish = dt_util.parse_datetime(state_of(hass, FINISH))
    assert finish is not None
    assert finish > dt_util.utcnow()
    # No image and no layer count for a job whose file Home Assistant never saw.
    assert state_of(hass, IMAGE) == STATE_UNKNOWN
    assert state_of(hass, LAYERS) == STATE_UNKNOWN

    await coordinator.async_command(commands.pause_print(coordinator.state.command_taskid))
    await settle_states(hass, lambda: coordinator.state.phase is PrintPhase.PAUSED)
    left = insight.get_insight(coordinator).remaining
    paused_finish = dt_util.parse_datetime(state_of(hass, FINISH))
    assert left is not None
    assert paused_finish is not None
    # Paused: the time left stands still, so the finish moves on with the clock.
    await settle_states(
        hass,
        lambda: (dt_util.parse_datetime(state_of(hass, FINISH)) or paused_finish) > paused_finish,
    )
    again = insight.get_insight(coordinator).remaining
    assert again is not None
    assert again.remaining_s == pytest.approx(left.remaining_s)

    await coordinator.async_command(commands.stop_print(coordinator.state.command_taskid))
    await settle_states(hass, lambda: state_of(hass, STOPPED) == "1")
    assert state_of(hass, REMAINING) == STATE_UNKNOWN
    assert state_of(hass, FINISH) == STATE_UNKNOWN
    assert state_of(hass, LAST) == "stopped"
    assert attr(hass, LAST, "file_name") == "screen.gcode"


async def test_printer_remain_time_wins(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """A printer that reports a real remain_time is the source."""
    sim = await make_printer(amqtt, real_remain_time=True)
    try:
        entry = make_entry(amqtt)
        await setup_entry(hass, entry)
        await wait_printer_ready(hass, entry)
        await sim.start_print("screen.gcode")
        await settle_states(hass, lambda: attr(hass, REMAINING, "source") == "printer")
        assert 0 < float(state_of(hass, REMAINING)) <= 50
    finally:
        await sim.stop()


async def test_upload_slicer_estimate_layers_image_and_history(
    hass: HomeAssistant,
    http_base: str,
    media: Path,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
) -> None:
    """An OrcaSlicer file through Home Assistant: slicer time, its layers, its picture, then totals."""
    content = sample_gcode(Slicer.ORCA, print_seconds=5025, layers=30, thumbnails=("jpg", "png"))
    expected = scan_bytes(content).thumbnail
    assert expected is not None
    await upload(hass, coordinator, media, "part.gcode", content)
    await settle_states(hass, lambda: attr(hass, REMAINING, "source") == "slicer")
    # 5025 s of slicer time, scaled by the progress made.
    assert 0 < float(state_of(hass, REMAINING)) <= 84
    assert state_of(hass, LAYERS) == "30"
    assert state_of(hass, "sensor.kobra_2_pro_current_layer") in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    assert await fetch_image(hass, http_base) == ("image/png", expected.data)

    await settle_states(hass, lambda: state_of(hass, FINISHED) == "1")
    assert state_of(hass, LAST) == "finished"
    assert attr(hass, LAST, "file_name") == "part.gcode"
    assert attr(hass, LAST, "duration") > 0
    millimetres = float(state_of(hass, FILAMENT))
    assert millimetres > 0
    assert attr(hass, LAST, "filament_used_mm") == pytest.approx(millimetres)
    grams = millimetres * math.pi * (1.75 / 2) ** 2 / 1000 * 1.24
    assert float(state_of(hass, WEIGHT)) == pytest.approx(grams, abs=0.1)
    assert float(state_of(hass, COST)) == pytest.approx(grams / 1000 * 25.0, abs=0.01)
    assert float(state_of(hass, PRINT_TIME)) > 0
    assert state_of(hass, REMAINING) == STATE_UNKNOWN
    registry = er.async_get(hass)
    for entity_id in (FINISHED, PRINT_TIME, FILAMENT, WEIGHT):
        assert attr(hass, entity_id, "state_class") == "total_increasing"
    assert registry.async_get(COST) is not None


async def test_slice_param_estimate(
    hass: HomeAssistant,
    http_base: str,
    media: Path,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
) -> None:
    """A file without a slicer summary: the estimate from the printer's getSliceParam answer."""
    await upload(hass, coordinator, media, "plain.gcode", b"G28\n" + b"G1 X10 Y10 E0.1\n" * 20000)
    await settle_states(hass, lambda: attr(hass, REMAINING, "source") == "slice_param")
    assert any((cmd.type, cmd.action) == ("print", "getSliceParam") for cmd in printer.received)
    assert state_of(hass, IMAGE) == STATE_UNKNOWN


async def test_restart_keeps_image_and_counts_once(
    hass: HomeAssistant,
    http_base: str,
    media: Path,
    amqtt: AmqttBroker,
) -> None:
    """Home Assistant restarting mid-job keeps the picture and layers; the job is counted once."""
    sim = await make_printer(amqtt, time_scale=50.0)
    try:
        entry = make_entry(amqtt)
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        # About 300 kB: the simulator prints it for 200 of its seconds (4 s here).
        content = sample_gcode(Slicer.PRUSA, layers=7, thumbnails=("qoi",))
        content += b"G1 X20 Y20 E0.01\n" * 18_000
        await upload(hass, coordinator, media, "cube.gcode", content)
        await settle_states(hass, lambda: state_of(hass, IMAGE) != STATE_UNKNOWN)
        first = await fetch_image(hass, http_base)
        assert first[0] == "image/png"  # the QOI thumbnail, as PNG
        updated = state_of(hass, IMAGE)

        assert await hass.config_entries.async_reload(entry.entry_id)
        assert entry.state is ConfigEntryState.LOADED
        coordinator = await wait_printer_ready(hass, entry)
        await settle_states(hass, lambda: state_of(hass, LAYERS) == "7")
        assert state_of(hass, IMAGE) == updated
        assert await fetch_image(hass, http_base) == first
        assert attr(hass, REMAINING, "source") == "slicer"

        await settle_states(hass, lambda: state_of(hass, FINISHED) == "1")
        assert await hass.config_entries.async_reload(entry.entry_id)
        await wait_printer_ready(hass, entry)
        await hass.async_block_till_done()
        assert state_of(hass, FINISHED) == "1"
        assert state_of(hass, LAST) == "finished"
        # Without filament options there is no weight or cost.
        assert hass.states.get(WEIGHT) is None
        assert hass.states.get(COST) is None
    finally:
        await sim.stop()


async def test_device_triggers(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator
) -> None:
    """The six print triggers are listed under the device and run on the event entity's events."""
    device = device_of(hass, coordinator)
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    assert {t["type"] for t in triggers if t["domain"] == DOMAIN} == {
        "started",
        "paused",
        "resumed",
        "finished",
        "failed",
        "stopped",
    }
    calls: list[ServiceCall] = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device.id,
                        "type": kind,
                    },
                    "action": {
                        "service": "test.automation",
                        "data": {"kind": kind, "entity": "{{ trigger.entity_id }}"},
                    },
                }
                for kind in ("started", "paused", "stopped")
            ]
        },
    )
    await printer.start_print("screen.gcode")
    await settle_states(hass, lambda: len(calls) == 1)
    assert calls[0].data == {"kind": "started", "entity": "event.kobra_2_pro_print"}
    await coordinator.async_command(commands.pause_print(coordinator.state.command_taskid))
    await settle_states(hass, lambda: len(calls) == 2)
    await coordinator.async_command(commands.stop_print(coordinator.state.command_taskid))
    await settle_states(hass, lambda: len(calls) == 3)
    assert [call.data["kind"] for call in calls] == ["started", "paused", "stopped"]
    assert attr(hass, "event.kobra_2_pro_print", "event_type") == "stopped"
    # A reload restores the event entity's last event; that is no new event.
    assert await hass.config_entries.async_reload(coordinator.config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(calls) == 3


async def test_options_flow_takes_filament(
    hass: HomeAssistant, coordinator: KobraCoordinator
) -> None:
    """The filament options are stored; clearing them removes weight and cost."""
    entry = coordinator.config_entry
    assert hass.states.get(WEIGHT) is not None
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "poll_interval": 60,
            "stale_timeout": 180,
            "topic_style": "type",
            CONF_FILAMENT_DIAMETER: 2.85,
        },
    )
    assert entry.options[CONF_FILAMENT_DIAMETER] == 2.85
    assert CONF_FILAMENT_DENSITY not in entry.options
    await hass.async_block_till_done()
    await wait_printer_ready(hass, entry)
    assert hass.states.get(WEIGHT) is None


def test_job_entities_have_names_and_icons() -> None:
    """Each job sensor and the image have an English name and an icon."""
    import json

    package = Path(insight.__file__).parent
    strings = json.loads((package / "strings.json").read_text(encoding="utf-8"))["entity"]
    icons = json.loads((package / "icons.json").read_text(encoding="utf-8"))["entity"]
    for description in job_sensors.JOB_SENSORS:
        assert strings["sensor"][description.key]["name"]
        assert icons["sensor"][description.key]["default"].startswith("mdi:")
    assert strings["image"]["job_image"]["name"]
    assert icons["image"]["job_image"]["default"].startswith("mdi:")
    assert set(strings["sensor"]["last_print"]["state"]) == set(insight.OUTCOMES)
