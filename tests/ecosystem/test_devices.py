"""Device housekeeping: stale printer devices go away; only those may be removed by hand."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.anycubic_kobra2 import devices
from custom_components.anycubic_kobra2.const import DOMAIN
from tests.helpers.brokers import AmqttBroker
from tests.integration.common import PRINTER_ID, make_entry, setup_entry

OLD_ID = "00000000000000000000000000000001"


async def test_stale_device_is_removed_at_setup(
    hass: HomeAssistant, amqtt: AmqttBroker, device_registry: dr.DeviceRegistry
) -> None:
    """A device of an id the entry no longer uses (a corrected typo) is detached at setup."""
    entry = make_entry(amqtt)
    entry.add_to_hass(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, OLD_ID)}, name="Old"
    )
    # A device shared with another integration only loses this entry.
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    shared = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "00000000000000000000000000000002")},
        name="Shared",
    )
    device_registry.async_update_device(shared.id, add_config_entry_id=other_entry.entry_id)

    await setup_entry(hass, entry)

    assert device_registry.async_get(stale.id) is None
    shared_now = device_registry.async_get(shared.id)
    assert shared_now is not None
    assert shared_now.config_entries == {other_entry.entry_id}
    printer = device_registry.async_get_device(identifiers={(DOMAIN, PRINTER_ID)})
    assert printer is not None
    assert entry.entry_id in printer.config_entries


async def test_remove_config_entry_device(
    hass: HomeAssistant,
    amqtt: AmqttBroker,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The live printer cannot be deleted (it would come back); an old one can."""
    assert await async_setup_component(hass, "config", {})
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    printer = device_registry.async_get_device(identifiers={(DOMAIN, PRINTER_ID)})
    assert printer is not None
    old = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, OLD_ID)}, name="Old"
    )
    assert not await devices.async_remove_config_entry_device(hass, entry, printer)
    assert await devices.async_remove_config_entry_device(hass, entry, old)

    # Through the device page (websocket), as the user does it.
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": printer.id,
        }
    )
    response = await client.receive_json()
    assert not response["success"]
    assert device_registry.async_get(printer.id) is not None
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": old.id,
        }
    )
    response = await client.receive_json()
    assert response["success"]
    assert device_registry.async_get(old.id) is None
