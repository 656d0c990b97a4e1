"""Measurements: report-to-state latency, sustained throughput with loop lag, CPU per report."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import logging
import resource
import time
from typing import Any

from . import reports
from .paths import BenchPath
from .rpc import DriverClient

_LOGGER = logging.getLogger("bench.measure")
LAG_LIMIT_MS = 50.0
REPORT_TIMEOUT = 5.0


def cpu_s() -> float:
    """Return the CPU time (user + system, all threads) of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class LagMonitor:
    """Measure how late the event loop wakes a task that sleeps `interval` seconds."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.max_ms = 0.0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        """Sleep and record the overshoot."""
        while True:
            t = time.perf_counter()
            await asyncio.sleep(self.interval)
            lag = (time.perf_counter() - t - self.interval) * 1000
            self.samples += 1
            self.max_ms = max(self.max_ms, lag)

    def start(self) -> None:
        """Start sampling."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> float:
        """Stop sampling and return the largest lag in ms."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.max_ms


@dataclass
class Seq:
    """Sequence numbers, unique per printer, so every report changes every value."""

    next: int = 1000
    bursts: int = 0

    def take(self, n: int) -> int:
        """Reserve n numbers and return the first."""
        start = self.next
        self.next += n
        return start


async def prime(path: BenchPath, driver: DriverClient, seq: Seq, timeout: float = 20.0) -> None:
    """Publish reports until the path reacts (subscriptions are made asynchronously after setup)."""
    key = path.key_entity("temp")
    deadline = time.monotonic() + timeout
    while True:
        fut = path.waiter.arm({key})
        driver.send("pub", p=path.printer_index, kind="temp", seq=seq.take(1))
        try:
            await asyncio.wait_for(fut, 0.25)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"path {path.name} never reacted to a report") from None
        else:
            break
    await asyncio.sleep(0.05)
    await driver.call("t0s")


async def discover_expected(
    path: BenchPath, driver: DriverClient, seq: Seq, kind: str, n: int = 12
) -> set[str]:
    """Publish n reports one at a time and return the entities that changed on (nearly) each."""
    if path.expected.get(kind):
        return path.expected[kind]
    key = path.key_entity(kind)
    stop = path.observe()
    for _ in range(n):
        s = seq.take(1)
        fut = path.waiter.arm({key})
        driver.send("pub", p=path.printer_index, kind=kind, seq=s)
        try:
            await asyncio.wait_for(fut, REPORT_TIMEOUT)
        except TimeoutError:
            state = path.hass.states.get(key)
            raise RuntimeError(
                f"path {path.name}: {key} did not follow {kind} report {s} (state {state})"
            ) from None
        await asyncio.sleep(0.01)  # let coalesced or dependent updates land
    counts = stop()
    await driver.call("t0s")
    expected = {path.entities[k] for k, c in counts.items() if c >= n - 2}
    if key not in expected:
        raise RuntimeError(f"{path.name}: key entity {key} did not follow the reports: {counts}")
    path.expected[kind] = expected
    return expected


@dataclass
class LatencyRun:
    """Latencies (ns) of one block of reports, one in flight at a time."""

    first: list[int] = field(default_factory=list)
    last: list[int] = field(default_factory=list)
    lost: int = 0
    wrong: int = 0


async def latency_block(
    path: BenchPath, driver: DriverClient, seq: Seq, kind: str, n: int, *, gap: float = 0.0
) -> LatencyRun:
    """Publish n reports of kind, each after the previous one reached every expected entity (+ gap s)."""
    expected = path.expected[kind]
    start = seq.take(n)
    t1: list[tuple[int, int] | None] = []
    for i in range(n):
        fut = path.waiter.arm(expected)
        driver.send("pub", p=path.printer_index, kind=kind, seq=start + i)
        try:
            t1.append(await asyncio.wait_for(fut, REPORT_TIMEOUT))
        except TimeoutError:
            t1.append(None)
        if gap:
            await asyncio.sleep(gap)
    run = LatencyRun()
    if not path.shows(kind, start + n - 1):
        run.wrong += 1
    t0s = (await driver.call("t0s"))["t0s"]
    if len(t0s) != n:
        raise RuntimeError(f"driver published {len(t0s)} of {n} reports")
    for t0, got in zip(t0s, t1, strict=True):
        if got is None:
            run.lost += 1
            continue
        run.first.append(got[0] - t0)
        run.last.append(got[1] - t0)
    return run


@dataclass
class BurstResult:
    """Outcome of publishing reports at a fixed rate."""

    rate: float
    achieved: float
    count: int
    states: int
    final_ms: float | None
    lag_ms: float
    cpu_s: float
    wall_s: float
    ok: bool


async def burst(
    path: BenchPath,
    driver: DriverClient,
    seq: Seq,
    rate: float,
    count: int,
    *,
    grace: float = 2.0,
) -> BurstResult:
    """Publish count reports at rate; check the last one shows up promptly and the loop stays responsive."""
    kind = "temp"
    start = seq.take(count)
    seq.bursts += 1
    marker = reports.MARKERS[seq.bursts % 2]
    final = path.arm_counter(float(marker))
    lag = LagMonitor()
    await asyncio.sleep(0.05)
    lag.start()
    c0 = cpu_s()
    w0 = time.perf_counter_ns()
    res = await driver.call(
        "burst",
        timeout=count / rate + 60,
        p=path.printer_index,
        kind=kind,
        start=start,
        count=count,
        rate=rate,
        marker=marker,
    )
    t_final: int | None
    try:
        t_final = await asyncio.wait_for(final, grace)
    except TimeoutError:
        t_final = None
    w1 = time.perf_counter_ns() if t_final is None else t_final
    c1 = cpu_s()
    lag_ms = await lag.stop()
    states = path.counter.count
    await quiesce(path)
    path.counter.target = None
    achieved = (count - 1) / ((res["last_t0"] - res["begin"]) / 1e9) if count > 1 else rate
    final_ms = (t_final - res["last_t0"]) / 1e6 if t_final is not None else None
    # A path that deliberately holds updates back in a burst gets that hold on top of the limit.
    ok = final_ms is not None and final_ms < LAG_LIMIT_MS + path.hold_ms and lag_ms < LAG_LIMIT_MS
    return BurstResult(
        rate=rate,
        achieved=achieved,
        count=count,
        states=states,
        final_ms=final_ms,
        lag_ms=lag_ms,
        cpu_s=c1 - c0,
        wall_s=(w1 - w0) / 1e9,
        ok=ok,
    )


async def quiesce(path: BenchPath, quiet: float = 0.1, timeout: float = 15.0) -> None:
    """Wait until the path has handled everything still queued (no change for `quiet` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = path.counter.count
        await asyncio.sleep(quiet)
        if path.counter.count == before:
            break
    await settle()


async def settle(quiet_ms: float = 2.0, timeout: float = 5.0) -> None:
    """Wait until the loop has no backlog: a 20 ms sleep overshoots by less than quiet_ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = time.perf_counter()
        await asyncio.sleep(0.02)
        if (time.perf_counter() - t - 0.02) * 1000 < quiet_ms:
            break
    await asyncio.sleep(0.1)


async def idle_cpu_rate(seconds: float = 1.0) -> float:
    """Return this process's CPU seconds per second while nothing is published."""
    c0, w0 = cpu_s(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_s() - c0) / (time.perf_counter() - w0)


def burst_dict(b: BurstResult) -> dict[str, Any]:
    """Return a JSON-ready view of a burst."""
    return {
        "rate": b.rate,
        "achieved": round(b.achieved, 1),
        "count": b.count,
        "states": b.states,
        "final_ms": None if b.final_ms is None else round(b.final_ms, 3),
        "lag_ms": round(b.lag_ms, 3),
        "cpu_s": round(b.cpu_s, 6),
        "wall_s": round(b.wall_s, 6),
        "ok": b.ok,
    }
