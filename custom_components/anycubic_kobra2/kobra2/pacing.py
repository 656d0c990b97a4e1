"""Hand messages on at once while a loop step's budget lasts, and the rest in later steps."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final

from .limits import STEP_BUDGET, StepBudget

MAX_QUEUED: Final = 1000

type MessageHandler = Callable[[str, bytes], None]
type TaskSpawner = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


class MessagePacer:
    """Feeds messages that arrive in callbacks (Home Assistant's MQTT) to a handler in slices.

    A broker can deliver hundreds of messages in one loop step; handling them all there
    would freeze the loop. While the step's budget lasts a message is handled at once;
    after that, messages wait in a bounded queue (oldest dropped, so the newest state wins)
    that a task works through, yielding between slices. Order is always kept.
    """

    def __init__(
        self,
        handler: MessageHandler,
        spawn: TaskSpawner,
        *,
        budget: float = STEP_BUDGET,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        """Pace calls of handler; spawn starts the draining task."""
        self._handler = handler
        self._spawn = spawn
        self._budget = StepBudget(budget)
        self._queue: deque[tuple[str, bytes]] = deque(maxlen=max_queued)
        self._in_step = False
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    @property
    def queued(self) -> int:
        """Return how many messages wait."""
        return len(self._queue)

    def submit(self, topic: str, payload: bytes) -> None:
        """Handle a message now, or queue it when this step's budget is spent."""
        if not self._queue and not self._step_spent():
            self._handler(topic, payload)
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append((topic, payload))
        if self._task is None or self._task.done():
            self._task = self._spawn(self._drain())

    def _step_spent(self) -> bool:
        """Return whether the current loop step has used its budget (starting one if needed)."""
        if not self._in_step:
            self._in_step = True
            self._budget.restart()
            # Runs in the next loop step, after everything of this one.
            asyncio.get_running_loop().call_soon(self._end_step)
        return self._budget.spent

    def _end_step(self) -> None:
        """Forget the step that just ended."""
        self._in_step = False

    async def _drain(self) -> None:
        """Work through the queue one budget at a time, yielding in between."""
        while self._queue:
            await asyncio.sleep(0)
            while self._queue and not self._step_spent():
                topic, payload = self._queue.popleft()
                self._handler(topic, payload)

    def clear(self) -> None:
        """Drop what is queued and stop draining (the link is going away)."""
        self._queue.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
