"""Orchestrator: one worker process per broker (and one for memory), then the markdown report."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
import datetime as dt
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

from .render import render
from .worker import Options

REPO = Path(__file__).resolve().parents[2]

FULL = Options(
    reports=2000,
    rounds=4,
    rates=(500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 16000),
    burst_seconds=1.5,
    cpu_reports=1000,
    cpu_rate=500,
    cpu_rounds=4,
    commands=300,
    setups=10,
    spaced_reports=60,
    profile=True,
)
QUICK = Options(
    reports=20,
    rounds=2,
    rates=(300,),
    burst_seconds=0.3,
    cpu_reports=60,
    cpu_rate=300,
    cpu_rounds=1,
    idle_seconds=0.2,
    commands=4,
    setups=1,
    spaced_reports=2,
    collect=False,
    discover_reports=5,
    profile=True,
)


def _read(path: str) -> str:
    """Return a small text file, or '' if missing."""
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(module: str) -> str:
    """Return an installed distribution's version."""
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """Describe the machine and software the run used."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in _read("/proc/cpuinfo").splitlines()
            if ln.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        (
            int(ln.split()[1])
            for ln in _read("/proc/meminfo").splitlines()
            if ln.startswith("MemTotal")
        ),
        0,
    )
    try:
        mosq = subprocess.run(
            [os.environ.get("KOBRA2_MOSQUITTO", "/usr/sbin/mosquitto"), "-h"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        mosq = "unknown"
    commit = os.environ.get("KOBRA2_BENCH_COMMIT", "")
    if not commit:
        git = ["git", "-C", str(REPO)]
        try:
            commit = subprocess.run(
                [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip()
            dirty = subprocess.run(
                [*git, "status", "--porcelain", "--untracked-files=no", "custom_components"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        except OSError:
            commit, dirty = "", ""
        if commit and dirty:
            commit += " with uncommitted changes to custom_components"
    import homeassistant.const as ha_const

    return {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "Home Assistant": ha_const.__version__,
        "aiomqtt / paho-mqtt / amqtt": f"{_version('aiomqtt')} / {_version('paho-mqtt')} / {_version('amqtt')}",
        "mosquitto": mosq.replace("mosquitto version", "").strip() or "unknown",
        "repository commit": commit or "unknown",
        "environment": os.environ.get("KOBRA2_ENV", "") or sys.prefix,
    }


def load_avg() -> str:
    """Return the 1-minute load average."""
    return _read("/proc/loadavg").split(" ", 1)[0] or "?"


def run_worker(opts: Options, timeout: float) -> dict[str, Any]:
    """Run one worker process and return its JSON result (or an error record)."""
    with tempfile.TemporaryDirectory(prefix="kobra2-bench-out-") as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [
            sys.executable,
            "-m",
            "scripts.benchlib.worker",
            "--options",
            json.dumps(asdict(opts)),
            "--out",
            str(out),
        ]
        t = time.monotonic()
        try:
            proc = subprocess.run(cmd, cwd=REPO, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {
                "broker": opts.broker,
                "error": f"worker timed out after {timeout:.0f} s",
                "notes": [],
            }
        if proc.returncode != 0 or not out.exists():
            return {
                "broker": opts.broker,
                "error": f"worker exited with {proc.returncode}",
                "notes": [],
            }
        result: dict[str, Any] = json.loads(out.read_text())
        result["wall_s"] = round(time.monotonic() - t, 1)
        return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    ap = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmarks against core MQTT and a raw floor."
    )
    ap.add_argument(
        "--quick", action="store_true", help="tiny counts (a smoke run, numbers meaningless)"
    )
    ap.add_argument("--reports", type=int, help="reports per path and report kind (default 2000)")
    ap.add_argument("--gap-ms", type=float, help="pause between latency reports (default 0)")
    ap.add_argument(
        "--brokers", default="mosquitto,amqtt", help="comma-separated: mosquitto, amqtt"
    )
    ap.add_argument(
        "--memory", default="1,10,50", help="printer counts for the memory run ('' to skip)"
    )
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown")
    ap.add_argument("--only", default="", help="restrict to paths, e.g. a,b")
    ap.add_argument(
        "--output", default=str(REPO / "BENCHMARKS.md"), help="markdown file to write ('' = none)"
    )
    ap.add_argument("--json", default="", help="also write the raw results here")
    ap.add_argument("--render", default="", help="only re-render the report from a --json file")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per worker process")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the report and write it to BENCHMARKS.md."""
    ns = parse_args(sys.argv[1:] if argv is None else argv)
    if ns.render:
        saved = json.loads(Path(ns.render).read_text())
        notes = [
            f"{r['broker']} run failed: {r['error']}" for r in saved["results"] if "error" in r
        ]
        text = render([r for r in saved["results"] if "error" not in r], saved["machine"], notes)
        print(text)
        if ns.output:
            Path(ns.output).write_text(text + "\n")
        return 0
    base = QUICK if ns.quick else FULL
    if ns.reports:
        base = replace(base, reports=ns.reports)
    if ns.gap_ms is not None:
        base = replace(base, gap_ms=ns.gap_ms)
    if ns.no_profile:
        base = replace(base, profile=False)
    if ns.only:
        base = replace(base, only=tuple(ns.only.split(",")))
    info = machine()
    load0 = load_avg()
    t0 = time.monotonic()
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    for broker in [b for b in ns.brokers.split(",") if b]:
        print(
            f"[bench] {broker}: latency, throughput, CPU, commands, setup ...",
            file=sys.stderr,
            flush=True,
        )
        results.append(run_worker(replace(base, broker=broker), ns.timeout))
    if ns.memory:
        counts = tuple(int(x) for x in ns.memory.split(","))
        print(f"[bench] memory with {counts} printers ...", file=sys.stderr, flush=True)
        results.append(run_worker(replace(base, broker="mosquitto", memory=counts), ns.timeout))
    for res in results:
        if "error" in res:
            notes.append(f"{res['broker']} run failed: {res['error']}")
    info["1-min load average before / after"] = (
        f"{load0} / {load_avg()} (other work on the machine skews every figure)"
    )
    info["run time"] = f"{time.monotonic() - t0:.0f} s" + (
        " (quick smoke run: numbers are not meaningful)" if ns.quick else ""
    )
    good = [r for r in results if "error" not in r]
    text = render(good, info, notes)
    print(text)
    if ns.output:
        Path(ns.output).write_text(text + "\n")
    if ns.json:
        Path(ns.json).write_text(json.dumps({"machine": info, "results": results}))
    failed = any(r.get("failed_phases") for r in good)
    return 0 if good and not notes and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
