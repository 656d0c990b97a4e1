"""What one config entry owns (coordinator, files, firmware, repairs, job insight) and what entities read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .kobra2 import PrinterState, PrintJob

if TYPE_CHECKING:
    from .coordinator import KobraCoordinator
    from .files import FileBrowser
    from .firmware import FirmwareTracker
    from .insight import JobInsight
    from .repairs import RepairMonitor

type KobraConfigEntry = ConfigEntry[KobraRuntimeData]


@dataclass(frozen=True, slots=True)
class KobraRuntimeData:
    """The per-printer objects, built together in async_setup_entry and gone with the entry."""

    coordinator: KobraCoordinator
    files: FileBrowser
    firmware: FirmwareTracker
    repairs: RepairMonitor
    insight: JobInsight


@dataclass(slots=True)
class KobraData:
    """What entities read: the printer state plus values derived from when reports arrived."""

    state: PrinterState
    # Whether the printer was live (broker up, not offline, reporting) at the last update.
    live: bool = False

    @property
    def job(self) -> PrintJob | None:
        """Return the current (or last) print job."""
        return self.state.job
