"""MessagePacer: messages past a step's budget wait in order, the oldest go first when full."""

from __future__ import annotations

import asyncio
import time

from custom_components.anycubic_kobra2.kobra2 import MessagePacer


def spawner(tasks: list[asyncio.Task[None]]):  # type: ignore[no-untyped-def]
    """Return a task spawner that remembers the tasks it made."""

    def spawn(coro):  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(coro)
        tasks.append(task)
        return task

    return spawn


async def test_within_the_budget_messages_are_handled_at_once() -> None:
    """A generous budget handles each message in the call that submits it."""
    seen: list[str] = []
    pacer = MessagePacer(lambda topic, _: seen.append(topic), spawner([]), budget=10.0)
    pacer.submit("a", b"")
    pacer.submit("b", b"")
    assert seen == ["a", "b"]
    assert pacer.queued == 0


def slow(seen: list[str]):  # type: ignore[no-untyped-def]
    """Return a handler that records the topic and takes longer than the 1 ms budget."""

    def handle(topic: str, _payload: bytes) -> None:
        seen.append(topic)
        time.sleep(0.002)

    return handle


async def test_spent_budget_queues_in_order_and_drains_later() -> None:
    """Once a step's budget is spent, messages wait and a task handles them in order, later."""
    seen: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    pacer = MessagePacer(slow(seen), spawner(tasks), budget=0.001)
    for topic in ("a", "b", "c"):
        pacer.submit(topic, b"")
    assert seen == ["a"]
    assert pacer.queued == 2
    assert len(tasks) == 1
    for _ in range(50):
        await asyncio.sleep(0)
        if not pacer.queued and tasks[0].done():
            break
    assert seen == ["a", "b", "c"]
    assert tasks[0].done()


async def test_full_queue_drops_the_oldest_and_clear_stops() -> None:
    """Past max_queued the oldest message goes (the newest state wins); clear drops the rest."""
    seen: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    pacer = MessagePacer(slow(seen), spawner(tasks), budget=0.001, max_queued=2)
    for topic in ("a", "b", "c", "d"):
        pacer.submit(topic, b"")
    assert seen == ["a"]
    assert pacer.dropped == 1
    assert pacer.queued == 2
    pacer.clear()
    assert pacer.queued == 0
    await asyncio.sleep(0)
    assert tasks[0].cancelled()
    assert seen == ["a"]
