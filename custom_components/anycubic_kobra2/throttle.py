"""Rate limit for entity updates: a token bucket, so a flood of reports cannot flood the state machine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN

# FLUSH_BURST updates may follow each other at once, then one per FLUSH_INTERVAL seconds.
# Normal traffic never waits. Module attributes, read on every update, so tests and the
# benchmark can change them. (Home Assistant's Debouncer lets one call through and merges the
# rest for a whole cooldown: every report of a small burst would then wait FLUSH_INTERVAL.)
FLUSH_BURST = 10
FLUSH_INTERVAL = 0.1


class EntityUpdateThrottle:
    """Calls update once per loop turn at most, and at most FLUSH_BURST times in a row at once."""

    def __init__(self, hass: HomeAssistant, update: Callable[[], None]) -> None:
        """Throttle calls of update (which pushes the state to the entities)."""
        self._hass = hass
        self._update = update
        self._handle: asyncio.Handle | None = None
        self._task: asyncio.Task[None] | None = None
        self._tokens = float(FLUSH_BURST)
        self._refilled = hass.loop.time()

    @callback
    def schedule(self) -> None:
        """Update in the next loop turn, or later once the burst budget is spent."""
        if self._handle is not None or self._task is not None:
            return
        tokens = self._budget()
        if tokens >= 1:
            # Everything handled in this loop iteration still makes a single update.
            self._handle = self._hass.loop.call_soon(self._run)
            return
        # A task rather than a timer, so hass.async_block_till_done() waits for it.
        self._task = self._hass.async_create_task(
            self._async_run_later((1 - tokens) * FLUSH_INTERVAL),
            f"{DOMAIN} entity update",
            eager_start=False,
        )

    @callback
    def now(self) -> None:
        """Update right away, replacing any update scheduled for later."""
        self.cancel()
        self._run()

    @callback
    def cancel(self) -> None:
        """Drop a scheduled update."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _budget(self) -> float:
        """Refill the budget for the time passed and return it."""
        now = self._hass.loop.time()
        elapsed = max(now - self._refilled, 0.0)
        self._tokens = min(float(FLUSH_BURST), self._tokens + elapsed / FLUSH_INTERVAL)
        self._refilled = now
        return self._tokens

    async def _async_run_later(self, wait: float) -> None:
        """Update after a pause."""
        await asyncio.sleep(wait)
        self._task = None
        self._run()

    @callback
    def _run(self) -> None:
        """Spend a token and update."""
        self._handle = None
        self._tokens = max(self._budget() - 1, 0.0)
        self._update()
