"""Run scripts/bench with tiny counts and check it measures every path and renders every table."""

from __future__ import annotations

import json
import math
from pathlib import Path
import subprocess
import sys

REPO = Path(__file__).resolve().parents[2]


def test_quick_run_measures_every_path_and_renders_tables(tmp_path: Path) -> None:
    """Each path gets finite latencies, CPU and throughput figures; the markdown holds each section."""
    out_md, out_json = tmp_path / "BENCH.md", tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "bench.py"),
            "--quick",
            "--brokers",
            "mosquitto",
            "--memory",
            "1,2",
            "--output",
            str(out_md),
            "--json",
            str(out_json),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out_json.exists(), proc.stderr[-4000:]
    data = json.loads(out_json.read_text())
    runs = data["results"]
    assert [r.get("error") for r in runs] == [None, None], proc.stderr[-4000:]
    main, mem = runs

    assert {"a", "b", "c"} <= set(main["paths"])
    assert main["printer_kind"] == "simulator"
    for path in ("a", "b", "c"):
        for kind in ("temp", "print"):
            blocks = main["latency"][path][kind]
            last = [x for b in blocks for x in b["last_ns"]]
            first = [x for b in blocks for x in b["first_ns"]]
            assert len(last) == 20, (path, kind)
            assert sum(b["lost"] + b["wrong"] for b in blocks) == 0, (path, kind)
            # Every latency is positive and the last entity never precedes the first one.
            assert all(0 < f <= la < 5e9 for f, la in zip(first, last, strict=True)), (path, kind)
        # The raw floor has one "entity"; the integration and core MQTT update several per report.
        expected = main["expected"][path]
        assert "nozzle_temperature" in expected["temp"]
        assert "progress" in expected["print"]
    assert set(main["expected"]["a"]["temp"]) == set(main["expected"]["b"]["temp"])

    for path in ("a", "b", "c"):
        (cpu,) = main["cpu"][path]
        assert cpu["ok"], cpu
        assert 0 < cpu["cpu_per_report_us"] < 1e5
        step = main["throughput"][path][0]
        assert step["states"] >= 1
        assert step["achieved"] > 0
        prof = main["profile"][path]
        assert prof["total_us_per_report"] > 0
        assert prof["groups_us_per_report"].get("paho-mqtt", 0) > 0

    series = main["commands"]["series"]
    for name in ("a_number", "b_number", "a_button", "b_button"):
        assert series[name]["arrive_ns"], name
        assert all(0 < t < 5e9 for t in series[name]["arrive_ns"]), name
    assert main["commands"]["errors"] == {}
    assert main["setup"]["add_s"]
    assert all(0 < s < 30 for s in main["setup"]["add_s"] + main["setup"]["resetup_s"])

    for path in ("a", "b"):
        for n in ("1", "2"):
            m = mem["memory"][path][n]
            assert m["printers"] == int(n)
            assert m["entities_per_printer"] > 0
            assert math.isfinite(m["heap_kib_per_printer"])
            assert m["heap_kib_per_printer"] > 0

    md = out_md.read_text()
    for heading in (
        "## Machine and run",
        "## Goals (mosquitto run)",
        "## Report-to-state latency",
        "## Sustained throughput",
        "## CPU time per report",
        "### Where the time goes (mosquitto)",
        "## Command latency",
        "## Config entry setup",
        "## Memory per printer",
    ):
        assert heading in md, heading
    assert "| mosquitto | temperature report (4 values) | (a) anycubic_kobra2" in md
    assert "| mosquitto | (b) core MQTT YAML sensors | 2 |" in md
    assert proc.stdout.strip() == md.strip()
    assert proc.returncode == 0, proc.stderr[-4000:]
