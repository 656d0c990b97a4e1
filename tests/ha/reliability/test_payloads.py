"""Hostile and excessive input (reliability.md §6, cases 13-15).

Malformed payloads through the real listener, property tests of the parser, and a flood of
10,000 reports published by a separate process (so the burst does not share our loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
import logging
import math
from pathlib import Path
import sys
from typing import Any

from homeassistant.core import HomeAssistant
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.anycubic_kobra2.kobra2 import client as client_module
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraParseError
from custom_components.anycubic_kobra2.kobra2.models import (
    BaseReport,
    FanReport,
    OnlineReport,
    Report,
    TemperatureReport,
)
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from custom_components.anycubic_kobra2.kobra2.state import PrinterState
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import entity, make_entry, setup_entry, state_of, wait_until
from tests.helpers.payloads import envelope, temperature_report

from .common import REPORT_BASE, BrokerLog, LoopLagProbe, publish, records, state_writes

# With derandomize on Python 3.14, Hypothesis warns about registering its own global PRNG.
pytestmark = pytest.mark.filterwarnings(
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]

NOZZLE = entity("sensor", "nozzle_temperature")
TOPIC = f"{REPORT_BASE}/tempature/report"
FLOOD_PUBLISHER = Path(__file__).with_name("flood_publisher.py")
FLOOD_SIZE = 10_000
FLOOD_LAST_NOZZLE = 250.5  # flood_publisher.nozzle_for(last)


def _temperature_text(nozzle_literal: str) -> bytes:
    """Return a temperature report whose nozzle value is written verbatim into the JSON."""
    head = json.dumps(envelope("tempature", "auto", data={"curr_hotbed_temp": 25}))
    return head.replace('"curr_hotbed_temp": 25', f'"curr_nozzle_temp": {nozzle_literal}').encode()


# Each entry: what it is → (topic suffix, payload). Sizes are real: the nesting is 200,000
# levels deep and the big one is over 1 MiB.
MALFORMED: dict[str, tuple[str, bytes]] = {
    "invalid UTF-8": ("tempature/report", b"\xff\xfe\xfa{}"),
    "not JSON": ("tempature/report", b"{this is not json"),
    "JSON scalar": ("tempature/report", b"42"),
    "JSON string": ("tempature/report", b'"tempature"'),
    "JSON null": ("tempature/report", b"null"),
    "JSON array": ("tempature/report", b'[{"type": "tempature", "action": "auto"}]'),
    "200000-deep nesting": ("tempature/report", b"[" * 200_000 + b"]" * 200_000),
    "deep object": ("tempature/report", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    "NaN": ("tempature/report", _temperature_text("NaN")),
    "Infinity": ("tempature/report", _temperature_text("Infinity")),
    "-Infinity": ("tempature/report", _temperature_text("-Infinity")),
    "5000-digit number": ("tempature/report", _temperature_text("9" * 5_000)),
    "huge float": ("tempature/report", _temperature_text("1e308")),
    "out-of-range temperature": ("tempature/report", _temperature_text("99999")),
    "negative temperature": ("tempature/report", _temperature_text("-4000")),
    "string temperature": ("tempature/report", _temperature_text('"hot"')),
    "object temperature": ("tempature/report", _temperature_text('{"value": 1}')),
    "data is a list": (
        "tempature/report",
        json.dumps(envelope("tempature", "auto", data=[1, 2])).encode(),
    ),
    "type is a number": (
        "tempature/report",
        json.dumps({**envelope("tempature", "auto", data={}), "type": 7}).encode(),
    ),
    "no action": ("tempature/report", json.dumps({"type": "tempature"}).encode()),
    "no type": ("tempature/report", json.dumps({"action": "auto", "data": {}}).encode()),
    "empty object": ("tempature/report", b"{}"),
    "empty payload": ("tempature/report", b""),
    "fan 1000 %": (
        "fan/report",
        json.dumps(envelope("fan", "auto", data={"fan_speed_pct": 1000})).encode(),
    ),
    "1 MiB payload": (
        "tempature/report",
        b'{"type":"tempature","action":"auto","data":{"pad":"' + b"x" * (1 << 20) + b'"}}',
    ),
    "unexpected topic": ("tempature/notareport", temperature_report(111)),
    "topic too deep": ("tempature/report/extra", temperature_report(112)),
}


def _numbers_in_range(state: PrinterState) -> dict[str, Any]:
    """Return the state's numeric readings that are not finite or not physically possible."""
    limits = {
        "nozzle": (-100, 1000),
        "bed": (-100, 1000),
        "target_nozzle": (0, 1000),
        "target_bed": (0, 1000),
        "fan_speed_pct": (0, 100),
    }
    bad = {}
    for name, (low, high) in limits.items():
        value = getattr(state, name)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            bad[name] = value
    return bad


# --- 13 --------------------------------------------------------------------------------------


async def test_malformed_payloads_are_dropped(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, info_logs: pytest.LogCaptureFixture
) -> None:
    """Checklist r13: Every malformed payload is dropped; the listener stays up and a valid report applies.

    No out-of-range value reaches the state, and all of them together produce one warning,
    with the payload truncated.
    """
    broker = await make_mosquitto()
    log = BrokerLog(broker)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    client_id = coordinator.client.client_id
    await publish(broker.port, TOPIC, temperature_report(30, bed=20))
    await wait_until(lambda: state_of(hass, NOZZLE) == "30.0")
    applied: list[Report] = []
    coordinator.async_add_report_listener(applied.append)
    info_logs.set_level(logging.DEBUG, logger=client_module.__name__)
    info_logs.clear()

    for suffix, payload in MALFORMED.values():
        await publish(broker.port, f"{REPORT_BASE}/{suffix}", payload)
    await publish(broker.port, TOPIC, temperature_report(187, bed=60))
    await wait_until(lambda: state_of(hass, NOZZLE) == "187.0", timeout=15)

    # Listener alive throughout: one connection, never dropped.
    assert coordinator.client.connected
    assert log.connected(client_id) == [client_id]
    # Each payload was handled: dropped with a log line (one WARNING, the rest at DEBUG), or
    # let through as a report whose impossible values became "unknown".
    dropped = records(info_logs, contains="Ignoring malformed")
    assert len(dropped) + len(applied) == len(MALFORMED) + 1
    for report in applied[:-1]:
        assert isinstance(report, TemperatureReport | FanReport)
        if isinstance(report, TemperatureReport):
            assert (report.nozzle, report.bed) == (None, None)
        else:
            assert report.fan_speed_pct is None
    assert _numbers_in_range(coordinator.state) == {}
    last = applied[-1]  # the valid report, after all the bad ones
    assert isinstance(last, TemperatureReport)
    assert (last.nozzle, last.bed) == (187.0, 60.0)
    assert coordinator.state.nozzle == 187.0

    warnings = records(info_logs, level=logging.WARNING)
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "malformed" in text
    assert len(text) < 600  # the payload is shown as a short preview
    # Every dropped payload is previewed at most 200 bytes long, the 1 MiB one included.
    assert max(len(record.getMessage()) for record in dropped) < 600
    assert not [r for r in records(info_logs) if r.levelno >= logging.ERROR or r.exc_info]


# --- 14 --------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)
TYPES = st.sampled_from(["tempature", "fan", "status", "lastWill", "print", "file", "ota", "x"])
ACTIONS = st.sampled_from(
    ["auto", "report", "workReport", "onlineReport", "start", "listLocal", ""]
)
ENVELOPES = st.fixed_dictionaries(
    {"type": TYPES, "action": ACTIONS},
    optional={
        "msgid": JSON_VALUES,
        "state": JSON_VALUES,
        "timestamp": JSON_VALUES,
        "code": JSON_VALUES,
        "msg": JSON_VALUES,
        "data": JSON_VALUES,
    },
)
# Arbitrary JSON, arbitrary bytes, and envelopes with arbitrary field values.
ANY_PAYLOAD = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    ENVELOPES.map(lambda message: json.dumps(message).encode()),
)
VALID_TEMPERATURES = st.fixed_dictionaries(
    {
        "curr_nozzle_temp": st.floats(-100, 1000, allow_nan=False),
        "curr_hotbed_temp": st.floats(-100, 1000, allow_nan=False),
        "target_nozzle_temp": st.integers(0, 260),
        "target_hotbed_temp": st.integers(0, 110),
    }
)


@settings(max_examples=500, derandomize=True, deadline=None, database=None)
@given(payload=ANY_PAYLOAD, valid=VALID_TEMPERATURES, online=st.booleans())
def test_parser_properties_hold_for_any_payload(
    payload: bytes, valid: dict[str, Any], online: bool
) -> None:
    """Checklist r14: Hypothesis, 500 derandomized examples of two properties.

    Any input gives a report or the parser's own KobraParseError (nothing else), and a
    state fed the report stays finite and in range; generated valid reports round-trip.
    """
    try:
        report = parse_report(TOPIC, payload)
    except KobraParseError:
        pass
    else:
        assert isinstance(report, BaseReport)
        state = PrinterState()
        state.apply(report)
        assert _numbers_in_range(state) == {}

    parsed = parse_report(TOPIC, json.dumps(envelope("tempature", "auto", data=valid)).encode())
    assert isinstance(parsed, TemperatureReport)
    assert (parsed.nozzle, parsed.bed) == (valid["curr_nozzle_temp"], valid["curr_hotbed_temp"])
    assert (parsed.target_nozzle, parsed.target_bed) == (
        valid["target_nozzle_temp"],
        valid["target_hotbed_temp"],
    )
    will = parse_report(
        f"{REPORT_BASE}/lastWill/report",
        json.dumps(
            envelope("lastWill", "onlineReport", state="online" if online else "offline")
        ).encode(),
    )
    assert isinstance(will, OnlineReport)
    assert will.online is online


# --- 15 --------------------------------------------------------------------------------------


async def test_flood_of_10000_reports_loses_nothing(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, info_logs: pytest.LogCaptureFixture
) -> None:
    """Checklist r15: 10,000 reports in a burst: none lost, memory bounded, writes coalesced, no loop stall.

    The incoming queue never exceeds its limit, the entity is written a few dozen times at
    most, the event loop never stalls for 100 ms (probe task, CPU starvation by other
    processes taken out), and the last report wins.
    """
    broker = await make_mosquitto()
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    client = coordinator.client
    await wait_until(lambda: client.connected)
    seen: list[float | None] = []
    coordinator.async_add_report_listener(
        lambda report: seen.append(report.nozzle) if isinstance(report, TemperatureReport) else None
    )
    updates = 0

    def on_update() -> None:
        nonlocal updates
        updates += 1

    coordinator.async_add_listener(on_update)
    writes = state_writes(hass, NOZZLE)
    queue_peak = 0

    def sample_queue() -> None:
        nonlocal queue_peak
        mqtt = client._mqtt  # noqa: SLF001
        if mqtt is not None:
            queue_peak = max(queue_peak, len(mqtt.messages))

    async with LoopLagProbe() as probe:
        probe.on_sample = sample_queue
        publisher = await asyncio.create_subprocess_exec(
            sys.executable,
            str(FLOOD_PUBLISHER),
            str(broker.port),
            TOPIC,
            str(FLOOD_SIZE),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await publisher.communicate()
        assert publisher.returncode == 0
        assert int(out) == FLOOD_SIZE
        await wait_until(lambda: len(seen) >= FLOOD_SIZE, timeout=30)
        await hass.async_block_till_done()
    assert len(seen) == FLOOD_SIZE  # nothing lost, nothing twice
    assert seen[-1] == FLOOD_LAST_NOZZLE
    # Last report wins, in the state and in the entity.
    assert coordinator.state.nozzle == FLOOD_LAST_NOZZLE
    assert state_of(hass, NOZZLE) == str(FLOOD_LAST_NOZZLE)
    assert writes[-1] == str(FLOOD_LAST_NOZZLE)
    # Coalesced: a handful of entity updates instead of 10,000.
    assert 1 <= updates <= 100
    assert len(writes) <= 100
    # Bounded memory: the incoming queue stayed under its limit, so nothing was dropped.
    assert queue_peak <= client_module._MAX_QUEUED_MESSAGES  # noqa: SLF001
    assert not records(info_logs, contains="arrive faster")
    assert probe.samples > 0
    assert probe.max_stall < 0.1, f"loop stalled {probe.max_stall * 1000:.0f} ms"
