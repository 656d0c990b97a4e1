"""What every printer link shares: messages become reports for the owner and for pending requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import logging
import time
from typing import Final

from .commands import Command
from .exceptions import KobraCommandError, KobraParseError, KobraTimeoutError
from .models import Report
from .parser import parse_report

WARN_INTERVAL: Final = 300.0
_PAYLOAD_PREVIEW: Final = 200
_FAILED_STATES: Final = frozenset({"failed"})

type ReportCallback = Callable[[Report], None]


class RateLimitedWarning:
    """Log the first of a kind of problem as WARNING, then at most once per interval."""

    def __init__(self, logger: logging.Logger, interval: float = WARN_INTERVAL) -> None:
        """Start with nothing logged."""
        self._logger = logger
        self._interval = interval
        self._last: float | None = None
        self._suppressed = 0

    def __call__(self, msg: str, *args: object, exc_info: bool = False) -> None:
        """Log msg % args as WARNING, or at DEBUG while rate-limited."""
        now = time.monotonic()
        if self._last is not None and now - self._last < self._interval:
            self._suppressed += 1
            self._logger.debug(msg, *args)
            return
        if self._suppressed:
            msg += " (%d similar messages suppressed)"
            args = (*args, self._suppressed)
        self._last = now
        self._suppressed = 0
        self._logger.warning(msg, *args, exc_info=exc_info)


@dataclass(slots=True)
class _Waiter:
    """A request waiting for the report that answers it."""

    command: Command
    future: asyncio.Future[Report]


class ReportRouter:
    """Parses one printer's messages, answers pending requests and hands reports to the owner."""

    def __init__(
        self, model_id: str, printer_id: str, on_report: ReportCallback, logger: logging.Logger
    ) -> None:
        """Route the reports of the printer model_id/printer_id (ids already validated)."""
        self.model_id = model_id
        self.printer_id = printer_id
        self._on_report = on_report
        self._waiters: list[_Waiter] = []
        self._warn_payload = RateLimitedWarning(logger)
        # Also for the owner's other callbacks: one budget for "your callback is broken".
        self.warn_callback = RateLimitedWarning(logger)

    @property
    def pending(self) -> int:
        """Return how many requests wait for an answer."""
        return len(self._waiters)

    def handle(self, topic: str, payload: bytes) -> None:
        """Parse one message; a malformed one is logged (rate-limited) and dropped."""
        try:
            report = parse_report(topic, payload)
        except KobraParseError as err:
            self._warn_payload(
                "Ignoring malformed message on %r (%s): %r",
                topic,
                err.reason,
                payload[:_PAYLOAD_PREVIEW] + (b"..." if len(payload) > _PAYLOAD_PREVIEW else b""),
            )
            return
        if report.printer_id != self.printer_id or report.model_id != self.model_id:
            return
        for waiter in self._waiters:
            if not waiter.future.done() and waiter.command.matches(report):
                waiter.future.set_result(report)
        try:
            self._on_report(report)
        except Exception:  # a callback bug must not stop later reports
            self.warn_callback("Error in report callback", exc_info=True)

    def fail_pending(self, err: Exception) -> None:
        """Fail every pending request with err (the link went down)."""
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(err)

    async def request(
        self,
        cmd: Command,
        send: Callable[[Command], Awaitable[None]],
        timeout: float,  # noqa: ASYNC109
    ) -> Report:
        """Send cmd with send() and return the report answering it.

        Raises KobraTimeoutError without answer, KobraCommandError when the printer
        answers with state "failed", and whatever send() or fail_pending() raise.
        """
        waiter = _Waiter(cmd, asyncio.get_running_loop().create_future())
        # Registered before sending: the answer can arrive before the publish returns.
        self._waiters.append(waiter)
        try:
            # The timeout covers the publish too: a stuck link must not hold the caller longer.
            async with asyncio.timeout(timeout):
                await send(cmd)
                report = await waiter.future
        except TimeoutError:
            raise KobraTimeoutError(
                f"no answer to {cmd.type}/{cmd.action} within {timeout:g} s"
            ) from None
        finally:
            self._waiters.remove(waiter)
            future = waiter.future
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # a link loss set while publishing; already raised or moot
        envelope = report.envelope
        if envelope.state in _FAILED_STATES:
            raise KobraCommandError(envelope.msg, code=envelope.code, state=envelope.state)
        return report
