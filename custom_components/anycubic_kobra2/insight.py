"""What a job needs beyond the printer's reports: time left, slicer summary, picture and history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
import math
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .coordinator import KobraCoordinator
from .data import KobraConfigEntry
from .filament import filament_cost, filament_grams, filament_settings
from .job_store import CurrentJob, LastPrint, Totals, current_from_store, current_to_store
from .kobra2 import commands
from .kobra2.estimate import Estimate, EstimateSource, RemainingTimeEstimator
from .kobra2.events import (
    EVENT_FAILED,
    EVENT_FINISHED,
    EVENT_STOPPED,
    PrintEvent,
    PrintEventTracker,
)
from .kobra2.exceptions import KobraError
from .kobra2.gcode import GcodeInfo, Thumbnail
from .kobra2.models import (
    ACTIVE_PHASES,
    PrintJob,
    PrintPhase,
    PrintReport,
    Report,
    SliceParamReport,
)

STORAGE_VERSION: Final = 1
# Job keys whose outcome was counted; a few are enough to recognise a repeated final report.
_COUNTED_KEEP: Final = 20
# Uploads waiting for the printer to report their job.
_PENDING_KEEP: Final = 4
# Delay before history changes are written (HA writes pending saves when it stops).
_SAVE_DELAY: Final = 5.0
OUTCOMES: Final = (EVENT_FINISHED, EVENT_FAILED, EVENT_STOPPED)
# Whole minutes are all any source knows: the finish time ignores smaller jitter. A module
# attribute (read per update) so tests can shorten it.
FINISH_JITTER = timedelta(minutes=1)


def job_key(job: PrintJob | None) -> str | None:
    """Return what identifies a job across reports and restarts (None for no job)."""
    if job is None or not (job.taskid or job.localtask or job.filename):
        return None
    return f"{job.taskid or ''}/{job.localtask or ''}/{job.filename or ''}"


class JobInsight:
    """Per printer: remaining-time estimate, the job's G-code summary and picture, and history."""

    def __init__(self, hass: HomeAssistant, coordinator: KobraCoordinator) -> None:
        """Create an empty insight; async_load fills it from storage."""
        self.hass = hass
        self.coordinator = coordinator
        entry = coordinator.config_entry
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.history"
        )
        self.estimator = RemainingTimeEstimator()
        self.totals = Totals()
        self.last: LastPrint | None = None
        self.current: CurrentJob | None = None
        self.remaining: Estimate | None = None
        self.finish: datetime | None = None
        self._counted: list[str] = []
        self._pending: dict[str, GcodeInfo] = {}
        self._key: str | None = None
        self._asked_slice: str | None = None
        self._dirty = False
        self._tracker = PrintEventTracker()
        self.filament_settings = filament_settings(entry.options)

    # -- setup --

    async def async_load(self) -> None:
        """Read the history and the running job's summary from storage."""
        stored = await self._store.async_load() or {}
        totals = stored.get("totals") or {}
        known = Totals.__dataclass_fields__
        self.totals = Totals(**{k: v for k, v in totals.items() if k in known})
        if isinstance(last := stored.get("last"), Mapping):
            try:
                self.last = LastPrint(**last)
            except TypeError:
                self.last = None
        self._counted = [str(key) for key in stored.get("counted") or []][-_COUNTED_KEEP:]
        self.current = current_from_store(stored.get("current"))

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the coordinator's reports and updates."""
        state = self.coordinator.state
        self._tracker = PrintEventTracker(
            phase=state.phase, taskid=state.job.taskid if state.job else None
        )
        unsubs = (
            self.coordinator.async_add_report_listener(self._handle_report),
            self.coordinator.async_add_listener(self._handle_update),
        )

        @callback
        def stop() -> None:
            """Stop following the coordinator."""
            for unsub in unsubs:
                unsub()

        return stop

    # -- uploads through Home Assistant --

    @callback
    def expect_upload(self, taskid: str, info: GcodeInfo) -> None:
        """Remember the summary of a file Home Assistant is about to have printed."""
        self._pending[taskid] = info
        while len(self._pending) > _PENDING_KEEP:
            self._pending.pop(next(iter(self._pending)))

    # -- reports --

    @callback
    def _handle_report(self, report: Report) -> None:
        """Feed print reports to the estimator, the history and the job summary."""
        state = self.coordinator.state
        if isinstance(report, SliceParamReport):
            self._apply_slice_param(report)
            return
        if not isinstance(report, PrintReport):
            return
        job = state.job
        key = job_key(job)
        if key != self._key and state.phase in ACTIVE_PHASES:
            self._new_job(key, job)
        self.estimator.update(state.phase, job)
        event = self._tracker.feed(state.phase if report.phase else None, job)
        if event is not None and event.event_type in OUTCOMES:
            self._count(event, key)
        # Task "0" is no job id (touchscreen jobs): there is nothing to ask about.
        taskid = job.taskid if job is not None else None
        if state.phase is PrintPhase.PRINTING and taskid and taskid != "0":
            self._ask_slice_param(taskid)

    def _new_job(self, key: str | None, job: PrintJob | None) -> None:
        """Start following a new job: fresh estimate, and its upload summary if there is one."""
        self._key = key
        self.estimator.reset()
        info = self._pending.pop(job.taskid, None) if job is not None and job.taskid else None
        if info is not None and key is not None:
            self.current = CurrentJob(key, info)
            self._save()
        elif self.current is not None and self.current.key != key:
            self.current = None
            self._save()
        if self.current is not None and self.current.info.print_time_s:
            self.estimator.set_total(EstimateSource.SLICER, self.current.info.print_time_s)

    def _ask_slice_param(self, taskid: str) -> None:
        """Ask once per job for the printer's slicer parameters (an estimate may come back)."""
        if self._asked_slice == taskid or not self.coordinator.printer_available:
            return
        self._asked_slice = taskid

        async def _ask() -> None:
            """Send the request; a printer that does not answer it costs nothing."""
            try:
                await self.coordinator.client.send(commands.get_slice_param(taskid))
            except KobraError as err:
                LOGGER.debug("Could not ask for the slicer parameters: %s", err)

        self.coordinator.config_entry.async_create_background_task(
            self.hass, _ask(), f"{DOMAIN} slice params"
        )

    def _apply_slice_param(self, report: SliceParamReport) -> None:
        """Take an estimate (seconds) from the printer's slicer parameters of the running job."""
        job = self.coordinator.state.job
        if job is None or report.taskid != job.taskid:
            return
        estimate = report.params.get("estimate")
        if isinstance(estimate, bool) or not isinstance(estimate, int | float):
            return
        if math.isfinite(estimate):
            self.estimator.set_total(EstimateSource.SLICE_PARAM, estimate)

    @callback
    def _handle_update(self) -> None:
        """Recompute time left and finish; the finish moves on while the job is paused."""
        if self.coordinator.state.phase not in ACTIVE_PHASES:
            self.remaining = self.finish = None
            return
        self.remaining = self.estimator.estimate()
        if self.remaining is None:
            self.finish = None
            return
        finish = (dt_util.utcnow() + timedelta(seconds=self.remaining.remaining_s)).replace(
            microsecond=0
        )
        if self.finish is None or abs(finish - self.finish) >= FINISH_JITTER:
            self.finish = finish

    # -- history --

    def _count(self, event: PrintEvent, key: str | None) -> None:
        """Add one outcome to the totals, once per job."""
        if key is not None:
            if key in self._counted:
                return
            self._counted = [*self._counted, key][-_COUNTED_KEEP:]
        outcome = event.event_type
        setattr(self.totals, outcome, getattr(self.totals, outcome) + 1)
        duration = event.attributes.get("duration")
        filament = event.attributes.get("filament_used_mm")
        if isinstance(duration, int | float):
            self.totals.print_time_s += duration
        if isinstance(filament, int | float):
            self.totals.filament_mm += filament
        self.last = LastPrint(
            file_name=event.attributes.get("file_name"),
            outcome=outcome,
            duration_s=duration,
            filament_mm=filament,
            ended_at=dt_util.utcnow().isoformat(),
        )
        self._save()

    def _save(self) -> None:
        """Write the history soon (and for sure when Home Assistant stops)."""
        self._dirty = True
        self._store.async_delay_save(self._data, _SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write what is pending now (the entry unloads; a reload reads it back at once)."""
        if self._dirty:
            await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        """Return what is stored."""
        self._dirty = False
        return {
            "totals": asdict(self.totals),
            "last": asdict(self.last) if self.last else None,
            "counted": self._counted,
            "current": current_to_store(self.current),
        }

    # -- filament weight and cost --

    def grams(self, millimetres: float | None) -> float | None:
        """Return the weight of a filament length, if the options give diameter and density."""
        return filament_grams(self.coordinator.config_entry.options, millimetres)

    def cost(self, millimetres: float | None) -> float | None:
        """Return the cost of a filament length, if the options also give the price per kg."""
        return filament_cost(self.coordinator.config_entry.options, millimetres)

    @property
    def total_layers(self) -> int | None:
        """Return the printer's layer count, else the slicer's for the running job."""
        job = self.coordinator.state.job
        if job is not None and job.total_layers is not None:
            return job.total_layers
        current = self.current
        if current is not None and current.key == job_key(job):
            return current.info.total_layers
        return None

    @property
    def thumbnail(self) -> Thumbnail | None:
        """Return the running job's picture, if its file had one."""
        current = self.current
        if current is None or current.key != job_key(self.coordinator.state.job):
            return None
        return current.info.thumbnail


async def async_load_insight(hass: HomeAssistant, coordinator: KobraCoordinator) -> JobInsight:
    """Create the printer's insight and read its storage (before the broker is connected)."""
    insight = JobInsight(hass, coordinator)
    await insight.async_load()
    return insight


@callback
def async_start_insight(entry: KobraConfigEntry, insight: JobInsight) -> None:
    """Start following the printer; the insight stops with the entry."""
    entry.async_on_unload(insight.async_start())
    entry.async_on_unload(insight.async_flush)


def get_insight(coordinator: KobraCoordinator) -> JobInsight:
    """Return the insight of a printer's entry."""
    return coordinator.config_entry.runtime_data.insight


def insight_diagnostics(coordinator: KobraCoordinator) -> dict[str, Any]:
    """Return the estimate, the job summary (picture size only) and the totals for diagnostics."""
    job_insight = get_insight(coordinator)
    remaining = job_insight.remaining
    current = job_insight.current
    thumb = current.info.thumbnail if current is not None else None
    return {
        "remaining_s": remaining.remaining_s if remaining is not None else None,
        "source": remaining.source.value if remaining is not None else None,
        "finish": job_insight.finish,
        "slicer": None
        if current is None
        else {
            "slicer": current.info.slicer,
            "print_time_s": current.info.print_time_s,
            "total_layers": current.info.total_layers,
            "thumbnail": None
            if thumb is None
            else f"{thumb.content_type}, {len(thumb.data)} bytes",
        },
        "totals": asdict(job_insight.totals),
    }
