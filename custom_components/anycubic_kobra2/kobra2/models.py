"""Typed models of the reports a Kobra 2 printer publishes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Storage(StrEnum):
    """Where a file lives on the printer."""

    LOCAL = "local"
    USB = "usb"


class SpeedMode(IntEnum):
    """Print speed preset (`print_speed_mode`)."""

    SLOW = 1
    NORMAL = 2
    FAST = 3


class TopicStyle(StrEnum):
    """How the command topic ends after the printer id (the firmware decides what works)."""

    TYPE = "type"
    TYPE_ACTION = "type_action"
    ACTION = "action"


class PrintPhase(StrEnum):
    """Phase of a print job, from the `state` of `print` reports."""

    DOWNLOADING = "downloading"
    CHECKING = "checking"
    PREHEATING = "preheating"
    PRINTING = "printing"
    PAUSING = "pausing"
    PAUSED = "paused"
    RESUMING = "resuming"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"


class MachineStatus(StrEnum):
    """Whether the machine is idle or working (`status`/`workReport`)."""

    FREE = "free"
    BUSY = "busy"


ACTIVE_PHASES = frozenset(
    {
        PrintPhase.DOWNLOADING,
        PrintPhase.CHECKING,
        PrintPhase.PREHEATING,
        PrintPhase.PRINTING,
        PrintPhase.PAUSING,
        PrintPhase.PAUSED,
        PrintPhase.RESUMING,
        PrintPhase.STOPPING,
    }
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """Fields every report carries around its data."""

    type: str
    action: str
    msgid: str = ""
    state: str = ""
    timestamp: int | None = None
    code: int | None = None
    msg: str = ""


@dataclass(frozen=True, slots=True)
class PrintJob:
    """What a print report says about the current job; None means not reported or not usable."""

    taskid: str | None = None
    localtask: str | None = None
    filename: str | None = None
    progress: int | None = None
    print_time_min: int | None = None
    remain_time_min: int | None = None
    filament_used_mm: float | None = None
    curr_layer: int | None = None
    total_layers: int | None = None
    download_progress: int | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file or folder of a listing."""

    name: str
    path: str
    size: int | None
    modified: datetime | None
    is_dir: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseReport:
    """Fields shared by every report."""

    envelope: Envelope
    printer_id: str
    model_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineReport(BaseReport):
    """`lastWill`/`onlineReport`: the printer came online or dropped off."""

    online: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport(BaseReport):
    """`status`/`workReport`: machine free or busy."""

    status: MachineStatus | None
    raw_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TemperatureReport(BaseReport):
    """`tempature`/`auto` (or `report`): current and target temperatures in °C."""

    nozzle: float | None
    bed: float | None
    target_nozzle: float | None
    target_bed: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FanReport(BaseReport):
    """`fan`/`auto`: part-cooling fan speed."""

    fan_speed_pct: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintReport(BaseReport):
    """`print` start/pause/resume/stop/done/query: job phase and progress."""

    phase: PrintPhase | None
    raw_state: str
    job: PrintJob


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingsReport(BaseReport):
    """`print`/`update`: snapshot of the live print settings."""

    taskid: str | None
    nozzle: float | None
    bed: float | None
    target_nozzle: float | None
    target_bed: float | None
    fan_speed_pct: int | None
    speed_mode: SpeedMode | None
    z_offset: float | None
    print_speed_pct: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SliceParamReport(BaseReport):
    """`print`/`getSliceParam`: slicer metadata of a job."""

    taskid: str | None
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileListReport(BaseReport):
    """`file`/`listLocal` or `listUdisk`: a directory listing."""

    storage: Storage
    files: tuple[FileEntry, ...]
    # Records beyond MAX_FILE_RECORDS that were left out.
    dropped: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FileDeleteReport(BaseReport):
    """`file`/`deleteLocal` or `deleteUdisk`: outcome of a deletion."""

    storage: Storage
    success: bool
    filename: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmwareReport(BaseReport):
    """`ota`/`reportVersion`: installed firmware version."""

    version: str | None
    extra: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaProgressReport(BaseReport):
    """`ota`/`update`: progress of a firmware update."""

    state: str
    progress: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownReport(BaseReport):
    """A well-formed report of a type or action this package does not model."""

    data: Any


Report = (
    OnlineReport
    | StatusReport
    | TemperatureReport
    | FanReport
    | PrintReport
    | SettingsReport
    | SliceParamReport
    | FileListReport
    | FileDeleteReport
    | FirmwareReport
    | OtaProgressReport
    | UnknownReport
)
