"""Repair issues: raised and cleared for a silent printer and for URL prints refused by 3.1.x."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2 import repairs
from custom_components.anycubic_kobra2.const import CONF_PRINTER_ID, DOMAIN
from custom_components.anycubic_kobra2.kobra2 import commands
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker, free_port
from tests.helpers.entry import (
    PRINTER_ID,
    TITLE,
    entry_data,
    make_entry,
    setup_entry,
    sim_config,
    wait_until,
)
from tests.helpers.http import serve_files

WRONG_ID = "9347a110c5423fe412ce45533bfc10e7"


@pytest.fixture(autouse=True)
def quick_silence() -> Iterator[None]:
    """Call a printer silent after a fraction of a second instead of minutes."""
    with patch.object(repairs, "SILENT_AFTER", timedelta(seconds=0.3)):
        yield


def _issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's issue of one kind, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, repairs.issue_id(kind, entry.entry_id))


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry (which starts its repair monitor)."""
    await setup_entry(hass, entry)


def test_url_check_rules() -> None:
    """Firmware 3.1.0+ checks the host; only Anycubic's and its storage domains pass."""
    assert repairs.firmware_checks_url("3.1.0")
    assert repairs.firmware_checks_url("3.1.4")
    assert repairs.firmware_checks_url("3.1.2.3")
    assert not repairs.firmware_checks_url("3.0.9")
    assert not repairs.firmware_checks_url("2.3.9")
    assert not repairs.firmware_checks_url(None)
    assert not repairs.firmware_checks_url("unknown")
    assert repairs.host_passes_url_check("https://cdn.cloud-universe.anycubic.com/a.gcode")
    assert repairs.host_passes_url_check("https://bucket.s3.amazonaws.com/a.gcode")
    assert repairs.host_passes_url_check("https://x.cos.ap-guangzhou.myqcloud.com/a.gcode")
    assert not repairs.host_passes_url_check("http://192.168.1.10:8123/a.gcode")
    assert not repairs.host_passes_url_check("http://notanycubic.com/a.gcode")
    assert not repairs.host_passes_url_check("http://anycubic.com.evil.example/a.gcode")


async def test_silent_printer_raised_then_cleared(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """A printer that never reports gets an issue; its first report clears it for good."""
    entry = make_entry(amqtt)
    await _setup(hass, entry)
    await wait_until(lambda: _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is not None)
    issue = _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "name": TITLE,
        "printer_id": PRINTER_ID,
        "model": "Kobra 2 Pro",
        "broker": f"{amqtt.host}:{amqtt.port}",
        "minutes": "0",
    }

    sim = KobraSimulator(sim_config(amqtt))
    await sim.start()
    try:
        await wait_until(lambda: _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is None)
        # Reloaded (e.g. after a restart) the printer is known: no new timer, no issue.
        await sim.stop()
        assert await hass.config_entries.async_reload(entry.entry_id)
        await _sleep_past_silence(hass)
        assert _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is None
    finally:
        await sim.stop()


async def _sleep_past_silence(hass: HomeAssistant) -> None:
    """Wait (real time) longer than the patched silence limit."""
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()


async def test_broker_outage_is_not_a_silent_printer(
    hass: HomeAssistant, amqtt: AmqttBroker
) -> None:
    """While the broker is down the printer cannot be heard: no issue until it is back."""
    entry = make_entry(amqtt)
    # Long enough for the broker to be gone before the first check.
    with patch.object(repairs, "SILENT_AFTER", timedelta(seconds=1.5)):
        await _setup(hass, entry)
        coordinator = entry.runtime_data
        await amqtt.stop()
        await wait_until(lambda: not coordinator.broker_connected)
        await asyncio.sleep(2.0)
        await hass.async_block_till_done()
        assert _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is None

    await amqtt.start()
    await wait_until(lambda: coordinator.broker_connected)
    await wait_until(lambda: _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is not None)


async def test_printer_seen_before_restart_gets_no_issue(
    hass: HomeAssistant, amqtt: AmqttBroker, hass_storage: dict[str, Any]
) -> None:
    """The memory of reporting printers survives restarts (stored), so a printer off is fine."""
    entry = make_entry(amqtt)
    hass_storage["anycubic_kobra2.seen_printers"] = {
        "version": 1,
        "minor_version": 1,
        "key": "anycubic_kobra2.seen_printers",
        "data": {"entries": [entry.entry_id]},
    }
    await _setup(hass, entry)
    await _sleep_past_silence(hass)
    assert _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is None

    # Removing the entry forgets it and drops its issues.
    await repairs.async_remove_entry_repairs(hass, entry.entry_id)
    seen = hass.data[repairs.DATA_SEEN]
    assert entry.entry_id not in seen


async def test_fix_flow_corrects_a_mistyped_printer_id(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """The fix flow takes the right id; the entry reloads and the printer comes alive."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=WRONG_ID,
        data={**entry_data(amqtt), CONF_PRINTER_ID: WRONG_ID},
    )
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        unique_id="f" * 32,
        data={},
        disabled_by=ConfigEntryDisabler.USER,
    )
    other.add_to_hass(hass)
    await _setup(hass, entry)
    await wait_until(lambda: _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is not None)

    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    manager = repairs_flow_manager(hass)
    assert manager is not None
    issue_id = repairs.issue_id(repairs.ISSUE_PRINTER_SILENT, entry.entry_id)
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer_id"
    assert result["description_placeholders"] == {
        "name": TITLE,
        "broker": f"{amqtt.host}:{amqtt.port}",
    }

    result = await manager.async_configure(result["flow_id"], {CONF_PRINTER_ID: "not-an-id"})
    assert result["errors"] == {CONF_PRINTER_ID: "invalid_printer_id"}
    result = await manager.async_configure(result["flow_id"], {CONF_PRINTER_ID: "F" * 32})
    assert result["errors"] == {CONF_PRINTER_ID: "already_configured"}
    result = await manager.async_configure(
        result["flow_id"], {CONF_PRINTER_ID: f"  {PRINTER_ID.upper()} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert entry.unique_id == PRINTER_ID
    assert entry.data[CONF_PRINTER_ID] == PRINTER_ID
    assert entry.state is ConfigEntryState.LOADED
    await wait_until(lambda: entry.runtime_data.printer_available)
    assert _issue(hass, repairs.ISSUE_PRINTER_SILENT, entry) is None


async def test_url_print_refused_raised_and_cleared(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A URL print refused on 3.1.x raises the issue; one the printer accepts clears it."""
    entry = make_entry(amqtt)
    await _setup(hass, entry)
    coordinator = entry.runtime_data
    await wait_until(lambda: coordinator.state.firmware_version is not None)
    assert coordinator.state.firmware_version == "3.1.2"
    local = commands.start_url_print(
        "http://192.168.1.10:8123/api/anycubic_kobra2/files/x/cube.gcode",
        "0" * 32,
        10,
        "cube.gcode",
    )
    cloud = commands.start_url_print(
        "https://cdn.cloud-universe.anycubic.com/cube.gcode", "0" * 32, 10, "cube.gcode"
    )

    # A refusal of a cloud URL is something else (e.g. a bad file): no issue.
    repairs.async_url_print_result(coordinator, cloud, ok=False)
    assert _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry) is None

    repairs.async_url_print_result(coordinator, local, ok=False)
    issue = _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "name": TITLE,
        "firmware": "3.1.2",
        "host": "192.168.1.10",
    }

    # A print that started downloading passed the check, even if it failed later.
    repairs.async_url_print_result(
        coordinator,
        commands.start_url_print(
            "http://192.168.1.10:1/nothing.gcode", "0" * 32, 10, "nothing.gcode"
        ),
        ok=True,
    )
    assert _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry) is None


async def test_url_print_that_downloaded_is_not_refused(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A failure after the printer began downloading is no domain refusal."""
    entry = make_entry(amqtt)
    await _setup(hass, entry)
    coordinator = entry.runtime_data
    await wait_until(lambda: coordinator.state.firmware_version is not None)

    command = commands.start_url_print(
        f"http://127.0.0.1:{free_port()}/missing.gcode", "0" * 32, 10, "missing.gcode"
    )
    await coordinator.client.send(command)
    await wait_until(
        lambda: (
            coordinator.state.job is not None
            and coordinator.state.job.taskid == command.taskid
            and coordinator.state.job.message != ""
        )
    )
    repairs.async_url_print_result(coordinator, command, ok=False)
    assert _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry) is None


async def test_old_firmware_gets_no_url_issue(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Firmware before 3.1.0 has no domain check, so a refused URL print is not blamed on it."""
    sim = KobraSimulator(sim_config(amqtt, firmware="3.0.9"))
    await sim.start()
    try:
        entry = make_entry(amqtt)
        await _setup(hass, entry)
        coordinator = entry.runtime_data
        await wait_until(lambda: coordinator.state.firmware_version == "3.0.9")
        command = commands.start_url_print("http://192.168.1.10/a.gcode", "0" * 32, 10, "a.gcode")
        repairs.async_url_print_result(coordinator, command, ok=False)
        assert _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry) is None
    finally:
        await sim.stop()


# --- end to end: the print_from_url action ----------------------------------------------------


@pytest.fixture
async def gcode_url(socket_enabled: None) -> AsyncIterator[str]:
    """Serve one small G-code file over plain HTTP on loopback; return its URL."""
    async with serve_files({"cube.gcode": b"G28\nG1 X10 Y10\n" * 64}) as url:
        yield f"{url}/cube.gcode"


async def _print_from_url(hass: HomeAssistant, url: str) -> None:
    """Call the print_from_url action for the test printer."""
    registry = dr.async_get(hass)
    (device,) = (
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, PRINTER_ID) in device.identifiers
    )
    await hass.services.async_call(
        DOMAIN, "print_from_url", {"device_id": device.id, "url": url}, blocking=True
    )


async def test_url_print_action_raises_and_clears_the_issue(
    hass: HomeAssistant, amqtt: AmqttBroker, gcode_url: str
) -> None:
    """A printer on 3.1.x that ignores a local URL gets the issue; one that prints clears it."""
    # A printer that does not act on the command (here: it only listens on another topic
    # form) answers nothing, as stock 3.1.x does not start a download from a local host.
    deaf = KobraSimulator(sim_config(amqtt, strict_topics=True, report_interval=0.25))
    entry = make_entry(amqtt, options={"topic_style": "type_action"})
    try:
        await _setup(hass, entry)
        # Started once the entry listens: this printer names its firmware only in the
        # announcement it makes on connecting (it ignores the query).
        await deaf.start()
        coordinator = entry.runtime_data
        # The issue names the firmware, which the printer announces just after coming online.
        await wait_until(
            lambda: coordinator.printer_available and coordinator.state.firmware_version is not None
        )
        with (
            patch("custom_components.anycubic_kobra2.printing.DOWNLOAD_IDLE_TIMEOUT", 0.5),
            pytest.raises(HomeAssistantError),
        ):
            await _print_from_url(hass, gcode_url)
        await hass.async_block_till_done()
        issue = _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry)
        assert issue is not None
        assert issue.translation_placeholders["host"] == "127.0.0.1"
        assert issue.translation_placeholders["firmware"] == "3.1.2"
    finally:
        await deaf.stop()

    # The same printer after the firmware patch: it downloads and prints, the issue goes.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, options={})
    patched = KobraSimulator(sim_config(amqtt, report_interval=0.25, time_scale=60.0))
    await patched.start()
    try:
        assert await hass.config_entries.async_setup(entry.entry_id)
        coordinator = entry.runtime_data
        await wait_until(lambda: coordinator.printer_available and coordinator.state.status)
        await _print_from_url(hass, gcode_url)
        assert _issue(hass, repairs.ISSUE_URL_PRINT_REFUSED, entry) is None
    finally:
        await patched.stop()
