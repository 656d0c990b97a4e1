"""Memory per printer with 1, 10 and 50 simulated printers on one broker: ours vs core MQTT YAML."""

from __future__ import annotations

import asyncio
import gc
import secrets
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from . import reports
from .hass_env import wait_until
from .paths import (
    YAML_SENSORS,
    IntegrationPath,
    entity_id_for,
    integration_available,
    setup_core_mqtt,
    write_mqtt_yaml,
    yaml_for,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .worker import Worker


def rss_kib() -> int:
    """Return this process's resident set size in KiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _shows(hass: HomeAssistant, entity_id: str | None, value: str) -> bool:
    """Return whether entity_id shows value (numerically)."""
    if entity_id is None:
        return False
    st = hass.states.get(entity_id)
    try:
        return st is not None and float(st.state) == float(value)
    except ValueError:
        return False


async def _feed(
    worker: Worker,
    indexes: range,
    key_ids: list[tuple[str | None, str | None]],
    timeout: float = 60,
) -> None:
    """Publish a temperature and a print report to each printer; wait until every one shows them."""
    assert worker.hass is not None
    hass = worker.hass
    seq = 7  # any value; the first report always changes "unknown"
    for i in indexes:
        worker.driver.send("pub", p=i, kind="temp", seq=seq)
        worker.driver.send("pub", p=i, kind="print", seq=seq)
    temp, prog = reports.key_value("temp", seq), reports.key_value("print", seq)
    await wait_until(
        lambda: all(_shows(hass, t, temp) and _shows(hass, p, prog) for t, p in key_ids),
        timeout,
        "every printer's first values",
        step=0.05,
    )
    await worker.driver.call("t0s")


async def _snapshot() -> tuple[int, int]:
    """Return (traced Python bytes, RSS KiB) after a full collection."""
    await asyncio.sleep(0.2)
    gc.collect()
    return tracemalloc.get_traced_memory()[0], rss_kib()


async def measure_memory(worker: Worker, counts: tuple[int, ...]) -> dict[str, Any]:
    """Per printer count: Python heap and RSS growth per printer for (a) and (b)."""
    assert worker.hass is not None
    hass = worker.hass
    top = max(counts)
    model = reports.MODEL_ID
    ids = [secrets.token_hex(16) for _ in range(top + 1)]
    info = await worker.driver.call(
        "printers",
        host=worker.host,
        port=worker.port,
        printers=[[model, i] for i in ids],
        timeout=300,
    )
    worker.result["printer_kind"] = info["kind"]
    await setup_core_mqtt(hass, worker.host, worker.port, {})
    out: dict[str, Any] = {"a": {}, "b": {}}
    keys: list[str] = [k for k, *_ in YAML_SENSORS]
    if integration_available():
        # Warm-up printer (index top): imports and first-time caches are not a printer's cost.
        warm = IntegrationPath(hass, top, model, ids[top], host=worker.host, port=worker.port)
        await warm.setup(track=False)
        await _feed(
            worker,
            range(top, top + 1),
            [(warm.entities.get("nozzle_temperature"), warm.entities.get("progress"))],
        )
        keys = [k for k in warm.entities if k in {k for k, *_ in YAML_SENSORS}]
        await warm.teardown()
        for n in counts:
            out["a"][str(n)] = await _measure_a(worker, n, ids)
    else:
        worker.note("integration not importable: memory of (a) not measured")
    # Warm-up reload, so the first count does not pay for loading the sensor platform.
    await _measure_b(worker, 1, ids, keys, first=top, prefix="memwarm")
    for n in counts:
        out["b"][str(n)] = await _measure_b(worker, n, ids, keys)
    out["b_sensors_per_printer"] = len(keys)
    return out


async def _measure_a(worker: Worker, n: int, ids: list[str]) -> dict[str, Any]:
    """Set up n config entries (one printer each) and measure what they hold."""
    assert worker.hass is not None
    hass = worker.hass
    paths = [
        IntegrationPath(hass, i, reports.MODEL_ID, ids[i], host=worker.host, port=worker.port)
        for i in range(n)
    ]
    gc.collect()
    tracemalloc.start()
    base, rss0 = await _snapshot()
    t = time.perf_counter()
    for p in paths:
        await p.setup(track=False)
    setup_s = time.perf_counter() - t
    await _feed(
        worker,
        range(n),
        [(p.entities.get("nozzle_temperature"), p.entities.get("progress")) for p in paths],
    )
    cur, rss1 = await _snapshot()
    tracemalloc.stop()
    entities = sum(len(p.all_entities) for p in paths)
    for p in paths:
        await p.teardown()
    await hass.async_block_till_done()
    return {
        "printers": n,
        "heap_kib_per_printer": (cur - base) / n / 1024,
        "rss_kib_per_printer": (rss1 - rss0) / n,
        "entities_per_printer": entities / n,
        "setup_s_total": setup_s,
    }


async def _measure_b(
    worker: Worker, n: int, ids: list[str], keys: list[str], *, first: int = 0, prefix: str = ""
) -> dict[str, Any]:
    """Reload core MQTT with YAML sensors for n printers and measure what they hold."""
    assert worker.hass is not None
    hass = worker.hass
    indexes = range(first, first + n)
    printers = [(reports.MODEL_ID, ids[i]) for i in indexes]
    prefix = prefix or f"mem{n}"
    sensors = yaml_for(printers, keys, prefix)
    gc.collect()
    tracemalloc.start()
    base, rss0 = await _snapshot()
    write_mqtt_yaml(hass, {"sensor": sensors})
    await hass.services.async_call("mqtt", "reload", {}, blocking=True)
    await hass.async_block_till_done()
    key_ids = [
        (
            entity_id_for(hass, "sensor", "mqtt", f"{prefix}_{pid}_nozzle_temperature"),
            entity_id_for(hass, "sensor", "mqtt", f"{prefix}_{pid}_progress"),
        )
        for _, pid in printers
    ]
    # Subscriptions are made shortly after the reload; feed until every sensor has its value.
    deadline = time.monotonic() + 30
    while True:
        try:
            await _feed(worker, indexes, key_ids, timeout=0.3 + 0.02 * n)
            break
        except TimeoutError:
            if time.monotonic() > deadline:
                raise
    cur, rss1 = await _snapshot()
    tracemalloc.stop()
    write_mqtt_yaml(hass, {})
    await hass.services.async_call("mqtt", "reload", {}, blocking=True)
    await hass.async_block_till_done()
    return {
        "printers": n,
        "heap_kib_per_printer": (cur - base) / n / 1024,
        "rss_kib_per_printer": (rss1 - rss0) / n,
        "entities_per_printer": len(sensors) / n,
    }
