"""Fixtures for the ecosystem tests: Home Assistant's MQTT integration on a real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.kobra2.simulator import KobraSimulator
from tests.helpers.brokers import AmqttBroker, AnyBroker
from tests.integration.common import sim_config, wait_until

# Seconds a broker may take to shut down before its leftover connections are aborted.
_BROKER_CLOSE_GRACE = 3.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/anycubic_kobra2."""


@pytest.fixture
async def amqtt(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[AmqttBroker]:
    """Provide an anonymous in-process broker."""
    broker = AmqttBroker()
    await broker.start()
    try:
        yield broker
    finally:
        # Entries still connected when the broker shuts down can keep amqtt's shutdown
        # waiting; the printer entries go first, then Home Assistant's MQTT they may use.
        for domain in (DOMAIN, mqtt.DOMAIN):
            for entry in hass.config_entries.async_entries(domain):
                if entry.state is ConfigEntryState.LOADED:
                    await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await _close_amqtt(broker)
        _cancel_amqtt_keepalive_timers(hass)


async def _close_amqtt(broker: AmqttBroker) -> None:
    """Shut the broker down, dropping connections that would keep it waiting forever.

    Since Python 3.12 asyncio's Server.wait_closed() waits for every accepted connection;
    amqtt's shutdown awaits it, so one connection amqtt never closes (seen about once in
    forty teardowns) hangs the test. After a grace period the leftovers are aborted.
    """
    inner = getattr(broker, "_broker", None)
    closing = asyncio.ensure_future(broker.close())
    done, _ = await asyncio.wait({closing}, timeout=_BROKER_CLOSE_GRACE)
    if not done and inner is not None:
        for server in getattr(inner, "_servers", {}).values():
            instance = getattr(server, "instance", None)
            if instance is not None and hasattr(instance, "abort_clients"):
                instance.abort_clients()
    await closing


def _cancel_amqtt_keepalive_timers(hass: HomeAssistant) -> None:
    """Cancel keepalive timers amqtt re-armed for sessions it had already stopped.

    amqtt (0.11) re-arms a session's keepalive timer after every packet it sends; a send
    that finishes while the broker shuts down leaves that timer behind, which Home
    Assistant's test plugin then reports as a lingering timer.
    """
    for handle in get_scheduled_timer_handles(hass.loop):
        callback = getattr(handle, "_callback", None)
        owner = getattr(callback, "__self__", None)
        if getattr(callback, "__name__", "") == "handle_write_timeout" and type(
            owner
        ).__module__.startswith("amqtt."):
            handle.cancel()


async def setup_ha_mqtt(
    hass: HomeAssistant, broker: AnyBroker, *, discovery: bool = False
) -> MockConfigEntry:
    """Set up Home Assistant's real MQTT integration (paho, no mock) on a test broker.

    Discovery is off unless asked for: it subscribes to every integration's discovery
    topics, and a broker restart in the middle of that makes HA wait 10 s for lost ACKs.
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        title="MQTT",
        data={mqtt.CONF_BROKER: broker.host, "port": broker.port},
        # No birth message: nothing but the printer's traffic on the test broker.
        options={mqtt.CONF_BIRTH_MESSAGE: {}, mqtt.CONF_DISCOVERY: discovery},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: mqtt.is_connected(hass))
    return entry


@pytest.fixture
async def ha_mqtt(
    hass: HomeAssistant, mock_hass_config: None, amqtt: AmqttBroker
) -> AsyncIterator[MockConfigEntry]:
    """Provide Home Assistant's MQTT integration, connected to the amqtt broker."""
    entry = await setup_ha_mqtt(hass, amqtt)
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def printer(amqtt: AmqttBroker) -> AsyncIterator[KobraSimulator]:
    """Provide a running simulated Kobra 2 Pro on the amqtt broker."""
    # Frequent job reports keep print-flow tests short.
    sim = KobraSimulator(sim_config(amqtt, report_interval=0.25, time_scale=60.0))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
