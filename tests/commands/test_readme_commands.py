"""The README's commands exactly as a newcomer types them: no arguments, from the repository root.

The scripts enter the environments themselves (the latest one is a chroot), so these tests run on the host,
in the min environment's pass of `scripts/test`; the no-argument `scripts/test` is CI's own run (`.ci/run`).
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# What each command must print before it counts as started, and how long that may take.
DEMO_READY = "Kobra 2 demo is running."
DEMO_TIMEOUT = 420.0
BENCH_MEASURING = re.compile(r"\[bench\] \w+: latency")
BENCH_TIMEOUT = 180.0
STOP_TIMEOUT = 90.0
# The commands these tests run; the README must not name another one.
TESTED = {"scripts/setup", "scripts/demo", "scripts/test", "scripts/bench"}

on_host = pytest.mark.skipif(
    os.environ.get("KOBRA2_ENV") == "latest",
    reason="the scripts enter the chroot themselves; run on the host in the min environment's pass",
)
pytestmark = pytest.mark.usefixtures("socket_enabled")


def readme_commands() -> set[str]:
    """Return every `scripts/...` command at the start of a line in the README's code blocks."""
    commands: set[str] = set()
    for block in re.findall(r"```[a-z]*\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            for part in re.split(r"&&|;", line.split("#", 1)[0]):
                words = part.split()
                if words and words[0].startswith("scripts/"):
                    commands.add(words[0])
    return commands


def descendants(pid: int) -> set[int]:
    """Return the ids of every living process below pid."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Return True while the process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class Running:
    """A started command and everything it printed so far (read all the time, so its pipe never fills)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def drain(self) -> None:
        """Collect the command's output until it closes its end (runs in a thread)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)


@contextlib.contextmanager
def started(command: str) -> Iterator[Running]:
    """Start a README command as typed (its own process group, output merged); kill what is left at the end."""
    proc = subprocess.Popen(  # noqa: S603 - a fixed command of this repository
        [str(REPO / command)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = Running(proc)
    reader = threading.Thread(target=running.drain, daemon=True)
    reader.start()
    family: set[int] = set()
    try:
        yield running
    finally:
        family |= descendants(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)
        reader.join(10)


def read_until(running: Running, wanted: re.Pattern[str] | str, timeout: float) -> str:
    """Return the output up to the first line that matches wanted; fail with the output otherwise."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        while seen < len(running.lines):
            line = running.lines[seen]
            seen += 1
            if wanted.search(line) if isinstance(wanted, re.Pattern) else wanted in line:
                return "".join(running.lines[:seen])
        if running.proc.poll() is not None and seen == len(running.lines):
            break
        time.sleep(0.2)
    output = "".join(running.lines)
    pytest.fail(f"no {wanted!r} within {timeout:.0f} s (exit {running.proc.poll()}):\n{output}")


def stop(running: Running, sig: signal.Signals) -> tuple[int, set[int]]:
    """Send sig to the command's process group as a terminal would; return its exit code and who is left."""
    proc = running.proc
    family = descendants(proc.pid)
    os.killpg(proc.pid, sig)
    code = proc.wait(STOP_TIMEOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in family):
        time.sleep(0.2)
    return code, {pid for pid in family if alive(pid)}


def fetch(url: str) -> str:
    """GET a page of the demo and return its text (HTTP errors fail the test)."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        assert response.status == 200, url
        return str(response.read().decode())


def port_in_use(port: int) -> bool:
    """Return True when something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_readme_names_only_tested_commands() -> None:
    """The commands of the README's code blocks are the ones below (a new one needs a test here)."""
    found = readme_commands()
    assert {"scripts/setup", "scripts/demo", "scripts/test"} <= found
    assert found <= TESTED


@on_host
def test_setup_as_typed() -> None:
    """`scripts/setup` with no argument: everything is there already, so it only checks and says so."""
    result = subprocess.run(
        [str(REPO / "scripts/setup")],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stderr


@on_host
def test_demo_as_typed() -> None:
    """`scripts/demo`: it says it runs, serves its front page and the printer's page, and stops on SIGTERM."""
    if port_in_use(8123):
        if os.environ.get("CI") == "true":
            pytest.fail("port 8123 is taken in CI; scripts/demo needs it")
        pytest.skip("port 8123 is in use here (a demo already running?)")
    with started("scripts/demo") as demo:
        console = read_until(demo, "Press Ctrl-C to stop.", DEMO_TIMEOUT)
        assert DEMO_READY in console
        url = re.search(r"Home Assistant:\s+(\S+)", console)
        device = re.search(r"Printer page:\s+(\S+)", console)
        assert url is not None, console
        assert device is not None, console
        assert url.group(1) == "http://127.0.0.1:8123"
        assert "<title>Home Assistant</title>" in fetch(url.group(1))
        assert "<title>Home Assistant</title>" in fetch(device.group(1))
        code, left = stop(demo, signal.SIGTERM)
        assert code == 0, "".join(demo.lines)
        assert not left, f"left running by scripts/demo: {left}"
    assert not port_in_use(8123)


@on_host
def test_bench_as_typed() -> None:
    """`scripts/bench`: it starts measuring; Ctrl-C stops it, leaves nothing running and BENCHMARKS.md alone."""
    report = (REPO / "BENCHMARKS.md").read_bytes()
    with started("scripts/bench") as bench:
        read_until(bench, BENCH_MEASURING, BENCH_TIMEOUT)
        time.sleep(3)
        _, left = stop(bench, signal.SIGINT)
        assert not left, f"left running by scripts/bench: {left}"
    assert (REPO / "BENCHMARKS.md").read_bytes() == report


@on_host
def test_test_with_one_test_as_typed() -> None:
    """`scripts/test <one test>`: the argument reaches pytest unchanged in every environment."""
    one = "tests/commands/test_readme_commands.py::test_readme_names_only_tested_commands"
    result = subprocess.run(
        [str(REPO / "scripts/test"), one],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    environments = 2 if os.environ.get("CI") == "true" else output.count("=== ")
    assert environments >= 1
    assert len(re.findall(r"^1 passed", output, re.M)) == environments, output
