"""The broker link under faults (reliability.md §6, cases 1-5, 16, 17 and 19).

Restarts, a hung broker, a broker that is not there, a silent printer, its Last Will,
unload/reload/stop, client-id clashes and errors inside the loop. Cases 1-5, 16, 17 and 19 of reliability.md §6. Faults are injected into a real mosquitto
subprocess (SIGTERM, SIGSTOP/SIGCONT, restart on the same port).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from datetime import timedelta
import logging
import re
import time
from typing import Any

import aiomqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.anycubic_kobra2.const import (
    CONF_POLL_INTERVAL,
    CONF_PRINTER_ID,
    CONF_STALE_TIMEOUT,
    DOMAIN,
    MAX_POLL_INTERVAL,
    SETUP_CONNECT_TIMEOUT,
)
from custom_components.anycubic_kobra2.kobra2 import (
    client as client_module,
    routing as routing_module,
)
from custom_components.anycubic_kobra2.kobra2.models import Report, TemperatureReport
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import LOOPBACK, MosquittoBroker
from tests.helpers.entry import (
    FILE_LISTS,
    FULL_STATE,
    available,
    entity,
    entry_data,
    make_entry,
    settle,
    setup_entry,
    state_of,
    wait_printer_ready,
    wait_until,
)
from tests.helpers.payloads import last_will, temperature_report

from .common import (
    KEEPALIVE,
    MAX_BACKOFF,
    REPORT_BASE,
    REPORT_FILTER,
    SUBSCRIBE_LOGGING,
    BrokerLog,
    established_clients,
    publish,
    records,
    state_writes,
)

NOZZLE = entity("sensor", "nozzle_temperature")
ONLINE = entity("binary_sensor", "online")

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]


def commands_received(sim: KobraSimulator) -> list[tuple[str, str]]:
    """Return (type, action) of every command the simulator got so far."""
    return [(command.type, command.action) for command in sim.received]


def temperatures(coordinator: Any) -> list[float | None]:
    """Record the nozzle temperature of every temperature report the coordinator applies."""
    seen: list[float | None] = []

    def listener(report: Report) -> None:
        if isinstance(report, TemperatureReport):
            seen.append(report.nozzle)

    coordinator.async_add_report_listener(listener)
    return seen


def count_connection_attempts(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the time of every connection attempt the integration makes (they still happen)."""
    attempts: list[float] = []
    real_open = client_module._open_client  # noqa: SLF001

    async def counting_open(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        return await real_open(*args, **kwargs)

    monkeypatch.setattr(client_module, "_open_client", counting_open)
    return attempts


def availability_logs(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """Return the INFO lines saying the printer became unavailable / available."""
    lost = [r.getMessage() for r in records(caplog, contains="is unavailable", level=logging.INFO)]
    back = [r.getMessage() for r in records(caplog, contains="is available", level=logging.INFO)]
    return lost, back


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the integration's WARNING+ records and any record carrying a traceback."""
    return [r for r in records(caplog) if r.levelno >= logging.WARNING or r.exc_info]


# --- 1 ---------------------------------------------------------------------------------------


async def test_broker_restart_mid_session_is_survived(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r01: A broker restart (SIGTERM, same port) is survived without a reload.

    Entities are unavailable within 1 s, come back without a reload within backoff cap + 1 s,
    the client subscribed once per connection (one report → one state update), the full state
    is requested again, and the log holds exactly one "lost" and one "restored" INFO line.
    """
    broker = await make_mosquitto(extra_config=SUBSCRIBE_LOGGING)
    sim = await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    client = coordinator.client
    client_id = client.client_id
    info_logs.clear()

    await broker.stop()
    gone = await wait_until(lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE, timeout=1.0)
    assert gone < 1.0
    # The connectivity sensor itself describes the broker link: unavailable without it.
    await wait_until(lambda: state_of(hass, ONLINE) == STATE_UNAVAILABLE, timeout=1.0)
    # Down long enough for several failed attempts, so the backoff is really in play.
    await asyncio.sleep(1.5)
    sim.received.clear()
    await broker.start()
    restarted = time.monotonic()
    await wait_until(lambda: available(hass, NOZZLE), timeout=MAX_BACKOFF + 1.0)
    assert time.monotonic() - restarted <= MAX_BACKOFF + 1.0
    # Recovered in place: same entry, coordinator and client, no reload.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is coordinator
    assert coordinator.client is client
    # Asked for everything again once the printer is back on the broker.
    await wait_until(lambda: all(cmd in commands_received(sim) for cmd in FULL_STATE))

    # Broker side: two connections of this client, each subscribed exactly once.
    log = BrokerLog(broker)
    await wait_until(lambda: len(log.subscriptions(client_id)) == 2)
    assert log.connected(client_id) == [client_id, client_id]
    assert log.subscriptions(client_id) == [REPORT_FILTER, REPORT_FILTER]

    # One report, one delivery, one state write.
    seen = temperatures(coordinator)
    writes = state_writes(hass, NOZZLE)
    await publish(broker.port, f"{REPORT_BASE}/tempature/report", temperature_report(187))
    await wait_until(lambda: state_of(hass, NOZZLE) == "187.0")
    await asyncio.sleep(0.3)
    assert seen.count(187.0) == 1
    assert writes.count("187.0") == 1

    lost, back = availability_logs(info_logs)
    assert len(lost) == 1
    # mosquitto publishes the printer's will as it shuts down, which may arrive first.
    assert "broker connection lost" in lost[0] or "printer reported offline" in lost[0]
    assert len(back) == 1
    assert problems(info_logs) == []


# --- 2 ---------------------------------------------------------------------------------------


async def test_half_open_link_is_detected_and_recovers(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r02: SIGSTOP the broker: detected within 2 × keepalive + 1 s; after SIGCONT it recovers alone."""
    broker = await make_mosquitto()
    await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    info_logs.clear()

    broker.freeze()
    try:
        detected = await wait_until(
            lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE, timeout=2 * KEEPALIVE + 1.0
        )
        assert not coordinator.client.connected
    finally:
        broker.thaw()
    assert detected <= 2 * KEEPALIVE + 1.0
    await wait_until(lambda: available(hass, NOZZLE), timeout=MAX_BACKOFF + 3.0)
    assert coordinator.client.connected
    assert entry.runtime_data is coordinator
    lost, back = availability_logs(info_logs)
    assert (len(lost), len(back)) == (1, 1)
    assert problems(info_logs) == []


# --- 3 ---------------------------------------------------------------------------------------


async def test_broker_down_at_setup_retries_then_loads(
    hass: HomeAssistant,
    mosquitto_broker: MosquittoBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checklist r03: Broker down at setup: SETUP_RETRY at once, retries on a growing schedule, then loads.

    ConfigEntryNotReady is the chosen behaviour; attempts are counted (no tight loop).
    """
    attempts = count_connection_attempts(monkeypatch)
    broker = mosquitto_broker
    await broker.stop()
    entry = make_entry(broker)

    started = time.monotonic()
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert time.monotonic() - started < SETUP_CONNECT_TIMEOUT
    assert len(attempts) == 1

    # Nothing hammers the dead port meanwhile.
    await asyncio.sleep(1.5)
    assert len(attempts) == 1

    # Home Assistant's retry schedule: 5 s, then 10 s (time travel; the broker is a subprocess).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await wait_until(lambda: entry.state is ConfigEntryState.SETUP_RETRY and len(attempts) == 2)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await asyncio.sleep(0.5)
    assert len(attempts) == 2
    assert entry.state is ConfigEntryState.SETUP_RETRY

    await broker.start()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await wait_until(lambda: entry.state is ConfigEntryState.LOADED)
    assert len(attempts) == 3
    assert entry.runtime_data.client.connected


# --- 4 ---------------------------------------------------------------------------------------


async def test_silent_printer_is_unavailable_until_it_reports(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r04: A printer silent past the watchdog is unavailable; its next report restores it.

    One INFO line each way, and the recovery requests the full state and the file lists (once).
    """
    broker = await make_mosquitto()
    # Connected and answering, but it never speaks unasked.
    sim = await make_printer(broker, quiet=True)
    entry = make_entry(
        broker, options={CONF_STALE_TIMEOUT: 100, CONF_POLL_INTERVAL: MAX_POLL_INTERVAL}
    )
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    await asyncio.sleep(0.2)  # the setup's refresh answers are all in
    info_logs.clear()
    sim.received.clear()

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=101))
    await wait_until(lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE)
    assert state_of(hass, ONLINE) == STATE_OFF
    assert coordinator.client.connected  # the broker link is fine: only the printer is silent
    lost, back = availability_logs(info_logs)
    assert len(lost) == 1
    assert "no report for 100 s" in lost[0]
    assert back == []
    assert not sim.received  # nothing was asked of it during the silence (no poll is due)

    await sim.publish_raw("tempature/report", temperature_report(31))
    await wait_until(lambda: available(hass, NOZZLE))
    assert state_of(hass, ONLINE) == STATE_ON
    # The state and, since the printer is back, its files: each requested exactly once.
    expected = sorted(FULL_STATE + FILE_LISTS)
    await wait_until(lambda: sorted(commands_received(sim)) == expected)
    await asyncio.sleep(0.3)
    assert sorted(commands_received(sim)) == expected
    lost, back = availability_logs(info_logs)
    assert (len(lost), len(back)) == (1, 1)
    assert problems(info_logs) == []


# --- 5 ---------------------------------------------------------------------------------------


async def test_last_will_decides_availability(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, make_printer: MakePrinter
) -> None:
    """Checklist r05: The printer's Last Will decides availability even with the broker link up.

    Offline makes entities unavailable; online plus fresh reports restores them; any other
    state counts as offline; a retained will is honoured after a reload.
    """
    broker = await make_mosquitto()
    sim = await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    will_topic = f"{REPORT_BASE}/lastWill/report"

    await publish(broker.port, will_topic, last_will("offline"))
    await wait_until(lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE)
    assert state_of(hass, ONLINE) == STATE_OFF
    assert coordinator.client.connected

    sim.received.clear()
    await publish(broker.port, will_topic, last_will("online"))
    await wait_until(lambda: available(hass, NOZZLE))
    assert state_of(hass, ONLINE) == STATE_ON
    # Back online: everything is asked for again and the printer's answers are fresh reports.
    await wait_until(lambda: all(cmd in commands_received(sim) for cmd in FULL_STATE))
    # The printer's answers prove it online; they must be in before the next will is published.
    await settle(coordinator, sim)

    for odd in ("rebooting", "", "OFFLINE"):
        await publish(broker.port, will_topic, last_will(odd))
        await wait_until(lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE)
        await sim.publish_raw("tempature/report", temperature_report(40))
        await wait_until(lambda: available(hass, NOZZLE))

    # A retained offline will (the printer lost power while Home Assistant was away).
    await sim.stop()
    await publish(broker.port, will_topic, last_will("offline"), retain=True)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    reloaded = entry.runtime_data
    await wait_until(lambda: reloaded.client.connected and reloaded.state.online is False)
    assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE
    assert state_of(hass, ONLINE) == STATE_OFF


# --- 16 --------------------------------------------------------------------------------------


async def test_unload_reload_and_stop_are_clean(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, info_logs: pytest.LogCaptureFixture
) -> None:
    """Checklist r16: Unload, reload and Home Assistant stop are quick and clean.

    Unload and stop finish within 2 s even with a frozen broker; a reload leaves exactly one
    client connected (counted at the broker); no error logs. phacc's verify_cleanup then
    checks that no task, timer or thread is left behind.
    """
    broker = await make_mosquitto()
    log = BrokerLog(broker)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    client_id = coordinator.client.client_id
    await wait_until(lambda: established_clients(broker.port) == 1)

    started = time.monotonic()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert time.monotonic() - started < 2.0
    assert entry.runtime_data is not coordinator
    assert not coordinator.client.connected
    await wait_until(lambda: entry.runtime_data.client.connected)
    await asyncio.sleep(0.3)
    assert established_clients(broker.port) == 1
    assert log.connected(client_id) == [client_id, client_id]

    # Unload while the broker is hung.
    broker.freeze()
    try:
        started = time.monotonic()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        unload_time = time.monotonic() - started
    finally:
        broker.thaw()
    assert unload_time < 2.0
    assert entry.state is ConfigEntryState.NOT_LOADED
    await wait_until(lambda: established_clients(broker.port) == 0)

    # Home Assistant stopping, again with the broker hung.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    stopping = entry.runtime_data
    assert stopping.client.connected
    broker.freeze()
    try:
        started = time.monotonic()
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await hass.async_block_till_done()
        stop_time = time.monotonic() - started
    finally:
        broker.thaw()
    assert stop_time < 2.0
    assert not stopping.client.connected
    await wait_until(lambda: established_clients(broker.port) == 0)
    assert [r for r in records(info_logs) if r.levelno >= logging.ERROR] == []


async def test_reload_with_a_hung_broker_finishes_quickly(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r16: A reload while the broker is frozen finishes within 2 s; the link comes back alone.

    Setup waits SETUP_BROKER_ANSWER_TIMEOUT for the hung broker, then loads with the
    entities unavailable. After SIGCONT exactly one client of ours is connected (plus the
    printer's), the printer's full state is asked for again and the entities recover
    without another reload.
    """
    broker = await make_mosquitto()
    sim = await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    before = await wait_printer_ready(hass, entry)
    client_id = before.client.client_id
    log = BrokerLog(broker).mark()

    broker.freeze()
    try:
        started = time.monotonic()
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        reload_time = time.monotonic() - started
        assert entry.state is ConfigEntryState.LOADED
        assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE
        sim.received.clear()
    finally:
        broker.thaw()
    assert reload_time < 2.0
    after = entry.runtime_data
    assert after is not before
    assert not after.client.connected

    await wait_until(lambda: available(hass, NOZZLE), timeout=MAX_BACKOFF + 15.0)
    await wait_until(lambda: set(FULL_STATE) <= set(commands_received(sim)))
    assert entry.runtime_data is after
    await asyncio.sleep(0.5)
    # Ours and the simulated printer's; the attempts given up while frozen are gone.
    assert established_clients(broker.port) == 2
    assert log.connected(client_id)[-1:] == [client_id]
    assert [r for r in records(info_logs) if r.levelno >= logging.ERROR] == []


# --- 17 --------------------------------------------------------------------------------------


async def test_client_id_is_valid_and_stable_across_reload(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto
) -> None:
    """Checklist r17: the client id is <= 23 characters of [0-9a-zA-Z], the same after a reload."""
    broker = await make_mosquitto()
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    client_id = entry.runtime_data.client.client_id
    assert re.fullmatch(r"[0-9a-zA-Z]{1,23}", client_id)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.client.client_id == client_id


async def test_second_entry_gets_its_own_client_id(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto
) -> None:
    """Checklist r17: a second printer on the same broker connects with another valid client id."""
    broker = await make_mosquitto()
    log = BrokerLog(broker)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    client_id = entry.runtime_data.client.client_id
    # A second printer on the same broker.
    other_id = "0123456789abcdef0123456789abcdef"
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Kobra 2 Max",
        unique_id=other_id,
        data={**entry_data(broker), CONF_PRINTER_ID: other_id},
    )
    await setup_entry(hass, other)
    other_client = other.runtime_data.client.client_id
    assert re.fullmatch(r"[0-9a-zA-Z]{1,23}", other_client)
    assert other_client != client_id
    await wait_until(lambda: established_clients(broker.port) == 2)
    assert sorted(set(log.connected())) == sorted({client_id, other_client})
    assert await hass.config_entries.async_unload(other.entry_id)


async def test_client_id_clash_meets_backoff_and_one_warning(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    monkeypatch: pytest.MonkeyPatch,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r17: a second client taking the client id over causes no ping-pong storm."""
    broker = await make_mosquitto()
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    client_id = entry.runtime_data.client.client_id
    await wait_until(lambda: entry.runtime_data.client.connected)

    # Another client (a second Home Assistant, say) keeps connecting with the same id.
    attempts = count_connection_attempts(monkeypatch)
    info_logs.clear()
    window = 6.0
    intruder_connects = 0
    stop = asyncio.Event()

    async def intruder() -> None:
        """Connect with the integration's client id again 0.1 s after being kicked out."""
        nonlocal intruder_connects
        while not stop.is_set():
            with contextlib.suppress(aiomqtt.MqttError):
                async with aiomqtt.Client(LOOPBACK, broker.port, identifier=client_id) as mqtt:
                    intruder_connects += 1
                    async for _message in mqtt.messages:
                        pass
            await asyncio.sleep(0.1)

    task = asyncio.create_task(intruder())
    try:
        await asyncio.sleep(window)
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # The clash really happened: the intruder was thrown out and came back repeatedly.
    assert intruder_connects >= 3
    # The integration's reconnects follow its backoff (0.5, 1, 2, 2 ... s, jittered): at most
    # 6 in the window. Answering every kick at once would take dozens.
    assert 2 <= len(attempts) <= 6
    warnings = [
        r.getMessage()
        for r in records(info_logs, level=logging.WARNING)
        if client_id in r.getMessage()
    ]
    assert len(warnings) == 1
    assert "another client may be using the client id" in warnings[0]

    # Once the other client is gone, the integration holds the connection again.
    await wait_until(lambda: entry.runtime_data.client.connected, timeout=MAX_BACKOFF + 2)
    assert established_clients(broker.port) == 1


# --- 19 --------------------------------------------------------------------------------------


async def test_unexpected_exception_is_logged_once_and_reconnects(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    monkeypatch: pytest.MonkeyPatch,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """Checklist r19: A non-MQTT exception is logged once with a traceback and the loop reconnects.

    A failing report listener is logged once too and does not even drop the link.
    """
    broker = await make_mosquitto()
    log = BrokerLog(broker)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    client = coordinator.client
    client_id = client.client_id
    topic = f"{REPORT_BASE}/tempature/report"

    # (a) A report listener that raises on every report.
    def broken_listener(_report: Report) -> None:
        raise RuntimeError("listener bug")

    coordinator.async_add_report_listener(broken_listener)
    for nozzle in (30, 31, 32):
        await publish(broker.port, topic, temperature_report(nozzle))
    await wait_until(lambda: state_of(hass, NOZZLE) == "32.0")
    listener_errors = [r for r in records(info_logs) if r.exc_info and "listener" in r.getMessage()]
    assert len(listener_errors) == 1
    assert listener_errors[0].exc_info is not None
    assert isinstance(listener_errors[0].exc_info[1], RuntimeError)
    assert log.connected(client_id) == [client_id]  # the link never dropped

    # (b) An error inside the loop itself (a bug where no error is expected), three times.
    real_parse = routing_module.parse_report

    def parse_with_bug(topic: str, payload: bytes) -> Any:
        """Parse, except that a payload with "boom" hits a bug."""
        if b"boom" in payload:
            raise RuntimeError("parser bug")
        return real_parse(topic, payload)

    monkeypatch.setattr(routing_module, "parse_report", parse_with_bug)
    for attempt in range(3):
        connected_before = len(log.connected(client_id))
        await publish(broker.port, topic, b'{"boom": true}')
        await wait_until(lambda: len(log.connected(client_id)) == connected_before + 1)
        await wait_until(lambda: client.connected)
        task = client._task  # noqa: SLF001
        assert task is not None
        assert not task.done(), attempt

    loop_errors = [r for r in records(info_logs) if r.exc_info and "MQTT loop" in r.getMessage()]
    assert len(loop_errors) == 1
    assert loop_errors[0].levelno == logging.ERROR
    assert loop_errors[0].exc_info is not None
    assert isinstance(loop_errors[0].exc_info[1], RuntimeError)

    # Still serving: a valid report afterwards is applied.
    await publish(broker.port, topic, temperature_report(188))
    await wait_until(lambda: state_of(hass, NOZZLE) == "188.0")
    assert entry.state is ConfigEntryState.LOADED
