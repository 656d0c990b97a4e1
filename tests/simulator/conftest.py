"""Fixtures for simulator tests: a bare aiomqtt observer and simulators on the test brokers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import json
from typing import Any
import uuid

import aiomqtt
import pytest

from kobra2_sim import (
    KobraSimulator,
    SimFile,
    SimulatorConfig,
)
from tests.helpers.brokers import AnyBroker

REPORTS = "anycubic/anycubicCloud/v1/printer/public/+/+/#"

# Fast but still stepwise: a 60 s print takes about 0.1 s, reports come every 20-50 ms.
FAST: dict[str, Any] = {
    "time_scale": 600.0,
    "temp_interval": 0.05,
    "report_interval": 0.02,
    "tick_interval": 0.01,
    "reconnect_delay": 0.05,
    "ota_seconds": 20.0,
}
SHORT_PRINT = SimFile("/short.gcode", 120_000, print_seconds=60)
LONG_PRINT = SimFile("/long.gcode", 9_000_000, print_seconds=36_000)


@dataclass
class Seen:
    """One report as a bare MQTT client received it."""

    topic: str
    raw: bytes
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def action(self) -> str:
        return str(self.body.get("action"))

    @property
    def state(self) -> str:
        return str(self.body.get("state"))

    @property
    def data(self) -> Any:
        return self.body.get("data")


class Observer:
    """A plain aiomqtt client that records every report and sends raw commands."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.seen: list[Seen] = []
        self._queue: asyncio.Queue[Seen] = asyncio.Queue()

    async def pump(self) -> None:
        async for message in self.client.messages:
            raw = message.payload if isinstance(message.payload, bytes) else b""
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            seen = Seen(str(message.topic), raw, body if isinstance(body, dict) else {})
            self.seen.append(seen)
            self._queue.put_nowait(seen)

    def clear(self) -> None:
        """Forget queued reports (history in `seen` stays)."""
        while not self._queue.empty():
            self._queue.get_nowait()

    async def expect(
        self,
        type_: str,
        action: str | None = None,
        state: str | None = None,
        *,
        timeout: float = 5.0,
        where: Callable[[Seen], bool] | None = None,
    ) -> Seen:
        """Consume reports until one matches; other reports are skipped."""
        async with asyncio.timeout(timeout):
            while True:
                seen = await self._queue.get()
                if seen.type != type_ or (action is not None and seen.action != action):
                    continue
                if state is not None and seen.state != state:
                    continue
                if where is not None and not where(seen):
                    continue
                return seen

    async def collect(
        self, type_: str, action: str, until_state: str, timeout: float = 5.0
    ) -> list[Seen]:
        """All (type, action-agnostic) print reports up to and including one in until_state."""
        got: list[Seen] = []
        async with asyncio.timeout(timeout):
            while True:
                seen = await self._queue.get()
                if seen.type != type_:
                    continue
                got.append(seen)
                if seen.action == action and seen.state == until_state:
                    return got

    async def send(
        self,
        sim: KobraSimulator,
        type_: str,
        action: str,
        data: Any = None,
        *,
        suffix: str | None = None,
        msgid: str | None = None,
        escape: bool = True,
        omit_data: bool = False,
    ) -> str:
        """Publish a command like KU/KUGO do (slashes escaped); returns its msgid."""
        msgid = msgid or str(uuid.uuid4())
        body: dict[str, Any] = {
            "type": type_,
            "action": action,
            "msgid": msgid,
            "timestamp": 1709900000000,
        }
        if not omit_data:
            body["data"] = data
        text = json.dumps(body)
        if escape:
            text = text.replace("/", "\\/")
        topic = sim.command_base + ("/" + type_ if suffix is None else suffix)
        await self.client.publish(topic, text.encode())
        return msgid

    async def publish(self, topic: str, payload: bytes) -> None:
        await self.client.publish(topic, payload)


@contextlib.asynccontextmanager
async def observing(port: int, **kwargs: Any) -> AsyncIterator[Observer]:
    """Connect an observer subscribed to every printer report."""
    async with aiomqtt.Client("127.0.0.1", port, **kwargs) as client:
        await client.subscribe(REPORTS)
        observer = Observer(client)
        task = asyncio.get_running_loop().create_task(observer.pump())
        try:
            yield observer
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await task


@pytest.fixture
async def observer(broker: AnyBroker) -> AsyncIterator[Observer]:
    """Provide an observer on the parametrised broker."""
    async with observing(broker.port) as obs:
        yield obs


type MakeSimulator = Callable[..., Awaitable[KobraSimulator]]


@pytest.fixture
def make_sim(make_simulator: MakeSimulator) -> MakeSimulator:
    """Provide a factory starting simulators (fast settings unless overridden), stopped at teardown."""

    async def factory(port: int, *, start: bool = True, **overrides: Any) -> KobraSimulator:
        options = {**FAST, **overrides}
        options.setdefault("local_files", (SHORT_PRINT, LONG_PRINT))
        return await make_simulator(SimulatorConfig(port=port, **options), start=start)

    return factory
