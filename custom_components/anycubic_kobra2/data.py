"""What one config entry owns (coordinator, file browser, firmware tracker, repair monitor) and what entities read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .kobra2 import PrinterState, PrintJob

if TYPE_CHECKING:
    from .coordinator import KobraCoordinator
    from .files import FileBrowser
    from .firmware import FirmwareTracker
    from .repairs import RepairMonitor

type KobraConfigEntry = ConfigEntry[KobraRuntimeData]


@dataclass(frozen=True, slots=True)
class KobraRuntimeData:
    """The per-printer objects, built together in async_setup_entry and gone with the entry."""

    coordinator: KobraCoordinator
    files: FileBrowser
    firmware: FirmwareTracker
    repairs: RepairMonitor


@dataclass(slots=True)
class KobraData:
    """What entities read: the printer state plus values derived from when reports arrived."""

    state: PrinterState
    estimated_finish: datetime | None = None
    # Whether the printer was live (broker up, not offline, reporting) at the last update.
    live: bool = False

    @property
    def job(self) -> PrintJob | None:
        """Return the current (or last) print job."""
        return self.state.job

    def track_finish(self, now: datetime) -> None:
        """Pin the estimated finish to when the time left was reported, so it does not drift."""
        job = self.state.job
        remaining = job.remain_time_min if job is not None else None
        if remaining is None:
            self.estimated_finish = None
            return
        finish = (now + timedelta(minutes=remaining)).replace(second=0, microsecond=0)
        previous = self.estimated_finish
        # The printer counts whole minutes, so ignore the jitter of one minute.
        if previous is None or abs(finish - previous) > timedelta(minutes=1):
            self.estimated_finish = finish
