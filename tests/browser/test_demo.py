"""The demo in a real browser: log in onto the printer dashboard, watch the print, pause, resume, print a file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import sys
import time

import pytest

async_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright for Python is not installed"
)

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# One folder per environment (scripts/test runs the suite in each), emptied when the test starts.
ARTIFACTS = REPO / "artifacts" / f"browser-{os.environ.get('KOBRA2_ENV', 'local')}"
README_SCREENSHOT = REPO / "docs" / "screenshot-dashboard.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A first start may have to install Home Assistant's frontend package.
DEMO_READY_TIMEOUT = 300.0
DEMO_STOP_TIMEOUT = 90.0
# Playwright timeouts are in milliseconds.
UI_TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


def _chromium_or_skip() -> None:
    """Skip without Debian's chromium, except in CI's latest environment, where it must be present."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true" and os.environ.get("KOBRA2_ENV") == "latest":
        pytest.fail(f"{CHROMIUM} is missing in CI's latest environment (scripts/setup installs it)")
    pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium; scripts/setup installs it)")


def _free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Return the ids of every process below pid (children first found, by /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the parent id follows the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Return True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Demo:
    """scripts/demo.py running as a child process, with its console output."""

    proc: asyncio.subprocess.Process
    config_dir: Path
    output: list[str] = field(default_factory=list)
    url: str = ""
    device_url: str = ""
    family: set[int] = field(default_factory=set)

    def console(self) -> str:
        """Return everything the demo printed so far."""
        return "".join(self.output)

    def remember_family(self) -> None:
        """Note the demo's child processes (Home Assistant), to check they are gone at the end."""
        self.family.update(_descendants(self.proc.pid))

    async def stop(self) -> int:
        """Send SIGTERM (what Ctrl-C in scripts/demo becomes) and wait; return the exit code."""
        self.remember_family()
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), DEMO_STOP_TIMEOUT)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
                return -1
        return self.proc.returncode if self.proc.returncode is not None else -1

    def kill_everything(self) -> None:
        """Kill the demo and every process it started (a backstop, after stop())."""
        self.remember_family()
        for pid in [self.proc.pid, *self.family]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


async def _read_output(demo: Demo, ready: asyncio.Event) -> None:
    """Collect the demo's console output; set ready when it prints the printer page's address."""
    assert demo.proc.stdout is not None
    while line := (await demo.proc.stdout.readline()).decode(errors="replace"):
        demo.output.append(line)
        if match := re.search(r"Home Assistant:\s+(\S+)", line):
            demo.url = match.group(1)
        if match := re.search(r"Printer page:\s+(\S+)", line):
            demo.device_url = match.group(1)
            ready.set()


@pytest.fixture
async def demo(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Demo]:
    """Run scripts/demo.py on a free port with its own configuration directory; kill all of it at the end."""
    _chromium_or_skip()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    config_dir = tmp_path / "config"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO / "scripts" / "demo.py"),
        "--port",
        str(_free_port()),
        "--config-dir",
        str(config_dir),
        cwd=REPO,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    running = Demo(proc, config_dir)
    ready = asyncio.Event()
    reader = asyncio.create_task(_read_output(running, ready))
    try:
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait(
            {waiter, reader}, timeout=DEMO_READY_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        waiter.cancel()
        if not ready.is_set():
            pytest.fail(f"the demo did not get ready:\n{running.console()}")
        running.remember_family()
        yield running
    finally:
        await running.stop()
        running.kill_everything()
        await asyncio.wait_for(reader, 10)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "demo-console.txt").write_text(running.console())
        with contextlib.suppress(OSError):
            shutil.copyfile(
                config_dir / "home-assistant.log", ARTIFACTS / "demo-home-assistant.log"
            )


def _row(page: async_api.Page, name: str) -> async_api.Locator:
    """Return the entity row (dashboard or device page) whose name is exactly `name`."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.locator("hui-generic-entity-row").filter(has=page.locator(".info", has_text=exact))


async def _state(page: async_api.Page, name: str) -> str:
    """Return the state text the page shows for an entity (e.g. "210.0 °C")."""
    return (await _row(page, name).inner_text()).strip()


def _number(text: str) -> float:
    """Return the number in a state text such as "210.0 °C" or "1,234 mm"."""
    match = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    assert match is not None, f"no number in {text!r}"
    return float(match.group().replace(",", ""))


async def _wait_for_state(
    page: async_api.Page, name: str, accept: str | Callable[[str], bool], timeout: float = 60.0
) -> str:
    """Poll the page until the entity's shown state satisfies accept(text) (or equals it); return it."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = await _state(page, name)
        if (accept(seen) if callable(accept) else seen == accept) and seen:
            return seen
        await asyncio.sleep(0.5)
    pytest.fail(f"{name!r} still shows {seen!r} after {timeout:.0f} s")


# The points each line of the dashboard's temperature graph draws, read from Home Assistant's chart element
# (it pierces the shadow roots the frontend is built of).
CHART_POINTS_JS = """() => {
  const charts = [];
  const walk = (node) => {
    if (node.tagName && node.tagName.toLowerCase() === "ha-chart-base") charts.push(node);
    for (const child of [...(node.shadowRoot ? node.shadowRoot.children : []), ...node.children]) {
      walk(child);
    }
  };
  walk(document.documentElement);
  const points = {};
  for (const chart of charts) {
    for (const series of Array.isArray(chart.data) ? chart.data : []) {
      points[series.name] = (series.data || []).length;
    }
  }
  return points;
}"""
GRAPH_LINES = ("Nozzle", "Nozzle target", "Bed", "Bed target")


async def _graph_points(page: async_api.Page) -> dict[str, int]:
    """Return how many points each line of the temperature graph has."""
    return dict(await page.evaluate(CHART_POINTS_JS))


async def _wait_for_graph(
    page: async_api.Page, accept: Callable[[dict[str, int]], bool], timeout: float = 60.0
) -> dict[str, int]:
    """Poll the temperature graph until accept(points per line) holds; return the points."""
    deadline = time.monotonic() + timeout
    points: dict[str, int] = {}
    while time.monotonic() < deadline:
        points = await _graph_points(page)
        if accept(points):
            return points
        await asyncio.sleep(1.0)
    pytest.fail(f"the temperature graph shows {points} after {timeout:.0f} s")


async def _pick(page: async_api.Page, select: str, option: str) -> None:
    """Choose an option in a dashboard select row, as a person does: open it, click the option."""
    await page.locator("hui-select-entity-row").filter(has_text=select).locator("ha-select").click()
    # The list's items are options in one frontend release and menu items in another: find them by text.
    await page.get_by_text(option, exact=True).filter(visible=True).first.click()


# How many more pixels the page's scrolled content needs (Home Assistant scrolls inside its panels, so a
# full-page screenshot alone would cut the device page off).
HIDDEN_HEIGHT_JS = """() => {
  let hidden = 0;
  const walk = (node) => {
    const style = getComputedStyle(node);
    if (node === document.documentElement || /(auto|scroll)/.test(style.overflowY)) {
      hidden = Math.max(hidden, node.scrollHeight - node.clientHeight);
    }
    for (const child of [...(node.shadowRoot ? node.shadowRoot.children : []), ...node.children]) {
      walk(child);
    }
  };
  walk(document.documentElement);
  return hidden;
}"""


async def _screenshot(page: async_api.Page, name: str, *, readme: bool = False) -> None:
    """Save a screenshot of the whole page to artifacts/ (and to docs/ for the README when asked to)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    hidden = int(await page.evaluate(HIDDEN_HEIGHT_JS))
    if size is not None and hidden > 0:
        await page.set_viewport_size({"width": size["width"], "height": size["height"] + hidden})
        await page.wait_for_timeout(300)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    if readme and os.environ.get("KOBRA2_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT)


async def test_demo_in_browser(demo: Demo) -> None:
    """Log in onto the printer dashboard; watch the print and its graph; pause, resume, stop; print a file."""
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1300, "height": 900}, locale="en-US", timezone_id="UTC"
            )
            context.set_default_timeout(UI_TIMEOUT_MS)
            page = await context.new_page()

            try:
                # Log in as the demo user, like anyone opening the printed address.
                await page.goto(demo.url)
                await page.locator("input[name=username]").fill("demo")
                await page.locator("input[name=password]").fill("demo1234")
                await _screenshot(page, "01-login")
                await page.locator("input[name=password]").press("Enter")
                # The frontend trades the code for tokens and then drops auth_callback from the address;
                # leaving before that would lose the login.
                await page.wait_for_url(
                    lambda url: "/auth/" not in url and "auth_callback" not in url
                )

                # The login lands on the printer dashboard: a print under way, files listed at once.
                await _row(page, "Print state").wait_for()
                assert await page.get_by_text("Print job", exact=True).count() == 1
                assert await _wait_for_state(page, "Online", "Connected")
                assert await _wait_for_state(page, "Print state", "Printing")
                printing = await _wait_for_state(
                    page, "Current file", lambda s: s.endswith(".gcode")
                )
                nozzle = _number(
                    await _wait_for_state(page, "Nozzle temperature", lambda s: "°C" in s)
                )
                bed = _number(await _wait_for_state(page, "Bed temperature", lambda s: "°C" in s))
                assert 150 <= nozzle <= 260
                assert 40 <= bed <= 110
                first = _number(await _wait_for_state(page, "Progress", lambda s: s.endswith("%")))
                later = _number(
                    await _wait_for_state(
                        page, "Progress", lambda s: s.endswith("%") and _number(s) > first, 90
                    )
                )
                assert later > first
                # The graph is drawn from the recorder: every line has points.
                await _wait_for_graph(
                    page, lambda p: all(p.get(line, 0) >= 2 for line in GRAPH_LINES)
                )
                await _screenshot(page, "02-dashboard-printing")

                # Pause: the dashboard shows the printer paused; Resume: printing again.
                await _row(page, "Pause print").get_by_role("button").click()
                await _wait_for_state(page, "Print state", "Paused")
                paused_at = _number(await _state(page, "Progress"))
                await _screenshot(page, "03-dashboard-paused")
                await asyncio.sleep(3)
                assert _number(await _state(page, "Progress")) == paused_at
                await _row(page, "Resume print").get_by_role("button").click()
                await _wait_for_state(page, "Print state", "Printing")
                await _wait_for_state(page, "Progress", lambda s: _number(s) > paused_at, 90)

                # A new nozzle target typed into the dashboard: the graph draws the change.
                before = await _graph_points(page)
                target = 230.0 if nozzle < 225 else 200.0
                box = _row(page, "Target nozzle temperature").locator("input")
                await box.fill(f"{target:.0f}")
                await box.press("Enter")
                await _wait_for_state(
                    page, "Nozzle temperature", lambda s: abs(_number(s) - target) < 1.5
                )
                await _wait_for_graph(
                    page,
                    lambda p: all(p.get(line, 0) > before.get(line, 0) for line in GRAPH_LINES[:2]),
                )

                # Stop the print, pick another file in the printer's file select and print it.
                await _row(page, "Stop print").get_by_role("button").click()
                await _wait_for_state(page, "Print state", lambda s: s in ("Stopped", "Idle"))
                choice = next(
                    name
                    for name in ("/calibration_cube_20mm.gcode", "/Kobra2_Benchy_PLA_0.2mm.gcode")
                    if not name.endswith(printing)
                )
                await _pick(page, "File on printer", choice)
                await _row(page, "Print the file on printer").get_by_role("button").click()
                await _wait_for_state(page, "Print state", "Printing")
                assert await _wait_for_state(page, "Current file", choice.lstrip("/"))
                await _wait_for_state(page, "Progress", lambda s: _number(s) > 0, 90)
                await _screenshot(page, "04-dashboard-new-print", readme=True)

                # The printer's own device page, the demo's second address, shows the same printer.
                await page.goto(demo.device_url)
                await _row(page, "Print state").wait_for()
                assert await _wait_for_state(page, "Print state", "Printing")
                await _screenshot(page, "05-device-page")
            except BaseException:
                with contextlib.suppress(Exception):
                    await _screenshot(page, "99-failure")
                raise
            await context.close()
        finally:
            await browser.close()

    # Stopping the demo stops everything it started.
    assert await demo.stop() == 0, demo.console()
    left = [pid for pid in demo.family if _alive(pid)]
    assert not left, f"processes left behind by the demo: {left}"
