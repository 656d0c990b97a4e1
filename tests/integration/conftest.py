"""Fixtures for the Home Assistant integration tests: a real broker, the simulator and an entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker

from .common import make_entry, setup_entry, sim_config, wait_printer_ready


class VersionedSnapshotExtension(HomeAssistantSnapshotExtension):
    """Keep snapshots per Home Assistant major.minor: state and registry dumps differ between releases."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return `__snapshots__/<major.minor>/` next to the test module."""
        base = Path(test_location.filepath).parent / "__snapshots__"
        return str(base / f"{MAJOR_VERSION}.{MINOR_VERSION}")


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


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/anycubic_kobra2."""


@pytest.fixture
async def amqtt(socket_enabled: None) -> AsyncIterator[AmqttBroker]:
    """Provide an anonymous in-process broker (the fast default for integration tests)."""
    broker = AmqttBroker()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()


@pytest.fixture
async def printer(amqtt: AmqttBroker) -> AsyncIterator[KobraSimulator]:
    """Provide a running simulated Kobra 2 Pro on the amqtt broker."""
    sim = KobraSimulator(sim_config(amqtt))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


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
