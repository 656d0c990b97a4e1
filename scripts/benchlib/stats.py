"""Percentiles, medians and the summaries the report is built from (pure functions over worker JSON)."""

from __future__ import annotations

import math
import statistics
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return math.nan
    data = sorted(values)
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def median(values: list[float]) -> float:
    """Return the median, nan for no values."""
    return float(statistics.median(values)) if values else math.nan


def ratio(a: float, b: float) -> float:
    """Return a / b (nan when undefined)."""
    if math.isnan(a) or math.isnan(b) or b == 0:
        return math.nan
    return a / b


def latency_summary(latency: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per path and kind: pooled p50/p99 (ms) of the last expected entity, per-round p50s, counts."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path, kinds in latency.items():
        for kind, runs in kinds.items():
            pooled = [x / 1e6 for r in runs for x in r["last_ns"]]
            first = [x / 1e6 for r in runs for x in r["first_ns"]]
            out.setdefault(path, {})[kind] = {
                "n": len(pooled),
                "p50": percentile(pooled, 50),
                "p99": percentile(pooled, 99),
                "first_p50": percentile(first, 50),
                "round_p50": [percentile([x / 1e6 for x in r["last_ns"]], 50) for r in runs],
                "round_p99": [percentile([x / 1e6 for x in r["last_ns"]], 99) for r in runs],
                "lost": sum(r["lost"] for r in runs),
                "wrong": sum(r["wrong"] for r in runs),
            }
    return out


def round_ratios(xs: list[float], ys: list[float]) -> list[float]:
    """Return per-round ratios x/y of two interleaved series."""
    return [ratio(x, y) for x, y in zip(xs, ys, strict=False)]


def throughput_summary(tp: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per path: the highest rate kept up with, and why the next step failed."""
    out: dict[str, dict[str, Any]] = {}
    for path, steps in tp.items():
        ok = [s for s in steps if s["ok"]]
        bad = [s for s in steps if not s["ok"]]
        best = max(ok, key=lambda s: s["achieved"]) if ok else None
        why = None
        if bad:
            s = bad[0]
            reasons = []
            if s["final_ms"] is None:
                reasons.append("last report not shown within 2 s")
            elif s["final_ms"] >= 50 + s.get("hold_ms", 0):
                reasons.append(f"last report {s['final_ms']:.0f} ms late")
            if s["lag_ms"] >= 50:
                reasons.append(f"loop lag {s['lag_ms']:.0f} ms")
            if s.get("client_queue_drops"):
                reasons.append(f"client queue full, {s['client_queue_drops']} reports dropped")
            why = f"at {s['achieved']:.0f}/s: " + ", ".join(reasons)
        out[path] = {
            "rate": best["achieved"] if best else None,
            "lag_ms": best["lag_ms"] if best else None,
            "final_ms": best["final_ms"] if best else None,
            "limited_by": why or "not reached (highest rate tried)",
            "top_tried": max((s["rate"] for s in steps), default=None),
        }
    return out


def cpu_summary(cpu: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per path: median µs of CPU per report and the per-round values."""
    return {
        path: {
            "us": median([r["cpu_per_report_us"] for r in runs]),
            "rounds": [r["cpu_per_report_us"] for r in runs],
            "ok": all(r["ok"] for r in runs),
            "rate": runs[0]["rate"] if runs else None,
        }
        for path, runs in cpu.items()
    }


def command_summary(commands: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per series (a_number, b_button, ...): p50/p99 ms to arrival and until the call returned."""
    out: dict[str, dict[str, Any]] = {}
    for name, s in commands.get("series", {}).items():
        arrive = [x / 1e6 for x in s["arrive_ns"]]
        ret = [x / 1e6 for x in s["return_ns"]]
        out[name] = {
            "n": len(arrive),
            "p50": percentile(arrive, 50),
            "p99": percentile(arrive, 99),
            "ret_p50": percentile(ret, 50),
            "ret_p99": percentile(ret, 99),
            "errors": len(commands.get("errors", {}).get(name, [])),
        }
    return out


def setup_summary(setup: dict[str, Any]) -> dict[str, Any]:
    """First setup, and medians of new-entry and re-setup times (ms)."""
    add = [x * 1000 for x in setup.get("add_s", [])]
    re_ = [x * 1000 for x in setup.get("resetup_s", [])]
    first = setup.get("first_s")
    return {
        "first_ms": first * 1000 if first is not None else math.nan,
        "add_p50": median(add),
        "add_max": max(add) if add else math.nan,
        "resetup_p50": median(re_),
        "resetup_max": max(re_) if re_ else math.nan,
        "n": len(add),
    }
