"""Helpers for the reliability suite: broker-side observation, loop-lag probe, raw publishing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import re
from typing import Any

import aiomqtt
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest

from tests.helpers.brokers import LOOPBACK, MosquittoBroker
from tests.helpers.payloads import MODEL_ID, PRINTER_ID

PACKAGE_LOGGER = "custom_components.anycubic_kobra2"
SIMULATOR_LOGGER = "kobra2_sim"
REPORT_BASE = f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{PRINTER_ID}"
COMMAND_BASE = f"anycubic/anycubicCloud/v1/server/printer/{MODEL_ID}/{PRINTER_ID}"
REPORT_FILTER = f"{REPORT_BASE}/#"
COMMAND_FILTER = "anycubic/anycubicCloud/v1/server/#"

# Test timings (reliability.md §6 assumes keepalive <= 5 s and a backoff capped at 2 s).
KEEPALIVE = 2
MIN_BACKOFF = 0.5
MAX_BACKOFF = 2.0

# mosquitto 2.0 and 2.1 word their log lines slightly differently; these match both.
_CONNECTED = re.compile(r"New client connected from \S+ as (\S+) \(")
_SUBSCRIBE = re.compile(r"^\d+: (\S+) (\d) (\S+)$")
_NOT_AUTHORISED = re.compile(r"disconnected[,:] not authori[sz]ed", re.IGNORECASE)


async def publish(
    port: int,
    topic: str,
    payload: bytes,
    *,
    retain: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> None:
    """Publish one message with a short-lived client (what a printer or a bystander would send)."""
    async with aiomqtt.Client(
        LOOPBACK, port, username=username, password=password, timeout=5
    ) as client:
        await client.publish(topic, payload, qos=1, retain=retain)


def records(
    caplog: pytest.LogCaptureFixture, *, contains: str = "", level: int | None = None
) -> list[logging.LogRecord]:
    """Return the integration's log records (not the simulator's), filtered by text and level."""
    return [
        rec
        for rec in caplog.records
        if rec.name.startswith(PACKAGE_LOGGER)
        and not rec.name.startswith(SIMULATOR_LOGGER)
        and contains in rec.getMessage()
        and (level is None or rec.levelno == level)
    ]


def state_writes(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Record every new state written for entity_id from now on (a live list)."""
    written: list[str] = []

    @callback
    def on_change(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == entity_id and new is not None:
            written.append(new.state)

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return written


@dataclass
class BrokerLog:
    """What mosquitto wrote to its log (connections, subscriptions), read from a mark on."""

    broker: MosquittoBroker
    start: int = 0

    def lines(self) -> list[str]:
        """Return the log lines since the mark."""
        return self.broker.read_log().splitlines()[self.start :]

    def mark(self) -> BrokerLog:
        """Return a view starting at the current end of the log."""
        return BrokerLog(self.broker, len(self.broker.read_log().splitlines()))

    def connected(self, client_id: str | None = None) -> list[str]:
        """Return the client ids that completed CONNECT (optionally only client_id)."""
        ids = [m.group(1) for line in self.lines() if (m := _CONNECTED.search(line))]
        return [cid for cid in ids if client_id is None or cid == client_id]

    def refused_logins(self) -> int:
        """Return how many CONNECTs were refused as not authorised."""
        return sum(1 for line in self.lines() if _NOT_AUTHORISED.search(line))

    def subscriptions(self, client_id: str | None = None) -> list[str]:
        """Return the topic filters subscribed to (needs `log_type subscribe`)."""
        subs = [(m.group(1), m.group(3)) for line in self.lines() if (m := _SUBSCRIBE.match(line))]
        return [topic for cid, topic in subs if client_id is None or cid == client_id]


SUBSCRIBE_LOGGING = ["log_type subscribe"]


def established_clients(port: int) -> int:
    """Count established TCP connections on the broker's side of 127.0.0.1:port (from /proc)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state == "01" and int(local.split(":")[1], 16) == port:
            count += 1
    return count


@dataclass
class Watched:
    """A message seen by a watcher."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass
class Watcher:
    """A bystander client recording every message on a topic filter."""

    messages: list[Watched] = field(default_factory=list)

    def payloads(self) -> list[dict[str, Any]]:
        """Return the messages decoded as JSON objects."""
        return [json.loads(msg.payload) for msg in self.messages]


@contextlib.asynccontextmanager
async def watching(port: int, topic_filter: str = COMMAND_FILTER) -> AsyncIterator[Watcher]:
    """Subscribe a bystander at QoS 1 (so a message keeps the QoS it was published with)."""
    watcher = Watcher()
    async with aiomqtt.Client(LOOPBACK, port, identifier="reliabilitywatcher", timeout=5) as mqtt:
        await mqtt.subscribe(topic_filter, qos=1)

        async def collect() -> None:
            async for message in mqtt.messages:
                payload = message.payload
                watcher.messages.append(
                    Watched(
                        message.topic.value,
                        payload if isinstance(payload, bytes) else str(payload).encode(),
                        message.qos,
                        message.retain,
                    )
                )

        task = asyncio.create_task(collect())
        try:
            yield watcher
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _runqueue_wait() -> float:
    """Return the seconds this thread has spent waiting for a CPU (Linux schedstat), else 0."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class LoopLagProbe:
    """Measures the longest stall of the event loop while it runs.

    A task sleeps in short steps; when a callback blocks the loop for X ms the task wakes X
    ms late. Time the thread spent waiting for a CPU (other processes on a busy 2-core
    machine) is not the loop's doing and is taken out, from /proc/thread-self/schedstat.
    """

    def __init__(self, step: float = 0.005) -> None:
        self.step = step
        self.max_stall = 0.0
        self.max_lateness = 0.0
        self.samples = 0
        self.on_sample: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        """Sleep, measure the lateness, repeat."""
        loop = asyncio.get_running_loop()
        while True:
            before, waited_before = loop.time(), _runqueue_wait()
            await asyncio.sleep(self.step)
            lateness = loop.time() - before - self.step
            starved = _runqueue_wait() - waited_before
            self.max_lateness = max(self.max_lateness, lateness)
            self.max_stall = max(self.max_stall, lateness - starved)
            self.samples += 1
            if self.on_sample is not None:
                self.on_sample()

    async def __aenter__(self) -> LoopLagProbe:
        """Start probing."""
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass(frozen=True)
class SslLoad:
    """One certificate/CA load on an SSLContext."""

    method: str
    on_loop: bool
    stack: str


class SslGuard:
    """Every SSLContext certificate load, and whether it ran on the event-loop thread."""

    def __init__(self, loop_thread: int) -> None:
        self.loop_thread = loop_thread
        self.loads: list[SslLoad] = []

    def on_loop(self) -> list[SslLoad]:
        """Return the loads that ran on the event loop (each one is a bug)."""
        return [load for load in self.loads if load.on_loop]

    def methods(self) -> set[str]:
        """Return which load methods ran at all (to prove the guard saw the work)."""
        return {load.method for load in self.loads}

    def assert_clean(self) -> None:
        """Fail with the stack of the first load that ran on the event loop."""
        bad = self.on_loop()
        assert not bad, f"{bad[0].method} ran on the event loop:\n{bad[0].stack}"
