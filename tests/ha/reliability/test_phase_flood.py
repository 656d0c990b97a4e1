"""A flood of alternating print phases from a device on the broker (security review M2, L5)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import json
import logging
import sys

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest

from custom_components.anycubic_kobra2.kobra2.limits import EVENTS_PER_MINUTE, MAX_REMEMBERED_TASKS
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import (
    ENTITY_PREFIX,
    entity,
    make_entry,
    setup_entry,
    state_of,
    wait_until,
)
from tests.helpers.payloads import envelope

from .common import REPORT_BASE, publish, records
from .test_hostile_input import HEAVY_PUBLISHER

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]

FLOOD = 4000
PRINT_STATE = entity("sensor", "print_state")
PRINT_EVENT = entity("event", "print")


def _count_writes(hass: HomeAssistant) -> Counter[str]:
    """Count, from now on, the state writes of every entity of the printer."""
    writes: Counter[str] = Counter()

    @callback
    def on_change(event: Event[EventStateChangedData]) -> None:
        if ENTITY_PREFIX in event.data["entity_id"] and event.data["new_state"] is not None:
            writes[event.data["entity_id"]] += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return writes


async def test_m2_phase_flood_is_merged_and_events_are_capped(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """4,000 printing/stopped reports: a few hundred state writes, events capped, last wins.

    Before the fix every report went out at once: 32,002 state writes and 3,999 print events.
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.anycubic_kobra2")
    broker = await make_mosquitto()
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.client.connected)
    topic = f"{REPORT_BASE}/print/report"
    await publish(broker.port, topic, json.dumps(envelope("print", "query", data={})).encode())
    await wait_until(lambda: coordinator.printer_available)
    await hass.async_block_till_done()
    writes = _count_writes(hass)
    seen = 0

    def count(_report: object) -> None:
        nonlocal seen
        seen += 1

    coordinator.async_add_report_listener(count)
    publisher = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HEAVY_PUBLISHER),
        str(broker.port),
        topic,
        str(FLOOD),
        "phases",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await publisher.communicate()
    assert int(out) == FLOOD
    await wait_until(lambda: seen >= FLOOD, timeout=60)
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()
    total = sum(writes.values())
    assert total <= 300, f"{total} state writes: {writes.most_common(5)}"
    assert writes[PRINT_STATE] <= 50
    assert writes[PRINT_EVENT] <= EVENTS_PER_MINUTE
    # The last state wins: the flood ended with a stop.
    assert state_of(hass, PRINT_STATE) == "stopped"
    assert coordinator.state.job is not None
    assert coordinator.state.job.taskid == f"{(FLOOD - 1) // 2:06d}"
    # Suppressed events are logged, once as a warning.
    warned = records(caplog, contains="print events a minute", level=logging.WARNING)
    assert len(warned) == 1
    # L5: the task ids of the flood are not all remembered.
    monitor = entry.runtime_data.repairs
    assert 0 < len(monitor._started_tasks) <= MAX_REMEMBERED_TASKS  # noqa: SLF001
