"""Entities: snapshots of every platform, and commands round-tripping through the simulator."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.anycubic_kobra2.kobra2.simulator import KobraSimulator

from .common import setup_entry, wait_printer_ready


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER, Platform.SELECT, Platform.SENSOR],
)
async def test_platform_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
    printer: KobraSimulator,
    platform: Platform,
) -> None:
    """Every entity of the platform, as an idle printer shows it."""
    with patch("custom_components.anycubic_kobra2.PLATFORMS", [platform]):
        await setup_entry(hass, mock_config_entry)
        await wait_printer_ready(hass, mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)
