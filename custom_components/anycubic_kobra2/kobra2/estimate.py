"""Remaining print time from the best source at hand: printer, slicer, or the progress rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import time
from typing import Final

from .models import PrintJob, PrintPhase

# Below this progress the rate of a few percent says little (heating, first layer).
MIN_RATE_PROGRESS: Final = 3
# The rate also needs some printing behind it: one printer minute is the finest count.
MIN_RATE_ELAPSED_S: Final = 60.0
# Weight of a new progress-rate reading; the rest is the running estimate counted down.
RATE_SMOOTHING: Final = 0.3
# The printer's print_time only changes once a minute; wall time fills in at most that much.
_MINUTE: Final = 60.0

_PAUSED: Final = frozenset({PrintPhase.PAUSING, PrintPhase.PAUSED})
_WAITING: Final = frozenset({PrintPhase.DOWNLOADING, PrintPhase.CHECKING, PrintPhase.PREHEATING})
_PRINTING: Final = frozenset({PrintPhase.PRINTING, PrintPhase.RESUMING})
_ESTIMATED: Final = _PAUSED | _WAITING | _PRINTING


class EstimateSource(StrEnum):
    """Where a remaining-time estimate comes from, best first."""

    PRINTER = "printer"
    SLICER = "slicer"
    SLICE_PARAM = "slice_param"
    PROGRESS = "progress"


@dataclass(frozen=True, slots=True)
class Estimate:
    """Seconds left and the source they come from."""

    remaining_s: float
    source: EstimateSource


class RemainingTimeEstimator:
    """Follows one job's print reports and estimates the time left (pure logic, no I/O).

    Between reports the estimate counts down while the job prints and stands still while it
    is paused, so a finish time computed from it moves on during a pause.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start with no job."""
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget the job (a new one starts)."""
        self._totals: dict[EstimateSource, float] = {}
        self._phase: PrintPhase | None = None
        self._anchor: Estimate | None = None
        self._anchor_at = 0.0
        self._key: tuple[object, ...] | None = None
        self._print_minutes: int | None = None
        self._minute_seen_at = 0.0
        self._printed_s = 0.0
        self._printing_since: float | None = None

    def set_total(self, source: EstimateSource, seconds: float | None) -> None:
        """Give the job's whole print time from the slicer header or getSliceParam."""
        if source not in (EstimateSource.SLICER, EstimateSource.SLICE_PARAM):
            raise ValueError(f"{source} is not a total-time source")
        if seconds is not None and seconds > 0:
            self._totals[source] = float(seconds)

    def update(self, phase: PrintPhase | None, job: PrintJob | None) -> None:
        """Take one print report: the job's phase and fields as now known."""
        now = self._clock()
        # Count down to now under the old phase before the new one decides how time counts.
        self._anchor, self._anchor_at = self._current(now), now
        self._track_printing(phase, now)
        minutes = job.print_time_min if job is not None else None
        if minutes is not None and minutes != self._print_minutes:
            self._print_minutes = minutes
            self._minute_seen_at = now
        if phase not in _ESTIMATED:
            # Stopping, finished, stopped or failed: nothing is left to estimate.
            self._anchor = self._key = None
            return
        fresh = self._reading(phase, job)
        # A report repeating the last one's values says nothing new: the countdown goes on.
        key = (
            fresh.source if fresh else None,
            job.progress if job else None,
            job.remain_time_min if job else None,
            phase in _WAITING,
        )
        if fresh is None or key == self._key:
            return
        self._key = key
        current = self._anchor
        if (
            fresh.source is EstimateSource.PROGRESS
            and current is not None
            and current.source is EstimateSource.PROGRESS
        ):
            blended = (
                RATE_SMOOTHING * fresh.remaining_s + (1 - RATE_SMOOTHING) * current.remaining_s
            )
            fresh = Estimate(blended, fresh.source)
        self._anchor, self._anchor_at = fresh, now

    def estimate(self) -> Estimate | None:
        """Return the time left now, or None before any source has a value."""
        return self._current(self._clock())

    def elapsed_s(self) -> float:
        """Return how long the job has printed: the printer's minutes, refined by wall time."""
        now = self._clock()
        measured = self._printed_s
        if self._printing_since is not None:
            measured += now - self._printing_since
        if self._print_minutes is None or self._print_minutes <= 0:
            return measured
        since = now - self._minute_seen_at if self._printing_since is not None else 0.0
        return self._print_minutes * _MINUTE + min(since, _MINUTE)

    def _track_printing(self, phase: PrintPhase | None, now: float) -> None:
        """Add up the wall time spent printing (not paused, not heating)."""
        printing = phase in _PRINTING
        if printing and self._printing_since is None:
            self._printing_since = now
        elif not printing and self._printing_since is not None:
            self._printed_s += now - self._printing_since
            self._printing_since = None
        self._phase = phase

    def _reading(self, phase: PrintPhase, job: PrintJob | None) -> Estimate | None:
        """Return what this report says about the time left, from the best source."""
        if job is not None and job.remain_time_min is not None and job.remain_time_min > 0:
            return Estimate(job.remain_time_min * _MINUTE, EstimateSource.PRINTER)
        progress = job.progress if job is not None and phase not in _WAITING else None
        done = min(max(progress or 0, 0), 100) / 100
        for source in (EstimateSource.SLICER, EstimateSource.SLICE_PARAM):
            if (total := self._totals.get(source)) is not None:
                return Estimate(total * (1 - done), source)
        if progress is None or progress < MIN_RATE_PROGRESS:
            return None
        elapsed = self.elapsed_s()
        if elapsed < MIN_RATE_ELAPSED_S:
            return None
        return Estimate(elapsed * (100 - progress) / progress, EstimateSource.PROGRESS)

    def _current(self, now: float) -> Estimate | None:
        """Return the last reading counted down by the printing time since it came."""
        anchor = self._anchor
        if anchor is None:
            return None
        if self._phase not in _PRINTING:
            return anchor
        since = now - max(self._anchor_at, self._printing_since or now)
        return Estimate(max(anchor.remaining_s - since, 0.0), anchor.source)
