"""Firmware update entity: announced images, install through `ota/update` with progress."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    ATTR_RELEASE_SUMMARY,
    ATTR_RELEASE_URL,
    ATTR_UPDATE_PERCENTAGE,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.anycubic_kobra2.compat import vol
from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from custom_components.anycubic_kobra2.kobra2.models import MachineStatus
from custom_components.anycubic_kobra2.update import KobraFirmwareUpdateEntity
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    entity,
    make_entry,
    settle,
    setup_entry,
    sim_config,
    state_of,
    wait_printer_ready,
    wait_until,
)

FIRMWARE = entity("update", "firmware")
INSTALLED = "3.1.2"
NEW = "3.1.4"
URL = "http://192.168.1.10:8000/images/kobra2_3.1.4.bin"
MD5 = "0123456789ABCDEF0123456789abcdef"
SIZE = 27_262_976


def device_id(hass: HomeAssistant) -> str:
    """Return the test printer's device id (through its entity; works on every HA version)."""
    entry = er.async_get(hass).async_get(FIRMWARE)
    assert entry is not None
    assert entry.device_id is not None
    return entry.device_id


async def announce(hass: HomeAssistant, **fields: Any) -> None:
    """Call the announce_firmware action for the test printer."""
    data = {"device_id": device_id(hass), "version": NEW, "url": URL, "md5": MD5, "size": SIZE}
    data.update(fields)
    await hass.services.async_call(DOMAIN, "announce_firmware", data, blocking=True)
    await hass.async_block_till_done()


def attributes(hass: HomeAssistant) -> dict[str, Any]:
    """Return the firmware entity's attributes."""
    state = hass.states.get(FIRMWARE)
    assert state is not None
    return dict(state.attributes)


def firmware_entity(hass: HomeAssistant) -> KobraFirmwareUpdateEntity:
    """Return the firmware entity object (to call it where Home Assistant would not)."""
    entity_obj = hass.data[UPDATE_DOMAIN].get_entity(FIRMWARE)
    assert isinstance(entity_obj, KobraFirmwareUpdateEntity)
    return entity_obj


@pytest.fixture
def printer_config() -> dict[str, Any]:
    """Run a printer whose firmware update takes about a second of wall time."""
    # 20 sim seconds at time scale 20: each 50 ms tick is one 10 % step of a phase.
    return {"ota_seconds": 20.0}


@pytest.fixture
def ota_printer(printer: KobraSimulator) -> KobraSimulator:
    """Provide the OTA-capable printer."""
    return printer


@pytest.fixture
def ota_entry(init_integration: MockConfigEntry) -> MockConfigEntry:
    """Set up the integration against the OTA-capable printer."""
    return init_integration


async def test_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
    printer: KobraSimulator,
) -> None:
    """The firmware entity of an idle printer without an offer."""
    with patch("custom_components.anycubic_kobra2.PLATFORMS", [Platform.UPDATE]):
        await setup_entry(hass, mock_config_entry)
        await wait_printer_ready(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_no_offer_means_no_update(hass: HomeAssistant, ota_entry: MockConfigEntry) -> None:
    """Without an announced image the installed version is the latest, and install is refused."""
    assert state_of(hass, FIRMWARE) == STATE_OFF
    attrs = attributes(hass)
    assert attrs[ATTR_INSTALLED_VERSION] == INSTALLED
    assert attrs[ATTR_LATEST_VERSION] == INSTALLED
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
        )
    # Called directly (as a race with a reload could), the entity explains itself.
    with pytest.raises(HomeAssistantError) as err:
        await firmware_entity(hass).async_install(None, False)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "no_firmware_offer"


async def test_install_announced_firmware(
    hass: HomeAssistant, ota_entry: MockConfigEntry, ota_printer: KobraSimulator
) -> None:
    """Announce, install: the exact `ota/update` goes out, progress shows, the new version lands."""
    await announce(
        hass, release_url="https://example.com/3.1.4", release_notes="Fixes the bed mesh."
    )
    assert state_of(hass, FIRMWARE) == STATE_ON
    attrs = attributes(hass)
    assert attrs[ATTR_INSTALLED_VERSION] == INSTALLED
    assert attrs[ATTR_LATEST_VERSION] == NEW
    assert attrs[ATTR_RELEASE_URL] == "https://example.com/3.1.4"
    assert attrs[ATTR_RELEASE_SUMMARY] == "Fixes the bed mesh."
    assert attrs[ATTR_IN_PROGRESS] is False

    seen: list[tuple[bool, int | None, str | None]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        """Keep each progress the entity showed."""
        new = event.data["new_state"]
        if event.data["entity_id"] == FIRMWARE and new is not None:
            seen.append(
                (
                    new.attributes[ATTR_IN_PROGRESS],
                    new.attributes[ATTR_UPDATE_PERCENTAGE],
                    new.attributes[ATTR_INSTALLED_VERSION],
                )
            )

    unsub = hass.bus.async_listen("state_changed", record)
    try:
        await hass.services.async_call(
            UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
        )
        command = await ota_printer.wait_for_command("ota", "update")
        assert command.data == {
            "force_update": False,
            "firmware_md5": MD5.lower(),
            "firmware_version": NEW,
            "firmware_name": "kobra2_3.1.4.bin",
            "firmware_url": URL,
            "firmware_size": SIZE,
        }
        await wait_until(lambda: attributes(hass)[ATTR_INSTALLED_VERSION] == NEW)
        await hass.async_block_till_done()
    finally:
        unsub()

    assert ota_printer.state.firmware == NEW
    assert state_of(hass, FIRMWARE) == STATE_OFF
    attrs = attributes(hass)
    assert attrs[ATTR_LATEST_VERSION] == NEW
    assert attrs[ATTR_IN_PROGRESS] is False
    assert attrs[ATTR_UPDATE_PERCENTAGE] is None
    assert attrs[ATTR_RELEASE_URL] is None  # the offer is gone once installed
    progress = [pct for running, pct, _ in seen if running]
    assert progress, "no progress was shown"
    assert progress == sorted(progress)
    # Both halves showed: download below 50 %, install above.
    assert any(pct is not None and pct < 50 for pct in progress)
    assert any(pct is not None and pct > 50 for pct in progress)
    assert all(version == INSTALLED for running, _, version in seen if running)
    assert ota_entry.runtime_data.state.firmware_version == NEW


async def test_name_given_with_the_offer(
    hass: HomeAssistant, ota_entry: MockConfigEntry, ota_printer: KobraSimulator
) -> None:
    """An explicit file name is what the printer receives."""
    await announce(hass, name="Kobra2_Pro_3.1.4.swu", md5=MD5.lower())
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
    )
    command = await ota_printer.wait_for_command("ota", "update")
    assert command.data["firmware_name"] == "Kobra2_Pro_3.1.4.swu"
    assert attributes(hass)[ATTR_IN_PROGRESS] is True


async def test_refused_by_a_busy_printer(
    hass: HomeAssistant, ota_entry: MockConfigEntry, ota_printer: KobraSimulator
) -> None:
    """The printer's refusal is a translated error and the offer stays."""
    coordinator: KobraCoordinator = ota_entry.runtime_data
    await ota_printer.set_other_work(True)
    await wait_until(lambda: coordinator.state.status is MachineStatus.BUSY)
    await announce(hass)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
        )
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {
        "command": "ota/update",
        "error": "printer is busy",
    }
    assert state_of(hass, FIRMWARE) == STATE_ON
    assert attributes(hass)[ATTR_IN_PROGRESS] is False


async def test_printer_offline(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """With the printer gone the entity is unavailable and an install is refused, translated."""
    sim = KobraSimulator(sim_config(amqtt, quiet=True))
    await sim.start()
    entry = make_entry(amqtt)
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await settle(coordinator, sim)
        await announce(hass)
        sim.crash()
        await wait_until(lambda: not coordinator.printer_available)
        await hass.async_block_till_done()
        assert state_of(hass, FIRMWARE) == "unavailable"
        with pytest.raises(HomeAssistantError) as err:
            await firmware_entity(hass).async_install(None, False)
        assert err.value.translation_key == "printer_offline"
        assert not [cmd for cmd in sim.received if (cmd.type, cmd.action) == ("ota", "update")]
    finally:
        await sim.stop()


async def test_announce_validation(hass: HomeAssistant, ota_entry: MockConfigEntry) -> None:
    """Bad checksums, sizes and URLs are refused; an unknown device is a translated error."""
    for bad in ({"md5": "1234"}, {"size": 0}, {"url": "ftp://host/fw.bin"}):
        # Schema errors surface as vol.Invalid or, on newer Home Assistant, wrapped.
        with pytest.raises((vol.Invalid, ServiceValidationError)):
            await announce(hass, **bad)
    assert state_of(hass, FIRMWARE) == STATE_OFF
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "announce_firmware",
            {"device_id": "nope", "version": NEW, "url": URL, "md5": MD5, "size": SIZE},
            blocking=True,
        )
    assert err.value.translation_key == "device_not_found"
