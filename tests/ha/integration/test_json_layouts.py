"""The integration reads the printer's JSON in every layout the simulator can write."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.models import Storage
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import make_entry, setup_entry, sim_config, wait_printer_ready, wait_until

FOLDER = "/parts"


@pytest.mark.parametrize(
    ("layout", "tabs", "escaped"),
    [
        ({}, True, True),
        ({"escape_slashes": False}, True, False),
        ({"compact_json": True, "escape_slashes": False}, False, False),
        ({"compact_json": True}, False, True),
    ],
    ids=["cjson-escaped", "cjson", "compact", "compact-escaped"],
)
async def test_reports_parse_in_every_layout(
    hass: HomeAssistant, amqtt: AmqttBroker, layout: dict[str, Any], tabs: bool, escaped: bool
) -> None:
    """Full state, a folder listing and a deletion (paths with slashes) in each layout."""
    sim = KobraSimulator(sim_config(amqtt, local_files=None, **layout))
    await sim.start()
    entry = make_entry(amqtt)
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        assert coordinator.state.firmware_version == "3.1.2"
        # Replies carry no command id: the start-up listings must be in before asking for more.
        await wait_until(lambda: set(coordinator.state.files) == {Storage.LOCAL, Storage.USB})
        await coordinator.async_command(commands.list_files(Storage.LOCAL, FOLDER))
        # A listing names no folder, so the integration keys its entries by file name.
        expected = {sim.local_files[p].name for p in sim.local_files if p.startswith(FOLDER + "/")}
        assert expected
        assert {f.name for f in coordinator.state.files[Storage.LOCAL]} == expected
        victim = sorted(expected)[0]
        await coordinator.async_command(commands.delete_file(Storage.LOCAL, f"{FOLDER}/{victim}"))
        await wait_until(
            lambda: victim not in {f.name for f in coordinator.state.files[Storage.LOCAL]}
        )
        assert f"{FOLDER}/{victim}" not in sim.local_files
        raw = next(p for t, p in reversed(sim.published) if t.endswith("/file/report"))
        assert (b'":\t' in raw) is tabs
        assert (b"\\/" in raw) is escaped
        assert (f'"{FOLDER}"'.encode() in raw) is not escaped
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await sim.stop()
