"""Fixtures of the reliability suite: short link timings, an SSL-on-the-loop guard, log capture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
import logging
import ssl
import threading
import traceback
from typing import Any

import pytest

from custom_components.anycubic_kobra2 import link as link_module
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AnyBroker
from tests.integration.common import sim_config

from .common import PACKAGE_LOGGER

# Test timings (reliability.md §6 assumes keepalive <= 5 s and a backoff capped at 2 s).
KEEPALIVE = 2
MIN_BACKOFF = 0.5
MAX_BACKOFF = 2.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/anycubic_kobra2."""


@pytest.fixture(autouse=True)
def fast_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorten keepalive and reconnect backoff for every client the integration makes."""
    monkeypatch.setattr(link_module, "KEEPALIVE", KEEPALIVE)
    monkeypatch.setattr(link_module, "RECONNECT_MIN_BACKOFF", MIN_BACKOFF)
    monkeypatch.setattr(link_module, "RECONNECT_MAX_BACKOFF", MAX_BACKOFF)


@pytest.fixture
def info_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture the integration's logs from INFO up."""
    caplog.set_level(logging.INFO, logger=PACKAGE_LOGGER)
    return caplog


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


@pytest.fixture
def ssl_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[SslGuard]:
    """Record every SSLContext load and fail the test if one ran on the event-loop thread.

    Home Assistant's own blocking-call detector skips SSL loads under pytest, so this is the
    only thing that catches a context built on the loop.
    """
    # Fixtures and the test run on the loop's thread (asyncio tests, one loop per test).
    guard = SslGuard(threading.get_ident())
    for name in (
        "load_cert_chain",
        "load_verify_locations",
        "load_default_certs",
        "set_default_verify_paths",
    ):
        original = getattr(ssl.SSLContext, name)

        def wrapper(
            self: ssl.SSLContext,
            *args: Any,
            _original: Any = original,
            _name: str = name,
            **kw: Any,
        ) -> Any:
            on_loop = threading.get_ident() == guard.loop_thread
            stack = "".join(traceback.format_stack(limit=12)) if on_loop else ""
            guard.loads.append(SslLoad(_name, on_loop, stack))
            return _original(self, *args, **kw)

        monkeypatch.setattr(ssl.SSLContext, name, wrapper)
    yield guard
    guard.assert_clean()


@pytest.fixture
async def make_printer() -> AsyncIterator[Callable[..., Awaitable[KobraSimulator]]]:
    """Provide a factory for simulated printers (the test printer id) on a broker; all stopped."""
    made: list[KobraSimulator] = []

    async def factory(broker: AnyBroker, **overrides: Any) -> KobraSimulator:
        sim = KobraSimulator(sim_config(broker, **overrides))
        made.append(sim)
        await sim.start()
        return sim

    try:
        yield factory
    finally:
        for sim in made:
            await sim.stop()
