"""Setup, unload and the push coordinator against a real broker and the simulator."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.kobra2.simulator import KobraSimulator

from .common import entity, state_of


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, printer: KobraSimulator
) -> None:
    """The entry loads, shows the printer's values and unloads cleanly."""
    assert state_of(hass, entity("sensor", "firmware_version")) == "3.1.2"
    coordinator = init_integration.runtime_data
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert not coordinator.client.connected
