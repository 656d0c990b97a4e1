"""Setup, unload and the push coordinator against real brokers and the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
import logging
import re

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_STOP,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.anycubic_kobra2.const import CONF_POLL_INTERVAL, CONF_STALE_TIMEOUT, DOMAIN
from custom_components.anycubic_kobra2.entity import KobraEntity
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker, AnyBroker, MosquittoBroker, free_port
from tests.helpers.entry import (
    FILE_LISTS,
    FULL_STATE,
    PRINTER_ID,
    available,
    entity,
    make_entry,
    settle,
    setup_entry,
    sim_config,
    state_of,
    wait_printer_ready,
    wait_until,
)
from tests.helpers.payloads import temperature_report

NOZZLE = entity("sensor", "nozzle_temperature")
ONLINE = entity("binary_sensor", "online")


def commands_received(sim: KobraSimulator) -> list[tuple[str, str]]:
    """Return (type, action) of every command the simulator got so far."""
    return [(command.type, command.action) for command in sim.received]


def connected_clients(broker: AnyBroker, prefix: str = "hakobra2") -> int:
    """Count, from the broker's side, the integration's live connections."""
    if isinstance(broker, AmqttBroker):
        assert broker._broker is not None
        return sum(
            session.client_id.startswith(prefix) and session.transitions.state == "connected"
            for session, _handler in broker._broker._sessions.values()
        )
    log = broker.read_log()
    opened = re.findall(rf"New client connected from \S+ as ({prefix}\w*)", log)
    # mosquitto 2.0 writes "Client <id> disconnected.", 2.1 adds the address: "Client <id> [<addr>] …".
    closed = re.findall(
        rf"Client ({prefix}\w*)(?: \[[^\]]*\])? (?:disconnected|closed its connection)", log
    )
    return len(opened) - len(closed)


async def test_setup_unload_reload(
    hass: HomeAssistant, broker: AnyBroker, device_registry: dr.DeviceRegistry
) -> None:
    """On both brokers: load, show the printer, reload with one live client, unload cleanly."""
    sim = KobraSimulator(sim_config(broker))
    await sim.start()
    entry = make_entry(broker)
    try:
        await setup_entry(hass, entry)
        await wait_printer_ready(hass, entry)
        assert state_of(hass, entity("sensor", "firmware_version")) == "3.1.2"
        first = entry.runtime_data

        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        second = entry.runtime_data
        assert second is not first
        assert not first.client.connected
        await wait_printer_ready(hass, entry)
        await wait_until(lambda: connected_clients(broker) == 1)
        # Re-adding the entities must not wipe the firmware version the printer reported.
        [device] = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        assert device.sw_version == "3.1.2"
        assert device.name == "Kobra 2 Pro"

        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.NOT_LOADED
        assert not second.client.connected
        assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE
        await wait_until(lambda: connected_clients(broker) == 0)
    finally:
        await sim.stop()


async def test_broker_unreachable_retries_setup(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """A broker that is not there makes setup retry later (ConfigEntryNotReady)."""
    entry = make_entry(amqtt)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "port": free_port()})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_bad_credentials_start_reauth(
    hass: HomeAssistant, make_amqtt: Callable[..., Awaitable[AmqttBroker]]
) -> None:
    """Rejected credentials fail setup for good and ask the user for new ones."""
    broker = await make_amqtt(username="kobra", password="secret")
    entry = make_entry(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "wrong"})
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_printer_off_at_setup_then_online(
    hass: HomeAssistant, amqtt: AmqttBroker, device_registry: dr.DeviceRegistry
) -> None:
    """The entry loads with the printer off (device present, values unavailable) and follows it on."""
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    [device] = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.identifiers == {(DOMAIN, PRINTER_ID)}
    assert (device.manufacturer, device.model, device.model_id) == (
        "Anycubic",
        "Kobra 2 Pro",
        "20021",
    )
    assert device.sw_version is None
    assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE
    assert state_of(hass, ONLINE) == STATE_OFF

    sim = KobraSimulator(sim_config(amqtt))
    await sim.start()
    try:
        await wait_printer_ready(hass, entry)
        assert state_of(hass, NOZZLE) == "24.0"
        assert state_of(hass, ONLINE) == STATE_ON
        [device] = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        assert device.sw_version == "3.1.2"
    finally:
        await sim.stop()


async def test_report_applied_without_poll(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """A report the printer publishes shows up at once; nothing is polled meanwhile."""
    # A printer that only speaks when asked, so the report below is the only news.
    sim = KobraSimulator(sim_config(amqtt, quiet=True))
    await sim.start()
    entry = make_entry(amqtt)
    try:
        await setup_entry(hass, entry)
        await wait_printer_ready(hass, entry)
        await wait_until(lambda: commands_received(sim) == FULL_STATE + FILE_LISTS)
        asked = commands_received(sim)
        await sim.publish_raw("tempature/report", temperature_report(187))
        await wait_until(lambda: state_of(hass, NOZZLE) == "187.0", timeout=2)
        assert commands_received(sim) == asked
    finally:
        await sim.stop()


async def test_printer_offline_by_last_will(
    hass: HomeAssistant, amqtt: AmqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """Power loss (the broker publishes the will) makes values unavailable; return restores them."""
    caplog.set_level(logging.INFO)
    sim = KobraSimulator(sim_config(amqtt, quiet=True))
    await sim.start()
    entry = make_entry(amqtt)
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await settle(coordinator, sim)
        sim.crash()
        await wait_until(lambda: state_of(hass, ONLINE) == STATE_OFF)
        assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE
        assert coordinator.state.online is False

        sim.received.clear()
        await sim.start()
        await wait_until(lambda: available(hass, NOZZLE))
        assert state_of(hass, ONLINE) == STATE_ON
        # Coming back online triggers a full refresh, not just the announcement.
        await wait_until(lambda: all(cmd in commands_received(sim) for cmd in FULL_STATE))
        unavailable_logs = [r for r in caplog.records if "is unavailable" in r.getMessage()]
        assert len(unavailable_logs) == 1
        assert "printer reported offline" in unavailable_logs[0].getMessage()
    finally:
        await sim.stop()


async def test_broker_restart_reconnects(
    hass: HomeAssistant, mosquitto_broker: MosquittoBroker
) -> None:
    """A broker restart makes values unavailable; the link comes back and state is requested again."""
    sim = KobraSimulator(sim_config(mosquitto_broker))
    await sim.start()
    entry = make_entry(mosquitto_broker)
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await mosquitto_broker.stop()
        await wait_until(lambda: state_of(hass, ONLINE) == STATE_UNAVAILABLE)
        assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE

        sim.received.clear()
        await mosquitto_broker.start()
        await wait_until(lambda: coordinator.client.connected and sim.connected, timeout=15)
        await wait_until(lambda: all(cmd in commands_received(sim) for cmd in FULL_STATE))
        await wait_until(lambda: available(hass, NOZZLE))
        assert state_of(hass, ONLINE) == STATE_ON
    finally:
        await sim.stop()


async def test_silent_printer_goes_stale_and_is_polled(
    hass: HomeAssistant, mosquitto_broker: MosquittoBroker
) -> None:
    """Silence past the poll interval asks for state; past the stale timeout values go unavailable."""
    # Time travel fires every timer in the loop, so the broker must not live in it (amqtt would).
    broker = mosquitto_broker
    # A printer that only speaks when asked.
    sim = KobraSimulator(sim_config(broker, quiet=True))
    await sim.start()
    entry = make_entry(broker, options={CONF_POLL_INTERVAL: 30, CONF_STALE_TIMEOUT: 100})
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await wait_until(lambda: commands_received(sim) == FULL_STATE + FILE_LISTS)
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
        # The poll asks for the state again, not for the files.
        await wait_until(lambda: commands_received(sim) == FULL_STATE + FILE_LISTS + FULL_STATE)
        await settle(coordinator, sim)

        # Now it says nothing at all, not even to polls (a clean disconnect sends no will).
        await sim.stop()
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=101))
        await wait_until(lambda: state_of(hass, NOZZLE) == STATE_UNAVAILABLE)
        assert state_of(hass, ONLINE) == STATE_OFF
        assert entry.runtime_data.state.online is True

        # Its first words after the silence bring the values back.
        await sim.start()
        await wait_until(lambda: available(hass, NOZZLE))
        assert state_of(hass, ONLINE) == STATE_ON
    finally:
        await sim.stop()


async def test_credentials_revoked_at_runtime(
    hass: HomeAssistant, make_mosquitto: Callable[..., Awaitable[MosquittoBroker]]
) -> None:
    """When the broker starts rejecting the credentials, reconnecting stops and reauth starts."""
    broker = await make_mosquitto(users={"kobra": "secret"})
    entry = make_entry(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "secret"})
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data

    broker.options.users = {"kobra": "changed"}
    await broker.restart()
    await wait_until(
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)), timeout=15
    )
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert not coordinator.client.connected
    assert state_of(hass, ONLINE) == STATE_UNAVAILABLE


async def test_home_assistant_stop_disconnects(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Stopping Home Assistant closes the broker connection."""
    coordinator = init_integration.runtime_data
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not coordinator.client.connected


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_report_writes_only_the_states_it_changes(
    hass: HomeAssistant, amqtt: AmqttBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temperature report that moves the nozzle writes the nozzle sensor and nothing else."""
    sim = KobraSimulator(sim_config(amqtt, quiet=True))
    await sim.start()
    try:
        entry = make_entry(amqtt)
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await wait_until(lambda: len(coordinator.state.files) == 2)
        await hass.async_block_till_done()
        # Home Assistant drops a write that changes nothing before any event, so the
        # writes themselves are counted.
        written: list[str | None] = []
        original = KobraEntity.async_write_ha_state

        def counting(entity: KobraEntity) -> None:
            written.append(entity.entity_id)
            original(entity)

        monkeypatch.setattr(KobraEntity, "async_write_ha_state", counting)
        state = coordinator.state
        assert state.nozzle is not None
        data = {
            "curr_hotbed_temp": state.bed,
            "curr_nozzle_temp": state.nozzle + 5,
            "target_hotbed_temp": state.target_bed,
            "target_nozzle_temp": state.target_nozzle,
        }
        report = {"type": "tempature", "action": "auto", "state": "done", "data": data}
        await sim.publish_raw("tempature/report", json.dumps(report).encode())
        await wait_until(lambda: bool(written))
        await hass.async_block_till_done()
        assert written == [entity("sensor", "nozzle_temperature")]
    finally:
        await sim.stop()
