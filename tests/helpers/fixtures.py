"""Pytest fixtures with no Home Assistant: real MQTT brokers and simulated printers.

Loaded as a plugin from tests/conftest.py, so every suite has them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kobra2_sim import KobraSimulator, SimulatorConfig

from .brokers import AmqttBroker, AnyBroker, MosquittoBroker, reap_all

# Every broker fixture depends on `socket_enabled`: Home Assistant's test plugin blocks
# sockets (pytest-socket) for each test; the fixture re-enables them for this test only.
# Connections stay limited to 127.0.0.1 by the plugin's allow-list, which is all we use.


@pytest.fixture
async def amqtt_broker(socket_enabled: None) -> AsyncIterator[AmqttBroker]:
    """Provide an anonymous amqtt broker in the test's event loop."""
    broker = AmqttBroker()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()


@pytest.fixture
async def mosquitto_broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    """Provide an anonymous mosquitto broker (subprocess, reaped at teardown)."""
    broker = MosquittoBroker(workdir=tmp_path / "mosquitto")
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()


@pytest.fixture(params=["amqtt", "mosquitto"])
async def broker(
    request: pytest.FixtureRequest, socket_enabled: None, tmp_path: Path
) -> AsyncIterator[AnyBroker]:
    """Provide an anonymous broker; tests using it run once against amqtt and once against mosquitto."""
    made: AnyBroker
    if request.param == "amqtt":
        made = AmqttBroker()
    else:
        made = MosquittoBroker(workdir=tmp_path / "mosquitto")
    await made.start()
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def make_mosquitto(
    socket_enabled: None, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[MosquittoBroker]]]:
    """Provide a factory for mosquitto brokers with options (users=, tls=, require_certificate=, pki=).

    Every broker it made is stopped at teardown.
    """
    made: list[MosquittoBroker] = []

    async def factory(**options: Any) -> MosquittoBroker:
        workdir = tmp_path / f"mosquitto-{len(made)}"
        return await _started(made, MosquittoBroker(workdir=workdir, **options))

    try:
        yield factory
    finally:
        for broker in made:
            await broker.close()


@pytest.fixture
async def make_amqtt(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[AmqttBroker]]]:
    """Provide a factory for amqtt brokers (username=, password=, tls=, pki=); all closed at teardown."""
    made: list[AmqttBroker] = []

    async def factory(**options: Any) -> AmqttBroker:
        return await _started(made, AmqttBroker(**options))

    try:
        yield factory
    finally:
        for broker in made:
            await broker.close()


async def _started[B: (AmqttBroker, MosquittoBroker)](made: list[B], broker: B) -> B:
    """Start broker, remembering it in made first (so teardown closes it even if start fails)."""
    made.append(broker)
    await broker.start()
    return broker


@pytest.fixture
async def make_simulator() -> AsyncIterator[Callable[..., Awaitable[KobraSimulator]]]:
    """Provide a factory for simulated printers (started unless start=False); all stopped at teardown."""
    made: list[KobraSimulator] = []

    async def factory(config: SimulatorConfig, *, start: bool = True) -> KobraSimulator:
        sim = KobraSimulator(config)
        made.append(sim)
        if start:
            await sim.start()
        return sim

    try:
        yield factory
    finally:
        for sim in made:
            await sim.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Reap any mosquitto a crashed or interrupted test left behind."""
    reap_all()
