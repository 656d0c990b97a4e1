"""Fixtures for the ecosystem tests: Home Assistant's MQTT integration on a real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import setup_ha_mqtt


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
def printer_config() -> dict[str, Any]:
    """Frequent job reports keep print-flow tests short."""
    return {"report_interval": 0.25, "time_scale": 60.0}
