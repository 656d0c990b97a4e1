"""Syrupy snapshots kept per Home Assistant major.minor version."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.location import PyTestLocation


class VersionedSnapshotExtension(HomeAssistantSnapshotExtension):
    """Keep snapshots per Home Assistant major.minor: state and registry dumps differ between releases."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return `__snapshots__/<major.minor>/` next to the test module."""
        base = Path(test_location.filepath).parent / "__snapshots__"
        return str(base / f"{MAJOR_VERSION}.{MINOR_VERSION}")
