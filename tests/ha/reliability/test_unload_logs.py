"""Unload, reload and Home Assistant stopping say nothing misleading in the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
import pytest

from kobra2_sim import KobraSimulator
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import make_entry, setup_entry, wait_printer_ready

from .common import records

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]


def _misleading(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the integration's INFO-and-up lines about a lost or unavailable printer."""
    return [
        rec.getMessage()
        for rec in records(caplog)
        if rec.levelno >= logging.INFO
        and ("unavailable" in rec.getMessage() or "lost" in rec.getMessage())
    ]


async def test_unload_reload_and_stop_log_no_lost_connection(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    info_logs: pytest.LogCaptureFixture,
) -> None:
    """A deliberate stop is not "Printer … is unavailable: broker connection lost"."""
    broker = await make_mosquitto()
    await make_printer(broker)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    await wait_printer_ready(hass, entry)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_printer_ready(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _misleading(info_logs) == []

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_printer_ready(hass, entry)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert _misleading(info_logs) == []
