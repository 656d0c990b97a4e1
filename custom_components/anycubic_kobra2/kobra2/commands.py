"""Commands the integration sends to a Kobra 2, and how replies are matched to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import math
import re
import secrets
import time
from types import MappingProxyType
from typing import Any, Final
import uuid

from .const import (
    DEFAULT_MODEL_LIMITS,
    NO_TASK_IDS,
    TYPE_FILE,
    TYPE_OTA,
    TYPE_PRINT,
    TYPE_STATUS,
    TYPE_VIDEO,
    command_base,
)
from .models import (
    PrintReport,
    Report,
    SettingsReport,
    SliceParamReport,
    SpeedMode,
    Storage,
    TopicStyle,
    UnknownReport,
)

__all__ = [
    "Command",
    "cancel_print",
    "cloud_recommend_list",
    "delete_file",
    "get_slice_param",
    "list_files",
    "local_task_trans",
    "new_msgid",
    "new_taskid",
    "now_ms",
    "ota_update",
    "pause_print",
    "query_print",
    "query_settings",
    "query_status",
    "report_version",
    "resume_print",
    "start_capture",
    "start_local_print",
    "start_url_print",
    "start_usb_print",
    "stop_print",
    "update_settings",
]

# Keys whose values must never show up in a repr or a log line.
_SECRET_KEYS: Final = frozenset({"tmpSecretId", "tmpSecretKey", "sessionToken"})
_MD5_RE: Final = re.compile(r"[0-9a-fA-F]{32}")

# Replies that arrive under another action than the command's own (protocol doc §6).
_REPLY_ACTIONS: Final[dict[tuple[str, str], frozenset[str]]] = {
    (TYPE_STATUS, "query"): frozenset({"query", "workReport"}),
    (TYPE_PRINT, "query"): frozenset({"query", "start", "pause", "resume", "stop", "done"}),
    (TYPE_PRINT, "cancel"): frozenset({"cancel", "stop"}),
}


def new_msgid() -> str:
    """Return a fresh message id (UUID v4 string)."""
    return str(uuid.uuid4())


def now_ms() -> int:
    """Return the current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def new_taskid() -> str:
    """Return a fresh task id in the firmware's style: a decimal string up to 10^6."""
    return str(secrets.randbelow(1_000_000) + 1)


@dataclass(frozen=True, slots=True, repr=False)
class Command:
    """One command message; msgid and timestamp are fresh for every instance."""

    type: str
    action: str
    data: Mapping[str, Any] | None = None
    msgid: str = field(default_factory=new_msgid)
    timestamp: int = field(default_factory=now_ms)

    def __post_init__(self) -> None:
        """Freeze the data mapping so a sent command cannot change afterwards."""
        if self.data is not None:
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def __repr__(self) -> str:
        """Show the command without secret values."""
        data = None
        if self.data is not None:
            data = {k: ("***" if k in _SECRET_KEYS else v) for k, v in self.data.items()}
        return (
            f"Command(type={self.type!r}, action={self.action!r}, data={data!r}, "
            f"msgid={self.msgid!r}, timestamp={self.timestamp!r})"
        )

    @property
    def taskid(self) -> str | None:
        """Return the task id the command carries, if any."""
        value = self.data.get("taskid") if self.data is not None else None
        return value if isinstance(value, str) else None

    def topic(self, model_id: str, printer_id: str, style: TopicStyle = TopicStyle.TYPE) -> str:
        """Return the topic to publish on for the given firmware topic style."""
        base = command_base(model_id, printer_id)
        if style is TopicStyle.TYPE_ACTION:
            return f"{base}/{self.type}/{self.action}"
        if style is TopicStyle.ACTION:
            return f"{base}/{self.action}"
        return f"{base}/{self.type}"

    def payload(self) -> bytes:
        """Serialise the command like the known clients do, escaping every slash."""
        body = {
            "type": self.type,
            "action": self.action,
            "msgid": self.msgid,
            "timestamp": self.timestamp,
            "data": dict(self.data) if self.data is not None else None,
        }
        text = json.dumps(body, separators=(",", ":"), allow_nan=False)
        # "/" only occurs inside JSON strings, where "\/" is a valid escape for it.
        return text.replace("/", "\\/").encode("ascii")

    def matches(self, report: Report) -> bool:
        """Return True when report is the printer's answer to this command."""
        envelope = report.envelope
        if envelope.type != self.type:
            return False
        if envelope.msgid and envelope.msgid == self.msgid:
            return True
        if envelope.action not in _REPLY_ACTIONS.get((self.type, self.action), {self.action}):
            return False
        mine, theirs = self.taskid, _report_taskid(report)
        if mine is None or theirs is None or mine in NO_TASK_IDS or theirs in NO_TASK_IDS:
            return True
        return mine == theirs


def _report_taskid(report: Report) -> str | None:
    """Return the task id a report carries, if any."""
    if isinstance(report, PrintReport):
        return report.job.taskid
    if isinstance(report, SettingsReport | SliceParamReport):
        return report.taskid
    if isinstance(report, UnknownReport) and isinstance(report.data, dict):
        value = report.data.get("taskid")
        return value if isinstance(value, str) else None
    return None


# --- validation helpers --------------------------------------------------------------------


def _require_text(name: str, value: str) -> str:
    """Reject empty or non-string arguments."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _require_number(name: str, value: float, low: float, high: float) -> float:
    """Reject booleans, non-finite numbers and values outside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return float(value)


def _check_download(url: str, md5: str, size: int) -> None:
    """Validate what the printer needs to download a file."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ValueError("url must be an http:// or https:// URL")
    if not isinstance(md5, str) or _MD5_RE.fullmatch(md5) is None:
        raise ValueError("md5 must be 32 hexadecimal characters")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("size must be a non-negative integer")


def _taskid(taskid: str | None) -> str:
    """Return the given task id or a new one."""
    return new_taskid() if taskid is None else _require_text("taskid", taskid)


# --- command builders ----------------------------------------------------------------------


def list_files(storage: Storage | str, path: str = "/") -> Command:
    """List a folder of internal storage or the USB stick."""
    action = "listLocal" if Storage(storage) is Storage.LOCAL else "listUdisk"
    return Command(TYPE_FILE, action, {"path": _require_text("path", path)})


def delete_file(storage: Storage | str, path: str) -> Command:
    """Delete a file given by its full printer path (folder and name)."""
    folder, _, name = _require_text("path", path).rpartition("/")
    _require_text("file name", name)
    action = "deleteLocal" if Storage(storage) is Storage.LOCAL else "deleteUdisk"
    return Command(TYPE_FILE, action, {"path": folder or "/", "filename": name})


def query_status() -> Command:
    """Ask whether the machine is free or busy."""
    return Command(TYPE_STATUS, "query")


def query_print(taskid: str = "0") -> Command:
    """Ask for the state of the current print job."""
    return Command(TYPE_PRINT, "query", {"taskid": _require_text("taskid", taskid)})


def _start_file_print(filename: str, folder: str, taskid: str | None, filetype: int) -> Command:
    """Start printing a file that is already on the printer."""
    return Command(
        TYPE_PRINT,
        "start",
        {
            "filename": _require_text("filename", filename),
            "filepath": _require_text("folder", folder),
            "taskid": _taskid(taskid),
            "task_mode": 1,
            "filetype": filetype,
        },
    )


def start_local_print(filename: str, folder: str = "/", taskid: str | None = None) -> Command:
    """Start printing a file from internal storage."""
    return _start_file_print(filename, folder, taskid, 1)


def start_usb_print(filename: str, folder: str = "/", taskid: str | None = None) -> Command:
    """Start printing a file from the USB stick."""
    return _start_file_print(filename, folder, taskid, 2)


def start_url_print(
    url: str, md5: str, size: int, filename: str, taskid: str | None = None
) -> Command:
    """Make the printer download a file over HTTP(S) and print it."""
    _check_download(url, md5, size)
    return Command(
        TYPE_PRINT,
        "start",
        {
            "url": url,
            "md5": md5.lower(),
            "filesize": size,
            "filename": _require_text("filename", filename),
            "filetype": 0,
            "taskid": _taskid(taskid),
            "task_mode": 1,
        },
    )


def pause_print(taskid: str) -> Command:
    """Pause the running job."""
    return Command(TYPE_PRINT, "pause", {"taskid": _require_text("taskid", taskid)})


def resume_print(taskid: str) -> Command:
    """Resume the paused job."""
    return Command(TYPE_PRINT, "resume", {"taskid": _require_text("taskid", taskid)})


def stop_print(taskid: str) -> Command:
    """Stop (cancel) the running job, as the touchscreen's stop does."""
    return Command(TYPE_PRINT, "stop", {"taskid": _require_text("taskid", taskid)})


def cancel_print(taskid: str) -> Command:
    """Send the documented but unverified `cancel` action; prefer stop_print."""
    return Command(TYPE_PRINT, "cancel", {"taskid": _require_text("taskid", taskid)})


def update_settings(
    taskid: str = "0",
    *,
    target_nozzle: float | None = None,
    target_bed: float | None = None,
    fan_speed_pct: int | None = None,
    speed_mode: SpeedMode | int | None = None,
    z_offset: float | None = None,
) -> Command:
    """Change live settings; 0 is a valid value (heater or fan off)."""
    limits = DEFAULT_MODEL_LIMITS
    settings: dict[str, Any] = {}
    if target_nozzle is not None:
        value = _require_number("target_nozzle", target_nozzle, 0, limits.max_nozzle_temp)
        settings["target_nozzle_temp"] = round(value)
    if target_bed is not None:
        value = _require_number("target_bed", target_bed, 0, limits.max_bed_temp)
        settings["target_hotbed_temp"] = round(value)
    if fan_speed_pct is not None:
        value = _require_number("fan_speed_pct", fan_speed_pct, 0, limits.max_fan_pct)
        settings["fan_speed_pct"] = round(value)
    if speed_mode is not None:
        if isinstance(speed_mode, bool):
            raise TypeError("speed_mode must be a SpeedMode")
        settings["print_speed_mode"] = int(SpeedMode(speed_mode))
    if z_offset is not None:
        value = _require_number("z_offset", z_offset, limits.min_z_offset, limits.max_z_offset)
        settings["z_comp"] = round(value, 2)
    if not settings:
        raise ValueError("no setting given; use query_settings() to read them")
    return Command(
        TYPE_PRINT, "update", {"taskid": _require_text("taskid", taskid), "settings": settings}
    )


def query_settings() -> Command:
    """Ask for the settings snapshot (`print`/`update` without settings)."""
    return Command(TYPE_PRINT, "update", {"taskid": "0"})


def get_slice_param(taskid: str) -> Command:
    """Ask for the slicer metadata of a job."""
    return Command(TYPE_PRINT, "getSliceParam", {"taskid": _require_text("taskid", taskid)})


def local_task_trans(taskid: str, localtask: str) -> Command:
    """Link a job started on the touchscreen to a task id."""
    return Command(
        TYPE_PRINT,
        "localtasktrans",
        {
            "taskid": _require_text("taskid", taskid),
            "localtask": _require_text("localtask", localtask),
        },
    )


def report_version() -> Command:
    """Ask the printer to report its firmware version."""
    return Command(TYPE_OTA, "reportVersion")


def full_state_queries() -> tuple[Command, ...]:
    """Return the queries that together make the printer report everything it can tell."""
    return (query_status(), query_print(), query_settings(), report_version())


def ota_update(
    url: str, md5: str, version: str, size: int, name: str, *, force: bool = False
) -> Command:
    """Announce a firmware image for the printer to download and install."""
    _check_download(url, md5, size)
    return Command(
        TYPE_OTA,
        "update",
        {
            "force_update": bool(force),
            "firmware_md5": md5.lower(),
            "firmware_version": _require_text("version", version),
            "firmware_name": _require_text("name", name),
            "firmware_url": url,
            "firmware_size": size,
        },
    )


def start_capture(region: str, secret_id: str, secret_key: str, session_token: str) -> Command:
    """Start the camera upload with temporary cloud-storage credentials (cloud only)."""
    return Command(
        TYPE_VIDEO,
        "startCapture",
        {
            "region": region,
            "tmpSecretId": secret_id,
            "tmpSecretKey": secret_key,
            "sessionToken": session_token,
        },
    )


def cloud_recommend_list() -> Command:
    """Ask for the cloud's recommended files (meaningless without the cloud)."""
    return Command(TYPE_FILE, "cloudRecommendList")
