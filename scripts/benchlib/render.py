"""Markdown report: machine description, result tables, goals (met or not, and why)."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

from . import stats

KIND_LABEL = {
    "temp": "temperature report (4 values)",
    "print": "print progress report (job values)",
}
PATH_ORDER = ("a", "t", "b", "c")


def fmt(x: float | None, digits: int = 2) -> str:
    """Format a number for a table; '-' when missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Return markdown table lines."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


@dataclass
class Goal:
    """One goal of the issue and its outcome."""

    name: str
    target: str
    measured: str
    met: bool | None
    why: str = ""


def _paths(result: dict[str, Any]) -> list[str]:
    """Return the path names present in a worker result, in display order."""
    present = result.get("paths", {})
    return [p for p in PATH_ORDER if p in present]


def latency_rows(results: list[dict[str, Any]], key: str = "latency") -> list[list[str]]:
    """Rows of a report-to-state latency table, every broker and report kind."""
    rows: list[list[str]] = []
    for res in results:
        if key not in res:
            continue
        summ = stats.latency_summary(res[key])
        for kind in res["options"]["kinds"]:
            for p in _paths(res):
                s = summ.get(p, {}).get(kind)
                if s is None:
                    continue
                b = summ.get("b", {}).get(kind)
                r50 = r99 = math.nan
                if b is not None and p != "b":
                    r50 = stats.median(stats.round_ratios(s["round_p50"], b["round_p50"]))
                    r99 = stats.ratio(s["p99"], b["p99"])
                rows.append(
                    [
                        res["broker"],
                        KIND_LABEL.get(kind, kind),
                        f"({p}) {res['paths'][p]}",
                        str(s["n"]),
                        fmt(s["p50"], 3),
                        fmt(s["p99"], 3),
                        fmt(stats.median(s["round_p50"]), 3),
                        fmt(r50) if p != "b" else "1",
                        fmt(r99) if p != "b" else "1",
                        f"{s['lost']}/{s['wrong']}",
                    ]
                )
    return rows


LATENCY_HEADER = [
    "broker",
    "report",
    "path",
    "reports",
    "p50 ms",
    "p99 ms",
    "median of round p50s",
    "p50 ÷ (b)",
    "p99 ÷ (b)",
    "lost/wrong",
]


def latency_section(results: list[dict[str, Any]]) -> list[str]:
    """Report-to-state latency tables (back to back, and spaced if the integration throttles)."""
    rows = latency_rows(results)
    lines = [
        "## Report-to-state latency",
        "",
        "From the simulator publishing a report to the new state of every entity the report changes in",
        "Home Assistant's state machine (for the raw floor: the message handed to the subscriber).",
        "One report in flight at a time; paths interleaved in rounds (a b c, b c a, ...)."
        + (
            f" After each report the publisher waits {gap:g} ms more."
            if (gap := max((r["options"].get("gap_ms", 0) for r in results), default=0))
            else " The next report goes out as soon as the previous one arrived."
        )
        + (
            " The integration's burst rate limiter (`FLUSH_INTERVAL`) is switched off for this run: reports"
            " a millisecond apart are a burst it holds back by design; the spaced run below keeps it."
            if any(r.get("limiter_off_back_to_back") for r in results)
            else ""
        ),
        "Ratios are to the core MQTT YAML path (b): p50 = median of the per-round p50 ratios, p99 on pooled samples.",
        "",
        *table(LATENCY_HEADER, rows),
        "",
    ]
    spaced = [r for r in results if "latency_spaced" in r]
    if spaced:
        res = spaced[0]
        lines += [
            f"### Spaced reports ({res['spaced_gap_ms']:g} ms apart)",
            "",
            "The integration rate-limits entity updates while reports arrive in a burst: "
            + (
                f"{res['flush_burst']} updates at once, then one per {res['flush_interval_ms']:g} ms"
                if res.get("flush_burst")
                else f"at most one per {res['flush_interval_ms']:g} ms"
            )
            + " (`FLUSH_INTERVAL` in throttle.py),",
            "which back-to-back reports would mostly measure. Here, with the limiter as shipped, each report",
            "follows the previous one's arrival by more than that interval, as a printer reporting every few",
            "seconds does.",
            "",
            *table(LATENCY_HEADER, latency_rows(results, "latency_spaced")),
            "",
        ]
    return lines


def throughput_section(results: list[dict[str, Any]]) -> list[str]:
    """Sustained throughput table."""
    rows: list[list[str]] = []
    for res in results:
        if "throughput" not in res:
            continue
        summ = stats.throughput_summary(res["throughput"])
        for p in _paths(res):
            s = summ.get(p)
            if s is None:
                continue
            rows.append(
                [
                    res["broker"],
                    f"({p}) {res['paths'][p]}",
                    fmt(s["rate"], 0),
                    fmt(s["lag_ms"], 1),
                    fmt(s["final_ms"], 1),
                    s["limited_by"],
                ]
            )
    return [
        "## Sustained throughput",
        "",
        "Temperature reports at a fixed rate for about 1.5 s per step, steps interleaved across paths. A step is kept",
        "up with when the last report of the burst shows in the state machine less than 50 ms after it was published"
        " (plus the integration's deliberate hold-back in a burst, if any)",
        "and the event loop's lag (a task sleeping 10 ms) stays under 50 ms. Bursts are published by a raw-socket",
        "MQTT publisher on the printer's topic (the simulator's own client cannot publish this fast).",
        "",
        *table(
            [
                "broker",
                "path",
                "highest rate kept up (reports/s)",
                "max loop lag ms",
                "last report ms",
                "next step",
            ],
            rows,
        ),
        "",
    ]


def cpu_section(results: list[dict[str, Any]]) -> list[str]:
    """CPU time per report table."""
    rows: list[list[str]] = []
    for res in results:
        if "cpu" not in res:
            continue
        summ = stats.cpu_summary(res["cpu"])
        b = summ.get("b")
        c = summ.get("c")
        for p in _paths(res):
            s = summ.get(p)
            if s is None:
                continue
            ratio = stats.median(stats.round_ratios(s["rounds"], b["rounds"])) if b else math.nan
            above = s["us"] - c["us"] if c is not None and p != "c" else math.nan
            rows.append(
                [
                    res["broker"],
                    f"({p}) {res['paths'][p]}",
                    fmt(s["rate"], 0),
                    fmt(s["us"], 1),
                    " / ".join(fmt(x, 0) for x in s["rounds"]),
                    fmt(above, 1),
                    fmt(ratio) if p != "b" else "1",
                ]
            )
    return [
        "## CPU time per report",
        "",
        "CPU time (user + system, all threads) of the Home Assistant process while temperature reports arrive",
        "at a steady rate, minus the idle rate measured just before, divided by the reports. Interleaved rounds.",
        "At a low rate every report wakes the event loop on its own, so this includes the per-wake-up cost.",
        *(
            [
                "The integration's burst rate limiter is switched off here (and in the profile below), so every",
                "report is processed in full, as at a printer's own pace; with it, a burst costs less per report.",
            ]
            if any(r.get("limiter_off_back_to_back") for r in results)
            else []
        ),
        "",
        *table(
            [
                "broker",
                "path",
                "rate/s",
                "µs per report (median)",
                "rounds",
                "above the raw floor",
                "÷ (b)",
            ],
            rows,
        ),
        "",
    ]


def profile_section(results: list[dict[str, Any]]) -> list[str]:
    """Where the time goes, per path (cProfile own time per report by package)."""
    lines: list[str] = []
    for res in results:
        prof = res.get("profile")
        if not prof:
            continue
        paths = [p for p in _paths(res) if p in prof]
        groups: list[str] = []
        for p in paths:
            for g in prof[p]["groups_us_per_report"]:
                if g not in groups:
                    groups.append(g)
        rows = [
            [g, *(fmt(prof[p]["groups_us_per_report"].get(g), 1) for p in paths)] for g in groups
        ]
        rows.append(
            [
                "**total (under the profiler)**",
                *(fmt(prof[p]["total_us_per_report"], 1) for p in paths),
            ]
        )
        for key, label in (
            ("entity_writes_per_report", "entity state writes per report"),
            ("state_changes_per_report", "state machine writes per report"),
        ):
            rows.append([label, *(fmt(prof[p].get(key), 1) for p in paths)])
        lines += [
            f"### Where the time goes ({res['broker']})",
            "",
            "cProfile over a burst at a steady rate: own time per report, in µs, grouped by package (builtins count",
            "for their caller's package; time waiting in epoll is left out). The profiler inflates every figure;",
            "compare rows and paths, not absolute numbers with the tables above.",
            "",
            *table(["group", *(f"({p})" for p in paths)], rows),
            "",
        ]
        if res["broker"] == "mosquitto" and "a" in prof and prof["a"].get("top_us_per_report"):
            lines += [
                "Functions with the most own time in (a), µs per report under the profiler:",
                "",
                *table(
                    ["function", "µs"],
                    [[f"`{label}`", fmt(us, 1)] for label, us in prof["a"]["top_us_per_report"]],
                ),
                "",
            ]
    return lines


def command_section(results: list[dict[str, Any]]) -> list[str]:
    """Command latency table."""
    rows: list[list[str]] = []
    names = {
        "a_number": "(a) number: target nozzle temperature",
        "a_button": "(a) button: pause / resume a running print",
        "b_number": "(b) core MQTT YAML number (command_template)",
        "b_button": "(b) core MQTT YAML button (payload_press)",
    }
    for res in results:
        summ = stats.command_summary(res.get("commands", {}))
        for key in ("a_number", "a_button", "b_number", "b_button"):
            s = summ.get(key)
            if s is None:
                continue
            rows.append(
                [
                    res["broker"],
                    names[key],
                    str(s["n"]),
                    fmt(s["p50"], 3),
                    fmt(s["p99"], 3),
                    fmt(s["ret_p50"], 3),
                    fmt(s["ret_p99"], 3),
                    str(s["errors"]),
                ]
            )
    return [
        "## Command latency",
        "",
        "From the service call (`number.set_value`, `button.press`) to the command arriving at a subscriber on the",
        "printer's command topic in the simulator's process. The integration's call returns only after the printer",
        "answered (the simulator replies); core MQTT returns once the message is handed to its client.",
        "",
        *table(
            [
                "broker",
                "action",
                "calls",
                "arrival p50 ms",
                "arrival p99 ms",
                "call returns p50 ms",
                "p99 ms",
                "errors",
            ],
            rows,
        ),
        "",
    ]


def setup_section(results: list[dict[str, Any]]) -> list[str]:
    """Config entry setup table."""
    rows: list[list[str]] = []
    for res in results:
        if "setup" not in res:
            continue
        s = stats.setup_summary(res["setup"])
        rows.append(
            [
                res["broker"],
                fmt(s["first_ms"], 1),
                fmt(s["add_p50"], 1),
                fmt(s["add_max"], 1),
                fmt(s["resetup_p50"], 1),
                fmt(s["resetup_max"], 1),
                str(s["n"]),
            ]
        )
    return [
        "## Config entry setup",
        "",
        "`async_add` of a config entry with the broker up until the entry is loaded (entities added). The first one",
        "also imports the integration and its platforms; new entries and re-setups (unload, then setup) come after.",
        "",
        *table(
            [
                "broker",
                "first entry ms",
                "new entry p50 ms",
                "max ms",
                "re-setup p50 ms",
                "max ms",
                "runs",
            ],
            rows,
        ),
        "",
    ]


def memory_section(results: list[dict[str, Any]]) -> list[str]:
    """Memory per printer table."""
    rows: list[list[str]] = []
    for res in results:
        mem = res.get("memory")
        if not mem:
            continue
        for p, label in (("a", "(a) anycubic_kobra2"), ("b", "(b) core MQTT YAML sensors")):
            for n, m in sorted(mem.get(p, {}).items(), key=lambda kv: int(kv[0])):
                rows.append(
                    [
                        res["broker"],
                        label,
                        n,
                        fmt(m["entities_per_printer"], 0),
                        fmt(m["heap_kib_per_printer"], 1),
                        fmt(m["rss_kib_per_printer"], 0),
                    ]
                )
    return [
        "## Memory per printer",
        "",
        "N simulated printers on one broker. (a): one config entry per printer (all its default entities, its own",
        "MQTT connection); (b): the same sensor values as YAML sensors on Home Assistant's shared MQTT connection.",
        "Python heap growth is measured with tracemalloc (after a warm-up printer, so imports are not counted);",
        "RSS growth is noisier (allocator reuse).",
        "",
        *table(
            [
                "broker",
                "path",
                "printers",
                "entities per printer",
                "heap KiB per printer",
                "RSS KiB per printer",
            ],
            rows,
        ),
        "",
    ]


def _lat(results: list[dict[str, Any]], broker: str) -> dict[str, Any] | None:
    """Return the latency summary of one broker's run."""
    for res in results:
        if res.get("broker") == broker and "latency" in res:
            return stats.latency_summary(res["latency"])
    return None


def goals(results: list[dict[str, Any]]) -> list[Goal]:
    """Evaluate the issue's goals on the mosquitto run (amqtt shown in the tables)."""
    main = next((r for r in results if r.get("broker") == "mosquitto" and "latency" in r), None)
    mem = next((r for r in results if r.get("memory")), None)
    out: list[Goal] = []
    if main is None or "a" not in main.get("paths", {}):
        return [Goal("all goals", "(a) measured", "the integration was not measured", None)]
    prof = main.get("profile", {})
    for key in ("latency", "latency_spaced"):
        if key in main:
            out += _latency_goals(main, key, prof)
    return out + _other_goals(main, mem, prof)


def _latency_goals(main: dict[str, Any], key: str, prof: dict[str, Any]) -> list[Goal]:
    """Latency goals of one latency run (back to back, or spaced)."""
    out: list[Goal] = []
    lat = stats.latency_summary(main[key])
    how = "back to back" if key == "latency" else f"spaced {main.get('spaced_gap_ms', 0):g} ms"
    if key == "latency" and main.get("limiter_off_back_to_back"):
        how += ", rate limiter off"
    held = (
        key == "latency"
        and main.get("flush_interval_ms")
        and not main.get("limiter_off_back_to_back")
    )
    for kind in main["options"]["kinds"]:
        a, b = lat["a"][kind], lat["b"][kind]
        r50 = stats.median(stats.round_ratios(a["round_p50"], b["round_p50"]))
        r99 = stats.ratio(a["p99"], b["p99"])
        why = ""
        if r50 > 1.0:
            why = (
                f"entity updates are rate-limited to one per {main['flush_interval_ms']:g} ms once a burst "
                "has used its budget (see the spaced run)"
                if held
                else _why_slower(prof)
            )
        out.append(
            Goal(
                f"report-to-state p50, {KIND_LABEL[kind]}, {how}",
                "≤ 1.0 x (b)",
                f"{fmt(a['p50'], 3)} ms vs {fmt(b['p50'], 3)} ms = {fmt(r50)} x",
                r50 <= 1.0,
                why,
            )
        )
        out.append(
            Goal(
                f"report-to-state p99, {KIND_LABEL[kind]}, {how}",
                "≤ 1.5 x (b)",
                f"{fmt(a['p99'], 3)} ms vs {fmt(b['p99'], 3)} ms = {fmt(r99)} x",
                r99 <= 1.5,
                ""
                if r99 <= 1.5
                else (
                    f"(a)'s p99 is {fmt(a['p99'] / a['p50'], 1)} x its p50, (b)'s {fmt(b['p99'] / b['p50'], 1)} x; "
                    f"the bare subscriber's p99 on the same run: {fmt(lat['c'][kind]['p99'], 3)} ms"
                    if "c" in lat
                    else f"(a)'s p99 is {fmt(a['p99'] / a['p50'], 1)} x its p50, (b)'s {fmt(b['p99'] / b['p50'], 1)} x"
                ),
            )
        )
    return out


def _other_goals(
    main: dict[str, Any], mem: dict[str, Any] | None, prof: dict[str, Any]
) -> list[Goal]:
    """CPU, command, setup and memory goals."""
    out: list[Goal] = []
    cpu = stats.cpu_summary(main.get("cpu", {}))
    if "a" in cpu and "b" in cpu:
        r = stats.median(stats.round_ratios(cpu["a"]["rounds"], cpu["b"]["rounds"]))
        out.append(
            Goal(
                "CPU per report",
                "≤ 0.5 x (b)",
                f"{fmt(cpu['a']['us'], 0)} µs vs {fmt(cpu['b']['us'], 0)} µs = {fmt(r)} x",
                r <= 0.5,
                "" if r <= 0.5 else _why_cpu(cpu, prof),
            )
        )
    cmd = stats.command_summary(main.get("commands", {}))
    for key, label in (("a_number", "number change"), ("a_button", "button press")):
        if key in cmd:
            s = cmd[key]
            out.append(
                Goal(
                    f"command latency p50, {label}",
                    "< 1 ms",
                    f"{fmt(s['p50'], 3)} ms (p99 {fmt(s['p99'], 3)} ms)",
                    s["p50"] < 1.0,
                    "" if s["p50"] < 1.0 else _why_command(cmd, key),
                )
            )
    if "setup" in main:
        s = stats.setup_summary(main["setup"])
        worst = max(s["first_ms"], s["add_p50"])
        out.append(
            Goal(
                "config entry setup",
                "< 200 ms",
                f"first {fmt(s['first_ms'], 1)} ms, then p50 {fmt(s['add_p50'], 1)} ms",
                worst < 200,
            )
        )
    if mem is not None and mem["memory"].get("a"):
        per = {int(n): m["heap_kib_per_printer"] for n, m in mem["memory"]["a"].items()}
        lo, hi = min(per.values()), max(per.values())
        growth = stats.ratio(per[max(per)], per[min(per)])
        out.append(
            Goal(
                "cost per printer flat (1 → 50 printers)",
                "per-printer heap at 50 within 1.2 x of 1",
                " / ".join(f"{n}: {fmt(v, 0)} KiB" for n, v in sorted(per.items()))
                + f" ({fmt(growth)} x)",
                growth <= 1.2,
                "" if growth <= 1.2 else f"grows from {fmt(lo, 0)} to {fmt(hi, 0)} KiB per printer",
            )
        )
    return out


BUCKETS = {
    "MQTT transport": (
        "aiomqtt",
        "paho-mqtt",
        "asyncio event loop",
        "kobra2 client",
        "HA mqtt integration",
    ),
    "parsing, templates, entity code": (
        "kobra2 protocol (parse, state)",
        "integration (coordinator, entities)",
        "HA templates + jinja2",
    ),
    "HA state writes": (
        "HA entity state write",
        "HA core (state machine, bus)",
        "HA context ids (ulid)",
        "HA other",
    ),
}


def buckets(prof: dict[str, Any], path: str) -> dict[str, float]:
    """Return profiled µs per report of a path summed into transport, decoding and state writes."""
    groups = prof[path]["groups_us_per_report"]
    return {name: sum(groups.get(g, 0.0) for g in members) for name, members in BUCKETS.items()}


def breakdown(prof: dict[str, Any], a: str = "a", b: str = "b") -> str:
    """Explain a difference between two paths from their profiles, in figures."""
    if a not in prof or b not in prof:
        return "no profile"
    ba, bb = buckets(prof, a), buckets(prof, b)
    wa = prof[a].get("entity_writes_per_report")
    wb = prof[b].get("entity_writes_per_report")
    parts = [f"{k} {fmt(ba[k], 0)} vs {fmt(bb[k], 0)}" for k in BUCKETS]
    return (
        f"({a}) writes {fmt(wa, 1)} entity states per report, ({b}) {fmt(wb, 1)}. "
        f"Profiled µs per report, ({a}) vs ({b}): " + "; ".join(parts)
    )


def _why_command(cmd: dict[str, Any], key: str) -> str:
    """Compare a command's latency with core MQTT's equivalent entity."""
    other = cmd.get(key.replace("a_", "b_"))
    if other is None:
        return ""
    return f"core MQTT's YAML {key[2:]} on the same hop: p50 {fmt(other['p50'], 3)} ms"


def _why_slower(prof: dict[str, Any]) -> str:
    """Explain a slower path from the profile."""
    return breakdown(prof)


def _why_cpu(cpu: dict[str, Any], prof: dict[str, Any]) -> str:
    """Explain CPU per report from the profile and the raw floor."""
    floor = (
        f"; the bare aiomqtt subscriber (c) alone costs {fmt(cpu['c']['us'], 0)} µs"
        if "c" in cpu
        else ""
    )
    return breakdown(prof) + floor


def goals_section(results: list[dict[str, Any]]) -> list[str]:
    """Goals table."""
    rows = [
        [
            g.name,
            g.target,
            g.measured,
            "met" if g.met else ("**missed**" if g.met is False else "n/a"),
            g.why or "",
        ]
        for g in goals(results)
    ]
    return [
        "## Goals (mosquitto run)",
        "",
        *table(["goal", "target", "measured", "result", "why"], rows),
        "",
        *aiomqtt_verdict(results),
    ]


def aiomqtt_verdict(results: list[dict[str, Any]]) -> list[str]:
    """Say, with the profile's figures, whether aiomqtt is what limits the integration."""
    main = next((r for r in results if r.get("broker") == "mosquitto" and r.get("profile")), None)
    if main is None or "a" not in main["profile"] or "b" not in main["profile"]:
        return []
    prof = main["profile"]
    ga = prof["a"]["groups_us_per_report"]
    total = prof["a"]["total_us_per_report"]
    own = ga.get("aiomqtt", 0.0) + ga.get("kobra2 client", 0.0)
    ba, bb = buckets(prof, "a"), buckets(prof, "b")
    biggest = max(ba, key=lambda k: ba[k])
    lines = [
        "**Is aiomqtt the limit?** "
        f"Under the profiler, aiomqtt and the integration's client take {fmt(own, 0)} of (a)'s "
        f"{fmt(total, 0)} µs per report, and the whole MQTT transport (aiomqtt, paho, event loop) "
        f"{fmt(ba['MQTT transport'], 0)} µs against {fmt(bb['MQTT transport'], 0)} µs for core MQTT's "
        f"client (paho and HA's mqtt integration). The largest share is {biggest}: {fmt(ba[biggest], 0)} µs against "
        f"{fmt(bb[biggest], 0)} µs for (b).",
    ]
    if "t" in prof:
        bt = buckets(prof, "t")
        lines[0] += (
            f" Through Home Assistant's MQTT connection (t) the transport costs {fmt(bt['MQTT transport'], 0)} µs"
            f" and the total is {fmt(prof['t']['total_us_per_report'], 0)} µs."
        )
    return [*lines, ""]


def render(results: list[dict[str, Any]], machine: dict[str, str], notes: list[str]) -> str:
    """Return the whole markdown report."""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench`; every figure below comes from the run described here.",
        "",
        "## Machine and run",
        "",
        *table(["", ""], [[k, v] for k, v in machine.items()]),
        "",
        "Paths compared, each with a simulated printer of its own on the same broker and Home Assistant instance:",
        "",
    ]
    seen: dict[str, str] = {}
    for res in results:
        seen.update(res.get("paths", {}))
    lines += [f"- ({p}) {seen[p]}" for p in PATH_ORDER if p in seen]
    if "b" in seen:
        sensors = next((r.get("b_sensors") for r in results if r.get("b_sensors")), [])
        lines.append(
            f"  - (b) sensors mirror the integration's enabled report values: {', '.join(sensors)}"
        )
    lines.append("")
    lines += goals_section(results)
    lines += latency_section(results)
    lines += throughput_section(results)
    lines += cpu_section(results)
    lines += profile_section(results)
    lines += command_section(results)
    lines += setup_section(results)
    lines += memory_section(results)
    py_ulid = any(
        "_py_ulid_impl" in label
        for r in results
        for prof in r.get("profile", {}).values()
        for label, _ in prof.get("top_us_per_report", [])
    )
    all_notes = [
        *(
            [
                "ulid_transform runs its pure-Python fallback in this environment (no compiled module): every "
                "state write creates a context ULID, so paths that write more states pay more here."
            ]
            if py_ulid
            else []
        ),
        "Home Assistant runs in one process (the benchmark); the simulators, the burst publisher and amqtt "
        "run in a second one, mosquitto in a third. Times are CLOCK_MONOTONIC, shared by all processes.",
        *(
            [
                "amqtt is a Python broker running in the publisher's process: with amqtt, throughput "
                "figures are mostly amqtt's own limit."
            ]
            if any(r.get("broker") == "amqtt" for r in results)
            else []
        ),
        "Command arrival is seen by a second subscriber on the command topics in the simulator's process.",
        *notes,
    ]
    for res in results:
        all_notes += [f"{res['broker']}: {n}" for n in res.get("notes", [])]
    lines += ["## Notes", "", *(f"- {n}" for n in all_notes), ""]
    return "\n".join(lines)
