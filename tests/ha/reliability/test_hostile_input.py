"""Hostile but well-formed input from a device on the printer's broker (security review M1, L7-L9).

Heavy payloads are published by a separate process, so the burst does not share our loop;
the loop-lag probe (CPU starvation by other processes taken out) measures the longest stall
while the integration works through them, on the own-broker link and on Home Assistant's
MQTT link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import sys

from homeassistant.core import HomeAssistant
import pytest

from custom_components.anycubic_kobra2.ha_mqtt import HaMqttLink
from custom_components.anycubic_kobra2.kobra2 import decode
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraParseError
from custom_components.anycubic_kobra2.kobra2.limits import (
    MAX_FILE_RECORDS,
    MAX_JSON_CONTAINERS,
    MAX_JSON_NODES,
)
from custom_components.anycubic_kobra2.kobra2.models import (
    FileListReport,
    Report,
    TemperatureReport,
    UnknownReport,
)
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import (
    MODEL_ID,
    PRINTER_ID,
    make_entry,
    setup_entry,
    setup_ha_mqtt,
    wait_until,
)
from tests.helpers.payloads import temperature_report

from .common import REPORT_BASE, LoopLagProbe, publish

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]

HEAVY_PUBLISHER = Path(__file__).with_name("heavy_publisher.py")
sys.path.insert(0, str(HEAVY_PUBLISHER.parent))
import heavy_publisher  # noqa: E402

# The goal of the review: no message and no burst stalls the loop for more than this.
MAX_STALL = 0.05
# (kind, count, size): 1 MiB of tiny values (beyond the size limit), just under the limit,
# just under the value budget in small arrays, and the largest real report (a listing).
BURSTS = [
    ("values", 10, 1024 * 1024),
    ("values", 20, 127 * 1024),
    ("nested", 10, 0),
    ("listing", 10, 125 * 1024),
]


def test_m1_parser_refuses_payloads_of_many_tiny_values() -> None:
    """A report of many tiny values is refused at bounded cost; real listings still pass."""
    topic = f"{REPORT_BASE}/x/report"
    for size in (1024 * 1024, 127 * 1024):
        with pytest.raises(KobraParseError, match="larger|more than"):
            parse_report(topic, heavy_publisher.tiny_values(size))
    # Just under the container budget is fine, a few more small arrays are not.
    pairs = MAX_JSON_CONTAINERS // 2 - 4
    assert isinstance(parse_report(topic, heavy_publisher.nested(pairs)), UnknownReport)
    with pytest.raises(KobraParseError, match="more than"):
        parse_report(topic, heavy_publisher.nested(pairs + 10))
    with pytest.raises(KobraParseError, match="more than"):
        parse_report(topic, heavy_publisher.nested())
    # The tree walk has a budget of its own (for JSON decoded from strings inside a report).
    decode._check_tree({"data": [0] * (MAX_JSON_NODES - 1)})
    with pytest.raises(KobraParseError, match="more than"):
        decode._check_tree({"data": [0] * MAX_JSON_NODES})
    listing = parse_report(f"{REPORT_BASE}/file/report", heavy_publisher.listing(125 * 1024))
    assert isinstance(listing, FileListReport)
    # L9: an oversized listing keeps the first MAX_FILE_RECORDS files and says how many more.
    assert len(listing.files) == MAX_FILE_RECORDS
    assert listing.dropped > 0


async def _publish_bursts(port: int, topic: str) -> None:
    """Publish every hostile burst from a separate process."""
    for kind, count, size in BURSTS:
        publisher = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HEAVY_PUBLISHER),
            str(port),
            topic if kind != "listing" else f"{REPORT_BASE}/file/report",
            str(count),
            kind,
            str(size),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await publisher.communicate()
        assert publisher.returncode == 0
        assert int(out) == count


async def test_m1_own_broker_link_never_stalls_the_loop(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto
) -> None:
    """Bursts of heavy reports on the own-broker link: no loop stall over 50 ms."""
    broker = await make_mosquitto()
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.client.connected)
    async with LoopLagProbe() as probe:
        await _publish_bursts(broker.port, f"{REPORT_BASE}/x/report")
        # A report after the bursts: once it is applied, every hostile one was handled.
        await publish(broker.port, f"{REPORT_BASE}/tempature/report", temperature_report(123.5))
        await wait_until(lambda: coordinator.state.nozzle == 123.5, timeout=120)
        await hass.async_block_till_done()
    assert probe.samples > 0
    assert probe.max_stall < MAX_STALL, f"loop stalled {probe.max_stall * 1000:.0f} ms"
    assert len(coordinator.state.files.get("local", ())) <= MAX_FILE_RECORDS


async def test_m1_ha_mqtt_link_never_stalls_the_loop(
    hass: HomeAssistant, mock_hass_config: None, make_mosquitto: MakeMosquitto
) -> None:
    """The same bursts through Home Assistant's MQTT connection: no loop stall over 50 ms."""
    broker = await make_mosquitto()
    mqtt_entry = await setup_ha_mqtt(hass, broker)
    reports: list[Report] = []
    transport = HaMqttLink(hass, MODEL_ID, PRINTER_ID, on_report=reports.append)
    await transport.connect()
    try:
        async with LoopLagProbe() as probe:
            await _publish_bursts(broker.port, f"{REPORT_BASE}/x/report")
            await publish(broker.port, f"{REPORT_BASE}/tempature/report", temperature_report(123.5))

            def sentinel_seen() -> bool:
                return any(isinstance(r, TemperatureReport) and r.nozzle == 123.5 for r in reports)

            await wait_until(sentinel_seen, timeout=120)
            await hass.async_block_till_done()
    finally:
        await transport.stop()
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await hass.async_block_till_done()
    assert probe.samples > 0
    assert probe.max_stall < MAX_STALL, f"loop stalled {probe.max_stall * 1000:.0f} ms"
    # Order is kept and nothing was dropped: the listings came before the sentinel.
    assert sum(isinstance(r, FileListReport) for r in reports) == 10
