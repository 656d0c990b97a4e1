"""Fixtures for the ecosystem tests: Home Assistant's MQTT integration on a real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.const import DOMAIN
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker, AnyBroker
from tests.integration.common import sim_config, wait_until


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
        await broker.close()


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
