"""Fixtures of every suite that runs Home Assistant: a broker, the simulated printer and an entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from custom_components.anycubic_kobra2.const import DOMAIN
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker, AnyBroker
from tests.helpers.entry import (
    MakePrinter,
    make_entry,
    setup_entry,
    sim_config,
    wait_printer_ready,
)
from tests.helpers.snapshots import VersionedSnapshotExtension


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/anycubic_kobra2."""


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """Return a snapshot assertion that only ever sees this Home Assistant version's files.

    Built directly instead of from syrupy's fixture: every assertion syrupy creates takes part
    in unused-snapshot cleanup, and the default one would walk `__snapshots__/` recursively
    and delete the other versions' files on `--snapshot-update`.
    """
    options = request.config.option
    extra: dict[str, Any] = {}
    if hasattr(options, "update_new_snapshots_only"):  # syrupy 5+
        extra["update_new_snapshots_only"] = options.update_new_snapshots_only
    return SnapshotAssertion(
        update_snapshots=options.update_snapshots,
        extension_class=VersionedSnapshotExtension,
        test_location=PyTestLocation(request.node),
        session=request.session.config._syrupy,  # type: ignore[attr-defined]
        **extra,
    )


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create disabled-by-default entities enabled, so snapshots cover them too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def amqtt(hass: HomeAssistant, amqtt_broker: AmqttBroker) -> AsyncIterator[AmqttBroker]:
    """Provide the anonymous in-process broker; entries on it are unloaded before it closes."""
    yield amqtt_broker
    # Entries still connected when the broker shuts down can keep amqtt's shutdown
    # waiting; the printer entries go first, then Home Assistant's MQTT they may use.
    for domain in (DOMAIN, mqtt.DOMAIN):
        for entry in hass.config_entries.async_entries(domain):
            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def make_printer(make_simulator: Callable[..., Awaitable[KobraSimulator]]) -> MakePrinter:
    """Provide a factory for the test printer (simulated) on a broker, with setting overrides."""

    async def factory(broker: AnyBroker, **overrides: Any) -> KobraSimulator:
        return await make_simulator(sim_config(broker, **overrides))

    return factory


@pytest.fixture
def printer_config() -> dict[str, Any]:
    """Return the simulator settings `printer` overrides (a suite or module overrides this)."""
    return {}


@pytest.fixture
async def printer(
    amqtt: AmqttBroker, make_printer: MakePrinter, printer_config: dict[str, Any]
) -> KobraSimulator:
    """Provide a running simulated Kobra 2 Pro on the amqtt broker."""
    return await make_printer(amqtt, **printer_config)


@pytest.fixture
def mock_config_entry(amqtt: AmqttBroker) -> MockConfigEntry:
    """Return the test printer's entry on the amqtt broker."""
    return make_entry(amqtt)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, printer: KobraSimulator
) -> MockConfigEntry:
    """Set up the integration against the simulator and wait for the printer's full state."""
    await setup_entry(hass, mock_config_entry)
    await wait_printer_ready(hass, mock_config_entry)
    return mock_config_entry
