"""Where the event loop's time goes per report, by package (cProfile over a fixed-rate burst)."""

from __future__ import annotations

import cProfile
import pstats
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
        out[path.name] = {
            "count": count,
            "ok": res.ok,
            "total_us_per_report": total / count * 1e6,
            "groups_us_per_report": {
                g: round(v / count * 1e6, 2)
                for g, v in sorted(groups.items(), key=lambda kv: -kv[1])
            },
        }
    return out
