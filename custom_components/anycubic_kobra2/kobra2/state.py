"""Printer state assembled from reports; the last report wins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
import time
from typing import Any

from .models import (
    ACTIVE_PHASES,
    FanReport,
    FileDeleteReport,
    FileEntry,
    FileListReport,
    FirmwareReport,
    MachineStatus,
    OnlineReport,
    OtaProgressReport,
    PrintJob,
    PrintPhase,
    PrintReport,
    Report,
    SettingsReport,
    SliceParamReport,
    SpeedMode,
    StatusReport,
    Storage,
    TemperatureReport,
)

# Outcomes of the last job; shown until the next job or other work starts.
FINAL_PHASES = frozenset({PrintPhase.STOPPED, PrintPhase.FINISHED, PrintPhase.FAILED})
# Every value print_state can take.
PRINT_STATES = ["idle", "busy", *(phase.value for phase in PrintPhase)]
# Phases in which the printer takes a pause, or a resume.
PAUSABLE_PHASES = frozenset({PrintPhase.PREHEATING, PrintPhase.PRINTING, PrintPhase.RESUMING})
RESUMABLE_PHASES = frozenset({PrintPhase.PAUSING, PrintPhase.PAUSED})
# Every speed mode as an option key (the lower-case enum name).
SPEED_MODE_OPTIONS = [mode.name.lower() for mode in SpeedMode]
# The task id commands carry when no job is known.
NO_TASK_ID = "0"

# PrintJob fields that a report without a value must not wipe out.
_JOB_FIELDS = tuple(
    name for name in PrintJob.__dataclass_fields__ if name not in ("download_progress", "message")
)


@dataclass(slots=True)
class PrinterState:
    """Everything known about one printer; None means not reported (yet)."""

    online: bool | None = None
    status: MachineStatus | None = None
    phase: PrintPhase | None = None
    job: PrintJob | None = None
    nozzle: float | None = None
    bed: float | None = None
    target_nozzle: float | None = None
    target_bed: float | None = None
    fan_speed_pct: int | None = None
    speed_mode: SpeedMode | None = None
    z_offset: float | None = None
    print_speed_pct: int | None = None
    firmware_version: str | None = None
    files: dict[Storage, tuple[FileEntry, ...]] = field(default_factory=dict)
    files_updated: dict[Storage, datetime] = field(default_factory=dict)
    ota: OtaProgressReport | None = None
    last_report: float = 0.0
    slice_params: Mapping[str, Any] | None = None
    slice_params_taskid: str | None = None

    @property
    def print_state(self) -> str | None:
        """Return one printer state out of the machine status and the job phase."""
        phase = self.phase
        if phase is not None and phase in ACTIVE_PHASES:
            return phase.value
        if self.status is MachineStatus.BUSY:
            return "busy"
        if phase is not None and phase in FINAL_PHASES:
            return phase.value
        if self.status is MachineStatus.FREE:
            return "idle"
        return None

    @property
    def job_active(self) -> bool:
        """Return whether a print job is running (including paused)."""
        return self.phase in ACTIVE_PHASES

    @property
    def can_pause(self) -> bool:
        """Return whether the job is in a phase the printer pauses from."""
        return self.phase in PAUSABLE_PHASES

    @property
    def can_resume(self) -> bool:
        """Return whether the job is paused (or pausing) and can resume."""
        return self.phase in RESUMABLE_PHASES

    @property
    def can_stop(self) -> bool:
        """Return whether there is a job that is not already stopping."""
        return self.job_active and self.phase is not PrintPhase.STOPPING

    @property
    def command_taskid(self) -> str:
        """Return the task id commands about the current job carry ("0" with no job)."""
        job = self.job
        return job.taskid if job is not None and job.taskid else NO_TASK_ID

    @property
    def speed_mode_option(self) -> str | None:
        """Return the speed mode as an option key."""
        return self.speed_mode.name.lower() if self.speed_mode is not None else None

    def apply(self, report: Report, *, now: Callable[[], float] = time.monotonic) -> bool:
        """Merge one report into the state; return True when a value changed.

        `last_report` and `files_updated` are refreshed by every matching report but do not
        count as a change on their own.
        """
        self.last_report = now()
        changed = False
        if isinstance(report, OnlineReport):
            return self._set("online", report.online)
        # Anything the printer publishes proves it is online.
        changed |= self._set("online", True)
        if isinstance(report, StatusReport):
            changed |= self._set("status", report.status)
        elif isinstance(report, TemperatureReport):
            changed |= self._set_known(
                nozzle=report.nozzle,
                bed=report.bed,
                target_nozzle=report.target_nozzle,
                target_bed=report.target_bed,
            )
        elif isinstance(report, FanReport):
            changed |= self._set_known(fan_speed_pct=report.fan_speed_pct)
        elif isinstance(report, PrintReport):
            changed |= self._apply_print(report)
        elif isinstance(report, SettingsReport):
            changed |= self._set_known(
                nozzle=report.nozzle,
                bed=report.bed,
                target_nozzle=report.target_nozzle,
                target_bed=report.target_bed,
                fan_speed_pct=report.fan_speed_pct,
                speed_mode=report.speed_mode,
                z_offset=report.z_offset,
                print_speed_pct=report.print_speed_pct,
            )
        elif isinstance(report, SliceParamReport):
            changed |= self._set("slice_params", dict(report.params))
            changed |= self._set("slice_params_taskid", report.taskid)
        elif isinstance(report, FileListReport):
            changed |= self._apply_file_list(report)
        elif isinstance(report, FileDeleteReport):
            changed |= self._apply_file_delete(report)
        elif isinstance(report, FirmwareReport):
            changed |= self._set_known(firmware_version=report.version)
        elif isinstance(report, OtaProgressReport):
            previous = self.ota
            if previous is None or (previous.state, previous.progress) != (
                report.state,
                report.progress,
            ):
                self.ota = report
                changed = True
        return changed

    def _set(self, name: str, value: object) -> bool:
        """Set one attribute; return True when its value changed."""
        if getattr(self, name) == value:
            return False
        setattr(self, name, value)
        return True

    def _set_known(self, **values: object) -> bool:
        """Set the attributes whose new value is not None."""
        changed = False
        for name, value in values.items():
            if value is not None:
                changed |= self._set(name, value)
        return changed

    def _refused_command(self, report: PrintReport) -> bool:
        """Return whether a failed answer is about a refused command, not the running job.

        While a job runs, the printer answers a command it will not carry out (a second
        start, a pause it cannot make) with state "failed"; only a start or stop report of
        the running job itself (or one that names no job) means that job failed.
        """
        job = self.job
        if report.phase is not PrintPhase.FAILED or self.phase not in ACTIVE_PHASES or job is None:
            return False
        taskid = report.job.taskid
        other_job = taskid is not None and taskid != job.taskid
        return other_job or report.envelope.action not in ("start", "stop")

    def _apply_print(self, report: PrintReport) -> bool:
        """Update phase and job; fields a report leaves out keep their last value."""
        if self._refused_command(report):
            return False
        changed = False
        if report.phase is not None:
            changed |= self._set("phase", report.phase)
        new, old = report.job, self.job
        if old is not None and self._same_job(new, old):
            merged: dict[str, Any] = {}
            for name in _JOB_FIELDS:
                value = getattr(new, name)
                merged[name] = getattr(old, name) if value is None else value
            job = replace(
                old, **merged, message=new.message, download_progress=new.download_progress
            )
        elif new == PrintJob() and report.phase is None:
            return changed
        else:
            job = new
        # The download percentage only means something while downloading.
        if self.phase is PrintPhase.DOWNLOADING:
            if job.download_progress is None and old is not None and old.taskid == job.taskid:
                job = replace(job, download_progress=old.download_progress)
        elif job.download_progress is not None:
            job = replace(job, download_progress=None)
        return self._set("job", job) or changed

    @staticmethod
    def _same_job(new: PrintJob, old: PrintJob) -> bool:
        """Return whether a report's job is the known one.

        Without a task id ("0"/"-1": no particular job) the local task id decides: a job
        started on the touchscreen has one of its own, so it is never merged into the last
        job started from Home Assistant (whose task id commands would then carry).
        """
        if new.taskid is not None:
            return new.taskid == old.taskid
        return new.localtask is None or new.localtask == old.localtask

    def _apply_file_list(self, report: FileListReport) -> bool:
        """Replace the listing of one storage and note when it was read."""
        self.files_updated[report.storage] = datetime.now(UTC)
        if self.files.get(report.storage) == report.files:
            return False
        self.files[report.storage] = report.files
        return True

    def _apply_file_delete(self, report: FileDeleteReport) -> bool:
        """Drop a deleted file from the cached listing."""
        if not report.success or report.filename is None:
            return False
        current = self.files.get(report.storage)
        if current is None:
            return False
        name = report.filename
        kept = tuple(entry for entry in current if name not in (entry.name, entry.path))
        if len(kept) == len(current):
            return False
        self.files[report.storage] = kept
        return True
