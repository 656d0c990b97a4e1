"""One benchmark process: a broker, a Home Assistant instance, the driver, every path; raw results as JSON."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import asdict, dataclass
import gc
import importlib
import json
import logging
from pathlib import Path
import secrets
import sys
import tempfile
import time
from typing import Any

from homeassistant.core import HomeAssistant

from . import measure, reports
from .hass_env import start_hass, stop_hass
from .measure import Seq
from .paths import (
    DEFAULT_KEYS,
    YAML_SENSORS,
    BenchPath,
    CoreYamlPath,
    IntegrationPath,
    RawPath,
    TransportPath,
    command_yaml,
    entity_id_for,
    integration_available,
    setup_core_mqtt,
    transport_available,
    write_config,
)
from .rpc import DriverClient

_LOGGER = logging.getLogger("bench.worker")


class QueueFullCounter(logging.Filter):
    """Count (and keep off the terminal) paho's "Message queue is full" warnings: dropped reports."""

    count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Count the record; let everything else through."""
        if "queue is full" in record.getMessage():
            QueueFullCounter.count += 1
            return False
        return True


@dataclass
class Options:
    """What one worker measures and how much."""

    broker: str = "mosquitto"  # or "amqtt" (runs inside the driver process)
    reports: int = 2000  # per path and report kind, over all rounds
    rounds: int = 4
    gap_ms: float = 0.0  # pause between latency reports (0: next one as soon as the last arrived)
    discover_reports: int = 12  # reports that find which entities each report kind changes
    collect: bool = True  # full garbage collection before each measured block
    spaced_reports: int = 100  # per kind, if the integration throttles entity updates (see below)
    kinds: tuple[str, ...] = ("temp", "print")
    rates: tuple[float, ...] = (500, 1000, 2000, 4000, 8000)
    burst_seconds: float = 1.5
    cpu_reports: int = 2000
    cpu_rate: float = 500
    cpu_rounds: int = 4
    idle_seconds: float = 0.5
    commands: int = 300
    setups: int = 10
    memory: tuple[int, ...] = ()  # printer counts for the memory phase (own worker recommended)
    profile: bool = False
    only: tuple[str, ...] = ()  # restrict to these paths (a, b, c, t)


class Worker:
    """Runs the phases in one Home Assistant instance."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.driver = DriverClient()
        self.hass: HomeAssistant | None = None
        self.broker: Any = None
        self.host = "127.0.0.1"
        self.port = 0
        self.paths: list[BenchPath] = []
        self.seq: dict[str, Seq] = {}
        self.printer_ids: dict[str, str] = {}
        self.command_entities_b: dict[str, str] = {}
        self.result: dict[str, Any] = {"broker": opts.broker, "options": asdict(opts), "notes": []}
        self._tmp = tempfile.TemporaryDirectory(prefix="kobra2-bench-")

    def note(self, text: str) -> None:
        """Keep a remark for the report."""
        _LOGGER.warning("%s", text)
        self.result["notes"].append(text)

    async def start_broker(self) -> None:
        """Start the broker: mosquitto as a subprocess, amqtt inside the driver process."""
        if self.opts.broker == "mosquitto":
            from tests.helpers.brokers import MosquittoBroker

            self.broker = MosquittoBroker(workdir=Path(self._tmp.name) / "mosquitto")
            await self.broker.start()
            self.port = self.broker.port
        else:
            self.port = (await self.driver.call("amqtt"))["port"]

    async def run(self) -> dict[str, Any]:
        """Run every phase, always cleaning up."""
        try:
            await self.driver.start()
            await self.start_broker()
            config_dir = Path(self._tmp.name) / "config"
            config_dir.mkdir()
            write_config(config_dir, {})
            t = time.perf_counter()
            self.hass = await start_hass(config_dir)
            self.result["hass_start_s"] = round(time.perf_counter() - t, 3)
            phases = (
                [self.phase_memory]
                if self.opts.memory
                else [
                    self.build_paths,
                    self.phase_latency,
                    self.phase_throughput,
                    self.phase_cpu,
                    *([self.phase_profile] if self.opts.profile else []),
                    self.phase_commands,
                    self.phase_setup,
                ]
            )
            for phase in phases:
                t = time.perf_counter()
                try:
                    await phase()
                except Exception as err:
                    if phase == self.build_paths:
                        raise
                    # The other phases still say something; the report names what failed.
                    _LOGGER.exception("%s failed", phase.__name__)
                    self.note(f"{phase.__name__} failed: {type(err).__name__}: {err}")
                    self.result.setdefault("failed_phases", []).append(phase.__name__)
                self.result.setdefault("phase_s", {})[phase.__name__] = round(
                    time.perf_counter() - t, 2
                )
        finally:
            await self.close()
        return self.result

    async def close(self) -> None:
        """Stop Home Assistant, the driver and the broker."""
        for path in self.paths:
            with contextlib.suppress(Exception):
                await path.teardown()
        if self.hass is not None:
            with contextlib.suppress(Exception):
                await stop_hass(self.hass)
        await self.driver.close()
        if self.broker is not None:
            await self.broker.close()
        self._tmp.cleanup()

    def want(self, name: str) -> bool:
        """Return whether path name is to be measured."""
        return not self.opts.only or name in self.opts.only

    async def build_paths(self) -> None:
        """Start one simulated printer per path and set every path up."""
        assert self.hass is not None
        hass = self.hass
        names = ["a", "b", "c", "t"]
        ids = {n: secrets.token_hex(16) for n in names}
        self.printer_ids = ids
        model = reports.MODEL_ID
        printers = [[model, ids[n]] for n in names]
        info = await self.driver.call("printers", host=self.host, port=self.port, printers=printers)
        self.result["printer_kind"] = info["kind"]
        if info["kind"] != "simulator":
            self.note(
                "the project's simulator was not importable: reports came from a bare aiomqtt publisher"
            )
        keys: tuple[str, ...] = DEFAULT_KEYS
        paths: list[BenchPath] = []
        a: IntegrationPath | None = None
        if self.want("a") and integration_available():
            a = IntegrationPath(hass, 0, model, ids["a"], host=self.host, port=self.port)
            await a.setup()
            self.result["setup_first_s"] = round(a.setup_s, 4)
            yaml_keys = {k for k, *_ in YAML_SENSORS}
            keys = tuple(k for k in a.entities if k in yaml_keys)
            self.result["a_entities"] = sorted(a.entities)
            paths.append(a)
        elif self.want("a"):
            self.note("integration not importable yet: path (a) skipped")
        b = CoreYamlPath(hass, 1, model, ids["b"], keys=keys)
        platforms: dict[str, list[dict[str, Any]]] = {}
        if self.want("b"):
            platforms = {"sensor": b.yaml(), **command_yaml(model, ids["b"], "bench_b")}
        await setup_core_mqtt(hass, self.host, self.port, platforms)
        if self.want("b"):
            await b.setup()
            paths.append(b)
            for domain, suffix in (("button", "pause"), ("number", "target_nozzle")):
                eid = entity_id_for(hass, domain, "mqtt", f"bench_b_{ids['b']}_{suffix}")
                if eid is not None:
                    self.command_entities_b[domain] = eid
        self.result["b_sensors"] = list(keys)
        if self.want("c"):
            c = RawPath(hass, 2, model, ids["c"], host=self.host, port=self.port)
            await c.setup()
            paths.append(c)
        if self.want("t") and transport_available() and a is not None:
            t = TransportPath(
                hass,
                3,
                model,
                ids["t"],
                host=self.host,
                port=self.port,
            )
            try:
                await t.setup()
                paths.append(t)
            except Exception as err:
                self.note(f"HA MQTT transport path could not be set up: {err}")
        self.paths = paths
        self.seq = {p.name: Seq() for p in paths}
        with rate_limiter_off():
            for p in paths:
                await measure.prime(p, self.driver, self.seq[p.name])
                for kind in self.opts.kinds:
                    exp = await measure.discover_expected(
                        p, self.driver, self.seq[p.name], kind, n=self.opts.discover_reports
                    )
                    self.result.setdefault("expected", {}).setdefault(p.name, {})[kind] = sorted(
                        k for k, e in p.entities.items() if e in exp
                    )
        self.result["paths"] = {p.name: p.label for p in paths}

    async def phase_latency(self) -> None:
        """Interleaved rounds (a b c, b c a, ...) of reports, one in flight at a time."""
        throttle = flush_interval()
        # Back to back, reports come about a millisecond apart: a burst the integration's rate
        # limiter holds back by design. Switched off here, this run shows the processing latency;
        # the spaced run below keeps the limiter as shipped.
        with rate_limiter_off():
            self.result["latency"] = await self._latency_rounds(
                self.paths, self.opts.reports, self.opts.rounds, self.opts.gap_ms / 1000
            )
        self.result["limiter_off_back_to_back"] = throttle > 0
        if throttle > 0 and self.opts.spaced_reports and any(p.name in "at" for p in self.paths):
            # The integration holds entity updates back in a burst; back-to-back reports measure
            # that hold. Spaced reports show the latency of a printer reporting at its own pace.
            gap = throttle + 0.02
            paths = [p for p in self.paths if p.name in "atb"]
            # Let the update budget the back-to-back run used up fill again first.
            await asyncio.sleep(throttle * (flush_burst() or 1) + 0.2)
            self.result["latency_spaced"] = await self._latency_rounds(
                paths, self.opts.spaced_reports, 2, gap
            )
            self.result["spaced_gap_ms"] = round(gap * 1000, 1)
            self.result["flush_interval_ms"] = round(throttle * 1000, 1)
            self.result["flush_burst"] = flush_burst()

    async def _latency_rounds(
        self, paths: list[BenchPath], reports_per_kind: int, rounds: int, gap: float
    ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Run latency blocks for paths in rotating order; return raw times per path and kind."""
        per_round = max(1, reports_per_kind // rounds)
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for r in range(rounds):
            order = paths[r % len(paths) :] + paths[: r % len(paths)]
            for p in order:
                for kind in self.opts.kinds:
                    if self.opts.collect:
                        gc.collect()
                    run = await measure.latency_block(
                        p, self.driver, self.seq[p.name], kind, per_round, gap=gap
                    )
                    out.setdefault(p.name, {}).setdefault(kind, []).append(
                        {
                            "first_ns": run.first,
                            "last_ns": run.last,
                            "lost": run.lost,
                            "wrong": run.wrong,
                        }
                    )
        return out

    async def phase_throughput(self) -> None:
        """Step the report rate up, path by path interleaved, until a path stops keeping up."""
        out: dict[str, list[dict[str, Any]]] = {p.name: [] for p in self.paths}
        failed: set[str] = set()
        for rate in self.opts.rates:
            for p in self.paths:
                if p.name in failed:
                    continue
                count = max(50, int(rate * self.opts.burst_seconds))
                dropped = QueueFullCounter.count
                res = await measure.burst(p, self.driver, self.seq[p.name], rate, count)
                d = measure.burst_dict(res)
                d["client_queue_drops"] = QueueFullCounter.count - dropped
                d["hold_ms"] = p.hold_ms
                out[p.name].append(d)
                if not res.ok:
                    failed.add(p.name)
        self.result["throughput"] = out

    async def phase_cpu(self) -> None:
        """CPU time per report at a rate every path keeps up with, interleaved rounds."""
        # Every report fully processed, as at a printer's own pace (the limiter would merge them).
        with rate_limiter_off():
            await self._cpu_rounds()

    async def _cpu_rounds(self) -> None:
        """Run the CPU rounds."""
        out: dict[str, list[dict[str, Any]]] = {p.name: [] for p in self.paths}
        for r in range(self.opts.cpu_rounds):
            order = self.paths[r % len(self.paths) :] + self.paths[: r % len(self.paths)]
            for p in order:
                if self.opts.collect:
                    gc.collect()
                idle = await measure.idle_cpu_rate(self.opts.idle_seconds)
                res = await measure.burst(
                    p, self.driver, self.seq[p.name], self.opts.cpu_rate, self.opts.cpu_reports
                )
                d = measure.burst_dict(res)
                d["idle_cpu_per_s"] = idle
                d["cpu_per_report_us"] = max(0.0, (res.cpu_s - idle * res.wall_s)) / res.count * 1e6
                out[p.name].append(d)
        self.result["cpu"] = out

    async def phase_commands(self) -> None:
        """Command latency of (a) and (b)."""
        from .commands import measure_commands

        assert self.hass is not None
        self.result["commands"] = await measure_commands(self, self.opts.commands)

    async def phase_setup(self) -> None:
        """Config entry setup time with the broker up (first, then warm re-setups)."""
        from .commands import measure_setup

        self.result["setup"] = await measure_setup(self, self.opts.setups)

    async def phase_memory(self) -> None:
        """Memory per printer for each printer count (a, and b for comparison)."""
        from .memory import measure_memory

        self.result["memory"] = await measure_memory(self, self.opts.memory)

    async def phase_profile(self) -> None:
        """Where the time goes for (a) and (c) at a fixed rate."""
        from .profile import profile_paths

        with rate_limiter_off():
            self.result["profile"] = await profile_paths(
                self, self.opts.cpu_rate, self.opts.cpu_reports
            )


def flush_interval() -> float:
    """Return the integration's minimum time between entity updates in a burst (0 if none)."""
    try:
        coordinator = importlib.import_module("custom_components.anycubic_kobra2.throttle")
    except ImportError:
        return 0.0
    return float(getattr(coordinator, "FLUSH_INTERVAL", 0.0) or 0.0)


@contextlib.contextmanager
def rate_limiter_off() -> Iterator[None]:
    """Let every entity update of the integration through at once (its limiter's interval ~0)."""
    try:
        coordinator = importlib.import_module("custom_components.anycubic_kobra2.throttle")
    except ImportError:
        yield
        return
    saved = getattr(coordinator, "FLUSH_INTERVAL", None)
    if not saved:
        yield
        return
    coordinator.FLUSH_INTERVAL = 1e-9  # refills the budget on every report
    try:
        yield
    finally:
        coordinator.FLUSH_INTERVAL = saved


def flush_burst() -> int | None:
    """Return how many entity updates the integration lets through at once before holding back."""
    try:
        coordinator = importlib.import_module("custom_components.anycubic_kobra2.throttle")
    except ImportError:
        return None
    burst = getattr(coordinator, "FLUSH_BURST", None)
    return int(burst) if burst is not None else None


def parse_args(argv: list[str]) -> tuple[Options, Path]:
    """Parse the worker's command line (the orchestrator passes JSON options)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--options", required=True, help="JSON of Options")
    ap.add_argument("--out", required=True, help="where to write the JSON result")
    ns = ap.parse_args(argv)
    raw = json.loads(ns.options)
    for key in ("kinds", "rates", "memory", "only"):
        if key in raw:
            raw[key] = tuple(raw[key])
    return Options(**raw), Path(ns.out)


def main(argv: list[str] | None = None) -> None:
    """Run one worker and write its result."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(QueueFullCounter())
    for noisy in (
        "amqtt",
        "transitions",
        "homeassistant.components.http",
        "homeassistant.helpers.template",
        "homeassistant.loader",
        "aiohttp_fast_zlib",
    ):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    opts, out = parse_args(sys.argv[1:] if argv is None else argv)
    result = asyncio.run(Worker(opts).run())
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
