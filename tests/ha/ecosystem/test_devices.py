"""Device housekeeping: stale printer devices go away; only those may be removed by hand."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.anycubic_kobra2 import devices
from custom_components.anycubic_kobra2.const import DOMAIN
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import PRINTER_ID, make_entry, setup_entry

OLD_ID = "00000000000000000000000000000001"
# Home Assistant 2026 gives every device exactly one config entry; before, several could share.
SINGLE_ENTRY_DEVICES = hasattr(dr.DeviceEntry, "config_entry_id")


def printer_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the entry's device of the test printer."""
    registry = dr.async_get(hass)
    (device,) = (
        device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, PRINTER_ID) in device.identifiers
    )
    return device


async def test_stale_device_is_removed_at_setup(
    hass: HomeAssistant, amqtt: AmqttBroker, device_registry: dr.DeviceRegistry
) -> None:
    """A device of an id the entry no longer uses (a corrected typo) goes at setup."""
    entry = make_entry(amqtt)
    entry.add_to_hass(hass)
    stale = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, OLD_ID)}, name="Old"
    )
    await setup_entry(hass, entry)

    assert device_registry.async_get(stale.id) is None
    assert printer_device(hass, entry).name == "Kobra 2 Pro"


@pytest.mark.skipif(SINGLE_ENTRY_DEVICES, reason="devices cannot be shared any more")
async def test_shared_stale_device_only_loses_this_entry(
    hass: HomeAssistant, amqtt: AmqttBroker, device_registry: dr.DeviceRegistry
) -> None:
    """A stale device that another integration also uses stays, without this entry."""
    entry = make_entry(amqtt)
    entry.add_to_hass(hass)
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    shared = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, OLD_ID)}, name="Shared"
    )
    device_registry.async_update_device(shared.id, add_config_entry_id=other_entry.entry_id)
    await setup_entry(hass, entry)

    shared_now = device_registry.async_get(shared.id)
    assert shared_now is not None
    assert shared_now.config_entries == {other_entry.entry_id}


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
    printer = printer_device(hass, entry)
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
