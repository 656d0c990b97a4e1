"""Where the event loop's time goes per report, by package (cProfile over a fixed-rate burst)."""

from __future__ import annotations

import cProfile
import pstats
import re
from typing import TYPE_CHECKING, Any

from . import measure

if TYPE_CHECKING:
    from .worker import Worker

# Ordered: the first matching fragment of a function's file names its group.
GROUPS: tuple[tuple[str, str], ...] = (
    ("/anycubic_kobra2/kobra2/client", "kobra2 client"),
    ("/anycubic_kobra2/kobra2/", "kobra2 protocol (parse, state)"),
    ("/anycubic_kobra2/", "integration (coordinator, entities)"),
    ("/aiomqtt/", "aiomqtt"),
    ("/paho/", "paho-mqtt"),
    ("/homeassistant/components/mqtt/", "HA mqtt integration"),
    ("/homeassistant/helpers/template", "HA templates + jinja2"),
    ("/jinja2/", "HA templates + jinja2"),
    ("/homeassistant/components/sensor", "HA entity state write"),
    ("/homeassistant/helpers/entity", "HA entity state write"),
    ("/homeassistant/helpers/update_coordinator", "HA entity state write"),
    ("/homeassistant/core", "HA core (state machine, bus)"),
    ("/ulid_transform/", "HA context ids (ulid)"),
    ("/homeassistant/", "HA other"),
    ("/scripts/benchlib/", "benchmark harness"),
    ("/asyncio/", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("socket", "asyncio event loop"),
    ("/json/", "json (stdlib)"),
)


def group_of(filename: str, funcname: str) -> str:
    """Return the group a profiled function belongs to."""
    for fragment, name in GROUPS:
        if fragment in filename:
            return name
    return "other (builtins, stdlib)"


def by_group(prof: cProfile.Profile) -> dict[str, float]:
    """Return own time (seconds) per group; builtins count for the group of their caller.

    Time blocked in epoll (the loop waiting for the next report) is idle, not cost, and left out.
    """
    stats = pstats.Stats(prof)
    out: dict[str, float] = {}
    for (filename, _line, funcname), row in stats.stats.items():  # type: ignore[attr-defined]
        tottime, callers = row[2], row[4]
        if filename == "~":
            if "poll' of 'select.epoll" in funcname or "select' of 'select" in funcname:
                continue
            if callers:
                for (cfile, _cl, cfunc), crow in callers.items():
                    g = group_of(cfile, cfunc) if cfile != "~" else "other (builtins, stdlib)"
                    out[g] = out.get(g, 0.0) + crow[2]
                continue
        g = group_of(filename, funcname)
        out[g] = out.get(g, 0.0) + tottime
    return out


def top_functions(prof: cProfile.Profile, n: int = 12) -> list[tuple[str, float]]:
    """Return the n functions with the most own time (epoll waiting excluded), as (label, seconds)."""
    stats = pstats.Stats(prof)
    rows: list[tuple[str, float]] = []
    for (filename, line, funcname), row in stats.stats.items():  # type: ignore[attr-defined]
        if "poll' of 'select.epoll" in funcname:
            continue
        if filename == "~":
            label = funcname
        else:
            short = filename.split("site-packages/")[-1]
            short = re.sub(r"^.*/lib/python3\.\d+/", "", short)
            label = f"{short.split('/work/main/')[-1]}:{line} {funcname}"
        rows.append((label, row[2]))
    rows.sort(key=lambda r: -r[1])
    return rows[:n]


def calls(prof: cProfile.Profile, file_part: str, funcname: str) -> int:
    """Return how often a function (file name fragment, function name) was called."""
    stats = pstats.Stats(prof)
    return sum(
        row[1]
        for (filename, _line, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name == funcname and file_part in filename
    )


async def profile_paths(worker: Worker, rate: float = 500, count: int = 2000) -> dict[str, Any]:
    """Profile a burst on each path; return per-group microseconds per report."""
    out: dict[str, Any] = {}
    for path in worker.paths:
        prof = cProfile.Profile()
        prof.enable()
        res = await measure.burst(path, worker.driver, worker.seq[path.name], rate, count)
        prof.disable()
        groups = by_group(prof)
        total = sum(groups.values())
        top = top_functions(prof)
        out[path.name] = {
            "count": count,
            "ok": res.ok,
            "total_us_per_report": total / count * 1e6,
            "entity_writes_per_report": calls(prof, "helpers/entity.py", "async_write_ha_state")
            / count,
            "state_changes_per_report": calls(prof, "homeassistant/core.py", "async_set_internal")
            / count,
            "top_us_per_report": [[label, round(t / count * 1e6, 2)] for label, t in top],
            "groups_us_per_report": {
                g: round(v / count * 1e6, 2)
                for g, v in sorted(groups.items(), key=lambda kv: -kv[1])
            },
        }
    return out
