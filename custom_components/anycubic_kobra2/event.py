"""Event entity of a Kobra 2: print started, paused, resumed, finished, stopped or failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import time
from typing import Any, Final

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import LOGGER
from .coordinator import KobraConfigEntry, KobraCoordinator
from .entity import KobraEntity
from .kobra2.limits import EVENTS_PER_MINUTE, RateCap
from .kobra2.models import ACTIVE_PHASES, PrintJob, PrintPhase, PrintReport, Report
from .kobra2.routing import RateLimitedWarning

PARALLEL_UPDATES = 0

EVENT_STARTED: Final = "started"
EVENT_PAUSED: Final = "paused"
EVENT_RESUMED: Final = "resumed"
EVENT_FINISHED: Final = "finished"
EVENT_STOPPED: Final = "stopped"
EVENT_FAILED: Final = "failed"
EVENT_TYPES: Final = [
    EVENT_STARTED,
    EVENT_PAUSED,
    EVENT_RESUMED,
    EVENT_FINISHED,
    EVENT_STOPPED,
    EVENT_FAILED,
]

# Phases a job passes through before it prints; seeing one of them is seeing a start.
_STARTING = frozenset({PrintPhase.DOWNLOADING, PrintPhase.CHECKING, PrintPhase.PREHEATING})
_OUTCOMES: Final = {
    PrintPhase.FINISHED: EVENT_FINISHED,
    PrintPhase.STOPPED: EVENT_STOPPED,
    PrintPhase.FAILED: EVENT_FAILED,
}

DESCRIPTION = EventEntityDescription(key="print", translation_key="print", event_types=EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class PrintEvent:
    """One event of a print job, with the attributes automations get."""

    event_type: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PrintEventTracker:
    """Turns the stream of print reports into job events (pure logic, no Home Assistant).

    Only transitions count: a report repeating the current phase, or the first report
    after Home Assistant started in the middle of a job, fires nothing.
    """

    phase: PrintPhase | None = None
    taskid: str | None = None
    clock: Callable[[], float] = time.monotonic
    _started_at: float | None = None
    _filename: str | None = None
    _filament_mm: float | None = None

    def feed(self, phase: PrintPhase | None, job: PrintJob | None) -> PrintEvent | None:
        """Take one print report (its phase and the job as now known); return its event."""
        if phase is None:
            return None
        job = job or PrintJob()
        previous, self.phase = self.phase, phase
        new_task = job.taskid is not None and job.taskid != self.taskid
        if job.taskid is not None:
            self.taskid = job.taskid
        if new_task and previous not in ACTIVE_PHASES:
            # A new job never shares file name or filament with the last one (a running
            # job can change its id: the printer renames touchscreen jobs).
            self._filename = self._filament_mm = None
        if job.filename:
            self._filename = job.filename
        if job.filament_used_mm is not None:
            self._filament_mm = job.filament_used_mm

        event_type = self._event_type(previous, phase, job, new_task)
        if event_type is None:
            return None
        if event_type == EVENT_STARTED:
            self._started_at = self.clock()
        return PrintEvent(event_type, self._attributes(event_type, job))

    def _event_type(
        self, previous: PrintPhase | None, phase: PrintPhase, job: PrintJob, new_task: bool
    ) -> str | None:
        """Return the event a phase change means, if any."""
        was_active = previous in ACTIVE_PHASES
        if phase in ACTIVE_PHASES:
            if previous is None:
                # Joined while a job runs: a start only if it evidently just began.
                just_began = phase in _STARTING or (
                    phase is PrintPhase.PRINTING and not job.progress
                )
                return EVENT_STARTED if just_began else None
            if not was_active:
                return EVENT_STARTED
            if phase is PrintPhase.PAUSED and previous is not PrintPhase.PAUSED:
                return EVENT_PAUSED
            if phase is PrintPhase.PRINTING and previous in (
                PrintPhase.PAUSED,
                PrintPhase.RESUMING,
            ):
                return EVENT_RESUMED
            return None
        # An outcome counts after a running job, or when a new task fails at once (the
        # printer refused it); a stale answer right after startup does not.
        refused = phase is PrintPhase.FAILED and previous is not None and new_task
        if phase in _OUTCOMES and (was_active or refused):
            return _OUTCOMES[phase]
        return None

    def _attributes(self, event_type: str, job: PrintJob) -> dict[str, Any]:
        """Return the event's attributes, leaving out what is not known."""
        attributes: dict[str, Any] = {
            "file_name": job.filename or self._filename,
            "task_id": job.taskid or self.taskid,
        }
        if event_type != EVENT_STARTED:
            attributes["duration"] = self._duration(job)
            attributes["filament_used_mm"] = (
                job.filament_used_mm if job.filament_used_mm is not None else self._filament_mm
            )
            attributes["progress"] = job.progress
        if event_type == EVENT_FAILED:
            attributes["reason"] = job.message or None
        return {key: value for key, value in attributes.items() if value is not None}

    def _duration(self, job: PrintJob) -> int | None:
        """Return the print time in seconds: the printer's count, else what we measured."""
        if job.print_time_min is not None:
            return job.print_time_min * 60
        if self._started_at is not None:
            return round(self.clock() - self._started_at)
        return None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the printer's print event entity."""
    async_add_entities([KobraPrintEvent(entry.runtime_data)])


class KobraPrintEvent(KobraEntity, EventEntity):
    """Fires when a print starts, pauses, resumes, finishes, is stopped or fails."""

    # Events describe the job, not live values: keep the entity while only the printer
    # is away, so a returning printer does not look like a new event to automations.
    _requires_printer = False

    def __init__(self, coordinator: KobraCoordinator) -> None:
        """Bind the event entity to the printer."""
        super().__init__(coordinator, DESCRIPTION)
        state = coordinator.state
        job = state.job
        self._tracker = PrintEventTracker(
            phase=state.phase, taskid=job.taskid if job is not None else None
        )
        # A flood of fake phase changes must not run every print automation each time.
        self._cap = RateCap(EVENTS_PER_MINUTE, 60.0)
        self._warn_suppressed = RateLimitedWarning(LOGGER)

    async def async_added_to_hass(self) -> None:
        """Listen to every report, so no short-lived phase is missed."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_report_listener(self._handle_report))

    @callback
    def _handle_report(self, report: Report) -> None:
        """Fire the event a print report means."""
        if not isinstance(report, PrintReport):
            return
        state = self.coordinator.state
        # The phase as the state took it: a refused command is no outcome of the running job.
        event = self._tracker.feed(state.phase if report.phase else None, state.job)
        if event is not None:
            if not self._cap.take():
                self._warn_suppressed(
                    "Printer %s reports more than %d print events a minute; "
                    "not firing %s and further ones until it calms down",
                    self.coordinator.name,
                    EVENTS_PER_MINUTE,
                    event.event_type,
                )
                return
            self._trigger_event(event.event_type, event.attributes)
            self.async_write_ha_state()
