"""The HA layer's entity tests again, with the printer reached through Home Assistant's MQTT.

Every test of test_entities.py beside this file is collected here a second time. Only the
config entry differs: it uses Home Assistant's MQTT integration (its real client, connected to
the same amqtt broker as the simulator) instead of the integration's own connection. The
platform snapshots are compared with the very same snapshot files, so both transports must
produce identical entities and states.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from custom_components.anycubic_kobra2.const import (
    CONF_MODEL_ID,
    CONF_PRINTER_ID,
    CONF_TRANSPORT,
    DOMAIN,
    TRANSPORT_HA_MQTT,
)
from custom_components.anycubic_kobra2.transport import HaMqttTransport
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import MODEL_ID, PRINTER_ID, TITLE, setup_ha_mqtt
from tests.helpers.snapshots import VersionedSnapshotExtension

from .test_entities import *  # noqa: F403  (the tests themselves)
from .test_entities import fast_printer, printing_entry  # noqa: F401  (fixtures they use)


class SharedSnapshots(VersionedSnapshotExtension):
    """Read and write the snapshots of test_entities.py (same folder, its file name)."""

    @classmethod
    def get_file_basename(cls, *, test_location: PyTestLocation, index: object) -> str:
        """Use test_entities' snapshot file name (syrupy 6)."""
        return "test_entities"

    @classmethod
    def _get_file_basename(cls, *, test_location: PyTestLocation, index: object) -> str:
        """Use test_entities' snapshot file name (syrupy 4)."""
        return "test_entities"


@pytest.fixture
def printer_config() -> dict[str, Any]:
    """Run the printer these tests always ran with (the ecosystem suite's: frequent job reports)."""
    return {"report_interval": 0.25, "time_scale": 60.0}


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Compare with the HA layer's snapshots (same entities whichever the transport)."""
    return snapshot.use_extension(SharedSnapshots)


@pytest.fixture
async def mock_config_entry(
    hass: HomeAssistant, mock_hass_config: None, amqtt: AmqttBroker
) -> AsyncIterator[MockConfigEntry]:
    """Return the test printer's entry on Home Assistant's MQTT connection (set up first)."""
    mqtt_entry = await setup_ha_mqtt(hass, amqtt)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=PRINTER_ID,
        data={
            CONF_TRANSPORT: TRANSPORT_HA_MQTT,
            CONF_MODEL_ID: MODEL_ID,
            CONF_PRINTER_ID: PRINTER_ID,
        },
    )
    yield entry
    # Unload the printer before the MQTT integration it depends on.
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
    if mqtt_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()


async def test_runs_on_home_assistants_mqtt(init_integration: MockConfigEntry) -> None:
    """The entry under test really uses Home Assistant's MQTT connection."""
    assert isinstance(init_integration.runtime_data.client, HaMqttTransport)
    assert init_integration.runtime_data.client.connected
