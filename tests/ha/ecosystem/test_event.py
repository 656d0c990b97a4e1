"""The print event entity: the tracker's rules, and every event type from a simulated print."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.event import EVENT_TYPES, PrintEventTracker
from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraCommandError
from custom_components.anycubic_kobra2.kobra2.models import PrintJob, PrintPhase
from kobra2_sim import KobraSimulator
from kobra2_sim.storage import SimFile
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    PRINTER_ID,
    entity,
    make_entry,
    setup_entry,
    sim_config,
    wait_until,
)

P = PrintPhase
EVENT_ENTITY = entity("event", "print")


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


def _feed(tracker: PrintEventTracker, *steps: tuple[PrintPhase | None, PrintJob]) -> list[Any]:
    """Feed reports and return the (type, attributes) of the events they made."""
    events = [tracker.feed(phase, job) for phase, job in steps]
    return [(e.event_type, e.attributes) for e in events if e is not None]


def test_full_job_from_idle() -> None:
    """A job watched from the start fires started, paused, resumed and finished once each."""
    clock = Clock()
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1", clock=clock)
    job = PrintJob(taskid="2", filename="cube.gcode", progress=0)
    events = _feed(tracker, (P.PREHEATING, job), (P.PRINTING, job), (P.PRINTING, job))
    assert events == [("started", {"file_name": "cube.gcode", "task_id": "2"})]
    clock.now = 600
    paused = PrintJob(taskid="2", progress=40, filament_used_mm=800.0)
    assert _feed(tracker, (P.PAUSING, paused), (P.PAUSED, paused), (P.PAUSED, paused)) == [
        (
            "paused",
            # The file name stays known from earlier reports of the same task; the duration
            # is measured since the start when the printer gives none.
            {
                "file_name": "cube.gcode",
                "task_id": "2",
                "duration": 600,
                "filament_used_mm": 800.0,
                "progress": 40,
            },
        )
    ]
    assert [e[0] for e in _feed(tracker, (P.RESUMING, paused), (P.PRINTING, paused))] == ["resumed"]
    done = PrintJob(taskid="2", progress=100, print_time_min=35, filament_used_mm=1234.5)
    assert _feed(tracker, (P.FINISHED, done), (P.FINISHED, done)) == [
        (
            "finished",
            {
                "file_name": "cube.gcode",
                "task_id": "2",
                "duration": 2100,
                "filament_used_mm": 1234.5,
                "progress": 100,
            },
        )
    ]


def test_joining_a_running_job_fires_no_start() -> None:
    """After a restart in the middle of a job only its end is an event."""
    tracker = PrintEventTracker()
    job = PrintJob(taskid="7", filename="a.gcode", progress=42)
    assert _feed(tracker, (P.PRINTING, job), (P.PAUSED, job)) == [
        ("paused", {"file_name": "a.gcode", "task_id": "7", "progress": 42})
    ]
    stopped = PrintJob(taskid="7", progress=57, print_time_min=48)
    assert [e[0] for e in _feed(tracker, (P.STOPPING, stopped), (P.STOPPED, stopped))] == [
        "stopped"
    ]


def test_first_report_decides_about_start() -> None:
    """Without history a start is only seen when the job evidently just began."""
    for phase, progress, expected in [
        (P.DOWNLOADING, None, ["started"]),
        (P.CHECKING, None, ["started"]),
        (P.PREHEATING, None, ["started"]),
        (P.PRINTING, 0, ["started"]),
        (P.PRINTING, None, ["started"]),
        (P.PRINTING, 3, []),
        (P.FINISHED, 100, []),
        (P.FAILED, None, []),
        (None, None, []),
    ]:
        tracker = PrintEventTracker()
        events = _feed(tracker, (phase, PrintJob(taskid="1", progress=progress)))
        assert [e[0] for e in events] == expected, phase


def test_failures() -> None:
    """A failure ends a running job, and a new task refused at once is a failure too."""
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1")
    refused = PrintJob(taskid="2", filename="b.gcode", message="file not found")
    assert _feed(tracker, (P.FAILED, refused)) == [
        ("failed", {"file_name": "b.gcode", "task_id": "2", "reason": "file not found"})
    ]
    # Repeats of the same failed answer are not new events, nor is an old one replayed.
    assert _feed(tracker, (P.FAILED, refused)) == []
    downloading = PrintJob(taskid="3", filename="c.gcode")
    failed = PrintJob(taskid="3", message="download failed: HTTP 404")
    assert _feed(tracker, (P.DOWNLOADING, downloading), (P.FAILED, failed)) == [
        ("started", {"file_name": "c.gcode", "task_id": "3"}),
        (
            "failed",
            {
                "file_name": "c.gcode",
                "task_id": "3",
                "duration": 0,
                "reason": "download failed: HTTP 404",
            },
        ),
    ]


def test_new_job_forgets_the_old_file() -> None:
    """Attributes of one job never leak into the next; a renamed running job keeps them."""
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1")
    _feed(tracker, (P.PRINTING, PrintJob(taskid="0", filename="touch.gcode", progress=0)))
    # The printer renames a touchscreen job (taskid "0" → its own id) while it runs.
    events = _feed(tracker, (P.STOPPED, PrintJob(taskid="55")))
    assert events[0][1]["file_name"] == "touch.gcode"
    events = _feed(
        tracker,
        (P.PREHEATING, PrintJob(taskid="56")),
        (P.FAILED, PrintJob(taskid="56", message="x")),
    )
    assert [e[1].get("file_name") for e in events] == [None, None]


# --- the entity, driven by the simulator ------------------------------------------------------


@pytest.fixture
async def quick_printer(amqtt: AmqttBroker) -> AsyncIterator[KobraSimulator]:
    """Provide a simulator with one short print job file."""
    sim = KobraSimulator(
        sim_config(
            amqtt,
            local_files=(SimFile("/cube.gcode", 1_873_421, print_seconds=120, filament_mm=1234.0),),
            time_scale=60.0,
        )
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def _setup_with_event(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry with the event platform (and the buttons that drive the job)."""
    with patch("custom_components.anycubic_kobra2.PLATFORMS", [Platform.BUTTON, Platform.EVENT]):
        await setup_entry(hass, entry)


def _record_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect the attributes of every new event of the printer's event entity."""
    events: list[dict[str, Any]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.attributes.get("event_type"):
            events.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", _changed)
    return events


def entity_id_of(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of one of the printer's entities, by its unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{PRINTER_ID}_{key}")
    assert entity_id is not None, f"no {platform} entity {key}"
    return entity_id


async def _press(hass: HomeAssistant, key: str) -> None:
    """Press one of the printer's buttons."""
    entity_id = entity_id_of(hass, BUTTON_DOMAIN, key)
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def _types(events: list[dict[str, Any]]) -> list[str]:
    """Return the event types in order."""
    return [e["event_type"] for e in events]


async def test_entity_fires_every_event_type(
    hass: HomeAssistant, amqtt: AmqttBroker, quick_printer: KobraSimulator
) -> None:
    """A simulated print fires started, paused, resumed, finished; then stopped and failed."""
    entry = make_entry(amqtt)
    await _setup_with_event(hass, entry)
    assert entity_id_of(hass, "event", "print") == EVENT_ENTITY
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes["event_types"] == EVENT_TYPES
    events = _record_events(hass)
    coordinator = entry.runtime_data
    await wait_until(lambda: coordinator.printer_available)

    # Start on the "touchscreen", pause and resume from Home Assistant, let it finish.
    await quick_printer.start_print("/cube.gcode", "local")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await _press(hass, "pause")
    await wait_until(lambda: _types(events)[-1:] == ["paused"])
    await _press(hass, "resume")
    await wait_until(lambda: _types(events)[-1:] == ["resumed"])
    await wait_until(lambda: _types(events)[-1:] == ["finished"], timeout=15)
    assert _types(events) == ["started", "paused", "resumed", "finished"]
    finished = events[-1]
    assert finished["file_name"] == "cube.gcode"
    assert finished["progress"] == 100
    assert finished["filament_used_mm"] == pytest.approx(1234.0)
    assert finished["duration"] > 0

    # A second job, stopped from Home Assistant.
    await quick_printer.start_print("/cube.gcode", "local")
    await wait_until(lambda: _types(events)[-1:] == ["started"])
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await _press(hass, "stop")
    await wait_until(lambda: _types(events)[-1:] == ["stopped"])
    assert events[-1]["file_name"] == "cube.gcode"

    # A URL print whose download fails (nothing listens on the port).
    await coordinator.client.send(
        commands.start_url_print(
            f"http://127.0.0.1:{_closed_port()}/missing.gcode", "0" * 32, 1000, "missing.gcode"
        )
    )
    await wait_until(lambda: _types(events)[-1:] == ["failed"])
    assert _types(events)[-2:] == ["started", "failed"]
    assert events[-1]["file_name"] == "missing.gcode"
    assert events[-1]["reason"].startswith("download failed")
    assert set(_types(events)) == set(EVENT_TYPES)


async def test_refused_start_is_no_outcome_of_the_running_job(
    hass: HomeAssistant, amqtt: AmqttBroker
) -> None:
    """A start the printer refuses while printing fires nothing; the job keeps its state."""
    sim = KobraSimulator(
        sim_config(amqtt, local_files=(SimFile("/cube.gcode", 1_000, print_seconds=600),))
    )
    await sim.start()
    try:
        entry = make_entry(amqtt)
        await _setup_with_event(hass, entry)
        events = _record_events(hass)
        coordinator = entry.runtime_data
        await wait_until(lambda: coordinator.printer_available)
        await sim.start_print("/cube.gcode", "local")
        await wait_until(lambda: _types(events) == ["started"])
        await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
        job = coordinator.state.job
        assert job is not None

        with pytest.raises(KobraCommandError):
            await coordinator.client.request(commands.start_local_print("cube.gcode"))
        await hass.async_block_till_done()
        assert _types(events) == ["started"]
        assert coordinator.state.phase is PrintPhase.PRINTING
        assert coordinator.state.job is not None
        assert coordinator.state.job.taskid == job.taskid
    finally:
        await sim.stop()


def _closed_port() -> int:
    """Return a local port nothing listens on."""
    from tests.helpers.brokers import free_port

    return free_port()
