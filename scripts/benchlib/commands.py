"""Command latency (button press / number change → command at the printer) and config entry setup time."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError

from . import reports
from .hass_env import make_entry, wait_until
from .paths import DOMAIN, IntegrationPath

if TYPE_CHECKING:
    from .worker import Worker

_LOGGER = logging.getLogger("bench.commands")
ARRIVAL_TIMEOUT = 5.0


class Arrivals:
    """Futures for the next command the driver sees on a printer's command topics."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def expect(self, printer_id: str) -> asyncio.Future[dict[str, Any]]:
        """Return a future for the next command to printer_id."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[printer_id] = fut
        return fut

    def on_command(self, ev: dict[str, Any]) -> None:
        """Resolve the future of the printer the command was for."""
        parts = ev["topic"].split("/")
        # anycubic/anycubicCloud/v1/server/printer/<model>/<id>/...
        printer_id = parts[6] if len(parts) > 6 else ""
        fut = self.waiting.pop(printer_id, None)
        if fut is not None and not fut.done():
            fut.set_result(ev)


async def _timed_call(
    worker: Worker,
    arrivals: Arrivals,
    printer_id: str,
    call: tuple[str, str, dict[str, Any]],
) -> tuple[int, int, str | None, dict[str, Any]]:
    """Call a service; return (ns until the command arrived, ns until the call returned, error, command)."""
    assert worker.hass is not None
    domain, service, data = call
    fut = arrivals.expect(printer_id)
    error: str | None = None
    t0 = time.perf_counter_ns()
    try:
        await worker.hass.services.async_call(domain, service, data, blocking=True)
    except HomeAssistantError as err:
        error = f"{type(err).__name__}: {err}"
    t_ret = time.perf_counter_ns()
    ev = await asyncio.wait_for(fut, ARRIVAL_TIMEOUT)
    return ev["t"] - t0, t_ret - t0, error, ev


async def measure_commands(worker: Worker, n: int) -> dict[str, Any]:
    """Time number changes and button presses of (a) and the equivalent core MQTT YAML entities (b)."""
    arrivals = Arrivals()
    worker.driver.on_command = arrivals.on_command
    await worker.driver.call("listen", host=worker.host, port=worker.port)
    out: dict[str, Any] = {}
    a = next((p for p in worker.paths if isinstance(p, IntegrationPath) and p.name == "a"), None)
    b_ids = worker.command_entities_b
    series: dict[str, dict[str, list[int]]] = {}
    errors: dict[str, list[str]] = {}

    def add(name: str, arrive: int, ret: int, err: str | None) -> None:
        s = series.setdefault(name, {"arrive_ns": [], "return_ns": []})
        s["arrive_ns"].append(arrive)
        s["return_ns"].append(ret)
        if err is not None:
            errors.setdefault(name, []).append(err)

    a_number = (
        a.all_entities.get(("number", "target_nozzle_temperature")) if a is not None else None
    )
    b_number = b_ids.get("number")
    # Interleaved: a, b, a, b ...; values alternate so every call is a real change.
    for i in range(n):
        value = 200 + i % 2
        if a_number is not None and a is not None:
            arrive, ret, err, _ = await _timed_call(
                worker,
                arrivals,
                a.printer_id,
                ("number", "set_value", {"entity_id": a_number, "value": value}),
            )
            add("a_number", arrive, ret, err)
        if b_number is not None:
            arrive, ret, err, _ = await _timed_call(
                worker,
                arrivals,
                worker.printer_ids["b"],
                ("number", "set_value", {"entity_id": b_number, "value": value}),
            )
            add("b_number", arrive, ret, err)
    if a is not None:
        try:
            await _button_cycle(worker, arrivals, a, max(4, n // 6), add)
        except Exception as err:
            worker.note(f"button presses on (a) could not be measured: {type(err).__name__}: {err}")
    b_button = b_ids.get("button")
    if b_button is not None:
        for _ in range(max(4, n // 6)):
            arrive, ret, err, _ = await _timed_call(
                worker,
                arrivals,
                worker.printer_ids["b"],
                ("button", "press", {"entity_id": b_button}),
            )
            add("b_button", arrive, ret, err)
    out["series"] = series
    out["errors"] = {k: [*v[:3], f"... {len(v)} in all"] for k, v in errors.items()}
    worker.driver.on_command = None
    return out


async def _button_cycle(
    worker: Worker, arrivals: Arrivals, a: IntegrationPath, presses: int, add: Any
) -> None:
    """Start a real print on (a)'s simulator, then press pause and resume in turn."""
    assert worker.hass is not None
    hass = worker.hass
    pause = a.all_entities.get(("button", "pause"))
    resume = a.all_entities.get(("button", "resume"))
    if pause is None or resume is None:
        raise RuntimeError("no pause/resume buttons")
    await worker.driver.call(
        "start_print", p=a.printer_index, filename="/parts/phone_stand_PETG.gcode"
    )
    state_eid = a.entities["print_state"]
    file_eid = a.entities["current_file"]

    def shows(eid: str, *values: str) -> bool:
        st = hass.states.get(eid)
        return st is not None and st.state in values

    def available(eid: str) -> bool:
        st = hass.states.get(eid)
        return st is not None and st.state != "unavailable"

    # The simulator's own print reports replace the benchmark's made-up job first.
    await wait_until(
        lambda: "phone_stand" in (getattr(hass.states.get(file_eid), "state", "")),
        15,
        "the simulator's print job",
    )
    for i in range(presses):
        if i % 2 == 0:
            eid, ready = pause, ("printing", "preheating")
        else:
            eid, ready = resume, ("paused",)
        await wait_until(
            lambda eid=eid, ready=ready: shows(state_eid, *ready) and available(eid),
            15,
            f"{eid} usable",
        )
        arrive, ret, err, _ev = await _timed_call(
            worker, arrivals, a.printer_id, ("button", "press", {"entity_id": eid})
        )
        add("a_button", arrive, ret, err)


async def measure_setup(worker: Worker, n: int) -> dict[str, Any]:
    """Time config entry setups with the broker up: new entries, and re-setups of one entry."""
    assert worker.hass is not None
    hass = worker.hass
    out: dict[str, Any] = {"first_s": worker.result.get("setup_first_s")}
    a = next((p for p in worker.paths if isinstance(p, IntegrationPath) and p.name == "a"), None)
    if a is None:
        return out
    add_s: list[float] = []
    for _ in range(n):
        printer_id = secrets.token_hex(16)
        path = IntegrationPath(
            hass, -1, reports.MODEL_ID, printer_id, host=worker.host, port=worker.port
        )
        entry = make_entry(
            DOMAIN, path.entry_data(), title=f"Setup {printer_id[:6]}", unique_id=printer_id
        )
        t = time.perf_counter()
        await hass.config_entries.async_add(entry)
        add_s.append(time.perf_counter() - t)
        if entry.state is not ConfigEntryState.LOADED:
            raise RuntimeError(f"setup entry did not load: {entry.state}")
        await hass.config_entries.async_remove(entry.entry_id)
    resetup_s: list[float] = []
    for _ in range(n):
        await hass.config_entries.async_unload(a.entry.entry_id)
        t = time.perf_counter()
        await hass.config_entries.async_setup(a.entry.entry_id)
        resetup_s.append(time.perf_counter() - t)
        if a.entry.state is not ConfigEntryState.LOADED:
            raise RuntimeError(f"re-setup did not load: {a.entry.state}")
    out["add_s"] = add_s
    out["resetup_s"] = resetup_s
    return out
