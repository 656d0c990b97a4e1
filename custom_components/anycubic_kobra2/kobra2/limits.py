"""Bounds on what one report may cost, and budgets that keep a flood from starving the loop."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
import time
from typing import Final

# A file listing is the largest real report: about 90 bytes and 6 JSON values per file. With
# 128 KiB that is some 1,450 files in one folder, far more than a printer's storage is used
# for; the parse stays below about 20 ms even on a busy two-core machine.
MAX_PAYLOAD_BYTES: Final = 128 * 1024
# Values (objects, arrays, strings, numbers) one payload may hold: a 128 KiB listing has
# about 8,700. Checking 12,000 costs some 10 ms in Python, where 350,000 cost 300 ms.
MAX_JSON_NODES: Final = 12_000
# Objects and arrays one payload may hold (a 128 KiB listing has some 1,450). Containers cost
# most: each is tracked by Python's garbage collector, and a flood of them sets off full
# collections that stall the loop for hundreds of milliseconds.
MAX_JSON_CONTAINERS: Final = 2_000
# Files kept from one listing; more only bloat the selects, whose options are rebuilt on
# every state write (1,000 of them cost some 20 ms a write on a busy two-core machine).
MAX_FILE_RECORDS: Final = 500
# Home Assistant refuses a state longer than 255 characters.
MAX_STATE_LENGTH: Final = 255
# Job ids remembered at once (repairs); older ones are forgotten first.
MAX_REMEMBERED_TASKS: Final = 64
# Job or machine state changes that reach the entities at once (EDGE_BURST in a row, then one
# per EDGE_INTERVAL seconds); beyond that they are merged like any other update.
EDGE_BURST: Final = 5
EDGE_INTERVAL: Final = 0.2
# Print events fired per minute at most; a real job makes a handful in its whole life.
EVENTS_PER_MINUTE: Final = 10
# Work done in one event-loop step before a link yields to the rest of Home Assistant.
STEP_BUDGET: Final = 0.01


def truncate_state(text: str | None, limit: int = MAX_STATE_LENGTH) -> str | None:
    """Return text cut to what Home Assistant accepts as a state, marked with an ellipsis."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class StepBudget:
    """Time spent in the current event-loop step; tells when it is time to yield."""

    def __init__(
        self, seconds: float = STEP_BUDGET, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        """Start a step now."""
        self._seconds = seconds
        self._clock = clock
        self._start = clock()

    def restart(self) -> None:
        """Begin a new step (after yielding)."""
        self._start = self._clock()

    @property
    def spent(self) -> bool:
        """Return whether this step has used up its time."""
        return self._clock() - self._start >= self._seconds


class TokenBucket:
    """Up to `burst` things at once, then one per `interval` seconds (pure logic)."""

    def __init__(
        self, burst: float, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Start with a full bucket."""
        self._burst = float(burst)
        self._interval = interval
        self._clock = clock
        self._tokens = float(burst)
        self._refilled = clock()

    def _refill(self) -> float:
        """Add the tokens earned since the last look; return the count."""
        now = self._clock()
        elapsed = max(now - self._refilled, 0.0)
        self._tokens = min(self._burst, self._tokens + elapsed / self._interval)
        self._refilled = now
        return self._tokens

    def take(self) -> bool:
        """Take one token if there is one; return whether it was taken."""
        if self._refill() >= 1:
            self._tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Return the seconds until the next token."""
        return max(1 - self._refill(), 0.0) * self._interval


class RateCap:
    """At most `count` things in any `window` seconds (a sliding window, pure logic)."""

    def __init__(
        self, count: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Start with nothing taken."""
        self._window = window
        self._clock = clock
        self._taken: deque[float] = deque(maxlen=count)

    def take(self) -> bool:
        """Count one more if the window has room; return whether it did."""
        now = self._clock()
        taken = self._taken
        if len(taken) == taken.maxlen and now - taken[0] < self._window:
            return False
        taken.append(now)
        return True
