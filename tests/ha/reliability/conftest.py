"""Fixtures of the reliability suite: short link timings, an SSL-on-the-loop guard, log capture."""

from __future__ import annotations

from collections.abc import Iterator
import logging
import ssl
import threading
import traceback
from typing import Any

import pytest

from custom_components.anycubic_kobra2 import coordinator as coordinator_module

from .common import KEEPALIVE, MAX_BACKOFF, MIN_BACKOFF, PACKAGE_LOGGER, SslGuard, SslLoad


@pytest.fixture(autouse=True)
def fast_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorten keepalive and reconnect backoff for every client the integration makes."""
    monkeypatch.setattr(coordinator_module, "KEEPALIVE", KEEPALIVE)
    monkeypatch.setattr(coordinator_module, "RECONNECT_MIN_BACKOFF", MIN_BACKOFF)
    monkeypatch.setattr(coordinator_module, "RECONNECT_MAX_BACKOFF", MAX_BACKOFF)


@pytest.fixture
def info_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture the integration's logs from INFO up."""
    caplog.set_level(logging.INFO, logger=PACKAGE_LOGGER)
    return caplog


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
