"""Benchmark side of the driver process: start it, send requests, await replies and command events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import itertools
import json
import os
from pathlib import Path
import sys
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class DriverError(RuntimeError):
    """The driver process failed a request or died."""


class DriverClient:
    """Controls one driver subprocess over its stdin/stdout."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.simulator_available = False
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self.on_command: Callable[[dict[str, Any]], None] | None = None

    async def start(self) -> None:
        """Start the driver and wait until it is ready."""
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scripts.benchlib.driver",
            cwd=str(REPO),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,
        )
        self._ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        hello = await asyncio.wait_for(self._ready, 60)
        self.simulator_available = bool(hello.get("sim"))

    async def _read(self) -> None:
        """Dispatch the driver's lines: replies by id, events to their handlers."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            msg = json.loads(line)
            if "id" in msg:
                fut = self._pending.pop(msg["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            elif msg.get("ev") == "cmd":
                if self.on_command is not None:
                    self.on_command(msg)
            elif msg.get("ev") == "ready" and self._ready is not None and not self._ready.done():
                self._ready.set_result(msg)
        err = DriverError("driver process ended")
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(err)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(err)

    def send(self, op: str, **args: Any) -> None:
        """Send a request that has no reply (used on the clock: nothing waits for the pipe)."""
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"op": op, **args}) + "\n").encode())

    async def call(self, op: str, timeout: float = 120.0, **args: Any) -> dict[str, Any]:
        """Send a request and return its reply."""
        assert self.proc is not None
        assert self.proc.stdin is not None
        rid = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        self.proc.stdin.write((json.dumps({"op": op, "id": rid, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        reply = await asyncio.wait_for(fut, timeout)
        if "error" in reply:
            raise DriverError(f"{op}: {reply['error']}")
        return reply

    async def close(self) -> None:
        """Ask the driver to stop everything, then make sure it has exited."""
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        with contextlib.suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.write(b'{"op": "quit"}\n')
            await proc.stdin.drain()
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
