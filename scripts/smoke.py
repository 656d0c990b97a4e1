"""Smoke test on the newest Home Assistant release: start it as the demo does and check the printer works.

The newest release often has no pytest-homeassistant-custom-component yet, so the test suite cannot run on it.
This starts what scripts/demo starts (an embedded MQTT broker, the simulated Kobra 2 Pro with a print under way,
Home Assistant in a fresh configuration directory, onboarding and the config flow over its HTTP API), then checks
that the config entry loads, that a button press reaches the simulator as the print/pause command, that Home
Assistant's entities then report the pause, and that Home Assistant logged no error about the integration.

    scripts/smoke                      # in the "newest" environment (scripts/setup newest)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import contextlib
import logging
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo as demo_lib  # scripts/demo.py, next to this file (it puts the repository on sys.path)
from tests.helpers.brokers import AmqttBroker, free_port

REPO = demo_lib.REPO
ARTIFACTS = REPO / "artifacts" / "smoke-newest"
SMOKE_TIMEOUT = 600.0
COMMAND_TIMEOUT = 30.0


class SmokeError(Exception):
    """A smoke check failed; the message says which."""


def say(message: str) -> None:
    """Print a progress line."""
    print(f"[smoke] {message}", flush=True)


async def wait_for(what: str, check: Callable[[], Any], timeout: float = COMMAND_TIMEOUT) -> Any:
    """Poll check() (sync or async) until it returns something truthy; raise SmokeError after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.25)
    raise SmokeError(f"{what}: not seen within {timeout:.0f} s")


async def printer_entities(api: demo_lib.HomeAssistantApi, entry_id: str) -> list[dict[str, Any]]:
    """Return the entity registry entries of the config entry."""
    entries = await api.websocket_command({"type": "config/entity_registry/list"})
    return [e for e in entries if e.get("config_entry_id") == entry_id]


async def run_checks(
    api: demo_lib.HomeAssistantApi, printer: demo_lib.DemoPrinter, entry_id: str
) -> None:
    """Press Pause: the command must reach the simulator and come back as Home Assistant state."""
    entities = await printer_entities(api, entry_id)
    if not entities:
        raise SmokeError("the loaded entry has no entities")
    pause = next(
        (
            e["entity_id"]
            for e in entities
            if e["entity_id"].startswith("button.")
            and (e.get("translation_key") == "pause" or str(e.get("unique_id")).endswith("_pause"))
        ),
        None,
    )
    if pause is None:
        raise SmokeError("no Pause button among the printer's entities")
    sim = printer.sim
    await wait_for("the simulated print under way", lambda: sim.state.print_state == "printing")
    seen = len(sim.received)
    say(f"{len(entities)} entities; pressing {pause}")
    await api.request("POST", "/api/services/button/press", {"entity_id": pause})
    await wait_for(
        "print/pause at the simulator",
        lambda: any(
            c.type == "print" and c.action == "pause" and c.handled
            for c in list(sim.received)[seen:]
        ),
    )
    await wait_for("the simulator paused", lambda: sim.state.print_state == "paused")
    ids = {e["entity_id"] for e in entities}

    async def paused_in_home_assistant() -> bool:
        states = await api.request("GET", "/api/states")
        return any(s["entity_id"] in ids and s["state"] == "paused" for s in states)

    await wait_for("an entity of the printer showing paused", paused_in_home_assistant)


def integration_errors(log: Path) -> list[str]:
    """Return the ERROR lines of Home Assistant's log that concern the integration."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if " ERROR " in line and "anycubic_kobra2" in line]


async def smoke(port: int, config_dir: Path) -> str:
    """Run the whole smoke test; return Home Assistant's version."""
    from homeassistant.const import __version__ as ha_version

    demo_lib.prepare_config_dir(config_dir)
    demo_lib.ensure_frontend()
    async with contextlib.AsyncExitStack() as stack:
        # The demo's embedded broker.
        broker = AmqttBroker()
        await broker.start()
        stack.push_async_callback(broker.stop)
        printer = demo_lib.DemoPrinter(broker.host, broker.port, time_scale=10.0)
        await printer.start()
        stack.push_async_callback(printer.stop)
        ha = demo_lib.HomeAssistant(config_dir, demo_lib.LOOPBACK, port, verbose=False)
        say(f"starting Home Assistant {ha_version} on {ha.url}")
        await ha.start()
        stack.push_async_callback(ha.stop)
        async with aiohttp.ClientSession() as session:
            api = demo_lib.HomeAssistantApi(session, ha.url)
            await api.wait_until_up(ha)
            await api.onboard()
            settings = demo_lib.BrokerSettings(host=broker.host, port=broker.port)
            entry_id = await demo_lib.add_printer(
                api, settings, demo_lib.DEMO_PRINTER_ID, demo_lib.DEMO_MODEL_ID
            )
            await demo_lib.wait_entry_loaded(api, entry_id)
            say("config entry loaded")
            await run_checks(api, printer, entry_id)
        if errors := integration_errors(ha.log_file):
            raise SmokeError("Home Assistant logged errors:\n" + "\n".join(errors[:20]))
    return ha_version


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test; keep Home Assistant's log in artifacts/smoke-newest/."""
    parser = argparse.ArgumentParser(prog="scripts/smoke", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[smoke] %(levelname)s %(name)s: %(message)s")
    # amqtt warns about messages in flight when it shuts down, which is what stopping means here.
    logging.getLogger("amqtt").setLevel(logging.ERROR)
    port = args.port or free_port()
    started = time.monotonic()
    config_dir = Path(tempfile.mkdtemp(prefix="kobra2-smoke-")) / "config"
    try:
        version = asyncio.run(asyncio.wait_for(smoke(port, config_dir), SMOKE_TIMEOUT))
    except (SmokeError, demo_lib.DemoError, TimeoutError, OSError) as err:
        say(f"FAILED: {type(err).__name__}: {err}")
        return 1
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            shutil.copyfile(config_dir / "home-assistant.log", ARTIFACTS / "home-assistant.log")
        shutil.rmtree(config_dir.parent, ignore_errors=True)
    say(
        f"passed on Home Assistant {version}: entry loaded, Pause reached the simulator and came "
        f"back as state ({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
