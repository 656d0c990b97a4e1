"""The HA layer's entity tests again, with the printer reached through Home Assistant's MQTT.

Every test of tests/integration/test_entities.py is collected here a second time. Only the
config entry differs: it uses Home Assistant's MQTT integration (its real client, connected to
the same amqtt broker as the simulator) instead of the integration's own connection. The
platform snapshots are compared with the very same snapshot files, so both transports must
produce identical entities and states.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

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
from custom_components.anycubic_kobra2.ha_mqtt import HaMqttLink
from tests.helpers.brokers import AmqttBroker
from tests.integration.common import MODEL_ID, PRINTER_ID, TITLE
from tests.integration.conftest import (  # noqa: F401  (fixtures the re-collected tests use)
    VersionedSnapshotExtension,
    entity_registry_enabled_by_default,
    init_integration,
)
from tests.integration.test_entities import *  # noqa: F403  (the tests themselves)
from tests.integration.test_entities import fast_printer, printing_entry  # noqa: F401

from .conftest import setup_ha_mqtt


class SharedSnapshots(VersionedSnapshotExtension):
    """Read and write the snapshots of tests/integration/test_entities.py."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return the HA layer's snapshot folder for this Home Assistant version."""
        integration = Path(__file__).parents[1] / "integration" / "test_entities.py"
        return super().dirname(test_location=_relocated(test_location, integration))

    @classmethod
    def get_file_basename(cls, *, test_location: PyTestLocation, index: object) -> str:
        """Use the HA layer's snapshot file name (syrupy 6)."""
        return "test_entities"

    @classmethod
    def _get_file_basename(cls, *, test_location: PyTestLocation, index: object) -> str:
        """Use the HA layer's snapshot file name (syrupy 4)."""
        return "test_entities"


def _relocated(location: PyTestLocation, path: Path) -> PyTestLocation:
    """Return a copy of location that pretends the test lives in path."""
    relocated = object.__new__(PyTestLocation)
    relocated.__dict__.update(location.__dict__)
    object.__setattr__(relocated, "filepath", str(path))
    return relocated


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


async def test_runs_on_home_assistants_mqtt(
    init_integration: MockConfigEntry,  # noqa: F811  (the fixture imported above)
) -> None:
    """The entry under test really uses Home Assistant's MQTT connection."""
    assert isinstance(init_integration.runtime_data.coordinator.client, HaMqttLink)
    assert init_integration.runtime_data.coordinator.client.connected
