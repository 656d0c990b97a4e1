"""Turn what a Kobra 2 publishes (topic and payload) into typed reports; decoding is in decode.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
import re
from types import MappingProxyType
from typing import Any, Final

from .const import (
    REPORT_SUFFIX,
    TOPIC_PREFIX,
    TYPE_FAN,
    TYPE_FILE,
    TYPE_LAST_WILL,
    TYPE_OTA,
    TYPE_PRINT,
    TYPE_STATUS,
    TYPE_TEMPERATURE,
    valid_model_id,
    valid_printer_id,
)
from .decode import (
    MAX_TEXT,
    as_bool,
    as_epoch,
    as_float,
    as_id,
    as_int,
    as_object,
    as_pct,
    as_temperature,
    as_text,
    decode_payload,
    short,
)
from .exceptions import KobraParseError
from .limits import MAX_FILE_RECORDS
from .models import (
    Envelope,
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
    UnknownReport,
)
from .paths import join_path

_LOGGER = logging.getLogger(__name__)

INTERNAL_ERROR_PREFIX: Final = "internal parser error"

_REPORT_PREFIX: Final = f"{TOPIC_PREFIX}/printer/public/".split("/")
_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")

_PHASES: Final[dict[str, PrintPhase]] = {
    **{phase.value: phase for phase in PrintPhase},
    "stoped": PrintPhase.STOPPED,
    "resumed": PrintPhase.PRINTING,
}
_DOWNLOAD_PHASES: Final = frozenset({PrintPhase.DOWNLOADING, PrintPhase.CHECKING})
_SPEED_MODES: Final[dict[int, SpeedMode]] = {mode.value: mode for mode in SpeedMode}
_STATUSES: Final[dict[str, MachineStatus]] = {status.value: status for status in MachineStatus}
_STORAGE_BY_ACTION: Final[dict[str, Storage]] = {
    "listLocal": Storage.LOCAL,
    "listUdisk": Storage.USB,
    "deleteLocal": Storage.LOCAL,
    "deleteUdisk": Storage.USB,
}


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """Model id, printer id and message type taken from a report topic."""

    model_id: str
    printer_id: str
    type: str


def parse_topic(topic: str) -> TopicInfo | None:
    """Split `…/printer/public/<model>/<id>/<type>/report`; None for any other topic."""
    if not isinstance(topic, str) or len(topic) > 512:
        return None
    parts = topic.split("/")
    if len(parts) != len(_REPORT_PREFIX) + 3 or parts[:5] != _REPORT_PREFIX[:5]:
        return None
    model_id, printer_id, msg_type, suffix = parts[5:]
    if (
        suffix != REPORT_SUFFIX
        or not valid_model_id(model_id)
        or not valid_printer_id(printer_id)
        or _NAME_RE.fullmatch(msg_type) is None
    ):
        return None
    return TopicInfo(model_id, printer_id.lower(), msg_type)


# --- report builders ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What every report builder needs."""

    info: TopicInfo
    envelope: Envelope
    data: dict[str, Any]
    raw_data: Any


def _base(ctx: _Context) -> dict[str, Any]:
    """Return the fields shared by every report."""
    return {
        "envelope": ctx.envelope,
        "printer_id": ctx.info.printer_id,
        "model_id": ctx.info.model_id,
    }


def _online(ctx: _Context) -> OnlineReport:
    """Build an OnlineReport; any state other than `online` counts as offline."""
    return OnlineReport(**_base(ctx), online=ctx.envelope.state.lower() == "online")


def _status(ctx: _Context) -> StatusReport:
    """Build a StatusReport."""
    state = ctx.envelope.state
    return StatusReport(**_base(ctx), status=_STATUSES.get(state.lower()), raw_state=state)


def _temperature(ctx: _Context) -> TemperatureReport:
    """Build a TemperatureReport."""
    data = ctx.data
    return TemperatureReport(
        **_base(ctx),
        nozzle=as_temperature(data.get("curr_nozzle_temp")),
        bed=as_temperature(data.get("curr_hotbed_temp")),
        target_nozzle=as_temperature(data.get("target_nozzle_temp")),
        target_bed=as_temperature(data.get("target_hotbed_temp")),
    )


def _fan(ctx: _Context) -> FanReport:
    """Build a FanReport."""
    return FanReport(**_base(ctx), fan_speed_pct=as_pct(ctx.data.get("fan_speed_pct")))


def _print_or_settings(ctx: _Context) -> Report:
    """Build a PrintReport; state `updated` is a settings snapshot (other clients' dialect)."""
    if ctx.envelope.state.lower() == "updated":
        return _settings(ctx)
    return _print(ctx)


def _update(ctx: _Context) -> Report:
    """Build a SettingsReport; with a download state it is download progress of the job."""
    if _PHASES.get(ctx.envelope.state.lower()) in _DOWNLOAD_PHASES:
        return _print(ctx)
    return _settings(ctx)


def _print(ctx: _Context) -> PrintReport:
    """Build a PrintReport, normalising the firmware's state spellings and layer quirks."""
    envelope, data = ctx.envelope, ctx.data
    phase = _PHASES.get(envelope.state.lower())
    if phase is None and envelope.action == "done":
        phase = PrintPhase.FINISHED
    progress = as_pct(data.get("progress"))
    downloading = phase is PrintPhase.DOWNLOADING
    total_layers = as_int(data.get("total_layers"), low=1)
    curr_layer = as_int(data.get("curr_layer"), low=0) if total_layers is not None else None
    job = PrintJob(
        taskid=as_id(data.get("taskid")),
        localtask=as_id(data.get("localtask")),
        filename=as_text(data.get("filename")) or None,
        progress=None if downloading else progress,
        print_time_min=as_int(data.get("print_time"), low=0),
        remain_time_min=as_int(data.get("remain_time"), low=1),
        filament_used_mm=as_float(data.get("supplies_usage"), low=0.0),
        curr_layer=curr_layer,
        total_layers=total_layers,
        download_progress=progress if downloading else None,
        message=envelope.msg if phase is PrintPhase.FAILED else "",
    )
    return PrintReport(**_base(ctx), phase=phase, raw_state=envelope.state, job=job)


def _settings(ctx: _Context) -> SettingsReport:
    """Build a SettingsReport; a setting missing from `settings` is looked up in `data`."""
    data = ctx.data
    settings = as_object(data.get("settings"), "settings")

    def setting(key: str) -> Any:
        """Return a setting from `settings`, else from the top level of `data`."""
        return settings[key] if key in settings else data.get(key)

    mode = as_int(setting("print_speed_mode"))
    return SettingsReport(
        **_base(ctx),
        taskid=as_id(data.get("taskid")),
        nozzle=as_temperature(data.get("curr_nozzle_temp")),
        bed=as_temperature(data.get("curr_hotbed_temp")),
        target_nozzle=as_temperature(setting("target_nozzle_temp")),
        target_bed=as_temperature(setting("target_hotbed_temp")),
        fan_speed_pct=as_pct(setting("fan_speed_pct")),
        speed_mode=_SPEED_MODES.get(mode) if mode is not None else None,
        z_offset=as_float(setting("z_comp"), -50.0, 50.0),
        print_speed_pct=as_int(setting("print_speed_pct"), 0, 1000),
    )


def _slice_param(ctx: _Context) -> SliceParamReport:
    """Build a SliceParamReport; `slice_param` may be an object or a JSON string."""
    params = as_object(ctx.data.get("slice_param"), "slice_param")
    return SliceParamReport(
        **_base(ctx), taskid=as_id(ctx.data.get("taskid")), params=MappingProxyType(params)
    )


def _file_list(ctx: _Context) -> FileListReport:
    """Build a FileListReport; records without a usable name are skipped."""
    data = ctx.data
    folder = as_text(data.get("path"))
    if not folder or not folder.startswith("/"):
        folder = "/"
    records = data.get("records")
    entries: list[FileEntry] = []
    dropped = 0
    for record in records if isinstance(records, list) else ():
        if not isinstance(record, dict):
            continue
        if len(entries) >= MAX_FILE_RECORDS:
            dropped += 1
            continue
        name = as_text(record.get("filename"))
        if not name or name in (".", ".."):
            continue
        entries.append(
            FileEntry(
                name=name,
                path=join_path(folder, name),
                size=as_int(record.get("size"), low=0),
                modified=as_epoch(record.get("timestamp")),
                is_dir=as_bool(record.get("is_dir")) or False,
            )
        )
    if dropped:
        _LOGGER.debug(
            "File listing holds %d more files than the %d kept", dropped, MAX_FILE_RECORDS
        )
    return FileListReport(
        **_base(ctx),
        storage=_STORAGE_BY_ACTION[ctx.envelope.action],
        files=tuple(entries),
        dropped=dropped,
    )


def _file_delete(ctx: _Context) -> FileDeleteReport:
    """Build a FileDeleteReport; success is state success/done without an error code."""
    envelope = ctx.envelope
    success = envelope.state.lower() in ("success", "done") and envelope.code in (None, 200)
    return FileDeleteReport(
        **_base(ctx),
        storage=_STORAGE_BY_ACTION[envelope.action],
        success=success,
        filename=as_text(ctx.data.get("filename")) or None,
    )


def _firmware(ctx: _Context) -> FirmwareReport:
    """Build a FirmwareReport; the other keys of `data` are kept in extra."""
    data = ctx.data
    extra = {key: value for key, value in data.items() if key != "firmware_version"}
    return FirmwareReport(
        **_base(ctx),
        version=as_text(data.get("firmware_version"), 64) or None,
        extra=MappingProxyType(extra),
    )


def _ota_progress(ctx: _Context) -> OtaProgressReport:
    """Build an OtaProgressReport from `progress` or `current_progress`."""
    progress = as_pct(ctx.data.get("progress"))
    if progress is None:
        progress = as_pct(ctx.data.get("current_progress"))
    return OtaProgressReport(**_base(ctx), state=ctx.envelope.state, progress=progress)


def _unknown(ctx: _Context) -> UnknownReport:
    """Keep a report this package does not model, for diagnostics."""
    return UnknownReport(**_base(ctx), data=ctx.raw_data)


_Builder = Callable[[_Context], Report]

_BUILDERS: Final[dict[tuple[str, str], _Builder]] = {
    (TYPE_TEMPERATURE, "auto"): _temperature,
    (TYPE_TEMPERATURE, "report"): _temperature,
    (TYPE_FAN, "auto"): _fan,
    (TYPE_FAN, "report"): _fan,
    (TYPE_STATUS, "workReport"): _status,
    (TYPE_STATUS, "query"): _status,
    (TYPE_PRINT, "update"): _update,
    (TYPE_PRINT, "getSliceParam"): _slice_param,
    (TYPE_PRINT, "start"): _print_or_settings,
    **{
        (TYPE_PRINT, action): _print
        for action in ("pause", "resume", "stop", "cancel", "done", "query")
    },
    (TYPE_FILE, "listLocal"): _file_list,
    (TYPE_FILE, "listUdisk"): _file_list,
    (TYPE_FILE, "deleteLocal"): _file_delete,
    (TYPE_FILE, "deleteUdisk"): _file_delete,
    (TYPE_OTA, "reportVersion"): _firmware,
    (TYPE_OTA, "update"): _ota_progress,
}


def _envelope(body: Mapping[str, Any], info: TopicInfo) -> Envelope:
    """Read the envelope; the topic supplies the type when the payload lacks one."""
    msg_type = body.get("type", info.type)
    if not isinstance(msg_type, str) or _NAME_RE.fullmatch(msg_type) is None:
        raise KobraParseError("report has no valid type")
    action = body.get("action")
    if action is None and msg_type == TYPE_LAST_WILL:
        # The will message is configured once at connect time; tolerate a bare one.
        action = ""
    if not isinstance(action, str) or (action and _NAME_RE.fullmatch(action) is None):
        raise KobraParseError("report has no valid action")
    if not action and msg_type != TYPE_LAST_WILL:
        raise KobraParseError("report has no valid action")
    msgid = as_text(body.get("msgid"), 128) or ""
    state = as_text(body.get("state"), 64)
    msg = body.get("msg")
    return Envelope(
        type=msg_type,
        action=action,
        msgid=msgid,
        state=state if isinstance(state, str) else "",
        timestamp=as_int(body.get("timestamp"), low=0),
        code=as_int(body.get("code")),
        msg=short(msg, MAX_TEXT) if isinstance(msg, str) else "",
    )


def parse_report(topic: str, payload: bytes | bytearray | memoryview | str) -> Report:
    """Parse one report; raise KobraParseError (and nothing else) when it is unusable."""
    info = parse_topic(topic)
    if info is None:
        raise KobraParseError("topic is not a Kobra 2 report topic")
    body = decode_payload(payload)
    try:
        envelope = _envelope(body, info)
        raw_data = body.get("data")
        ctx = _Context(info, envelope, raw_data if isinstance(raw_data, dict) else {}, raw_data)
        if envelope.type == TYPE_LAST_WILL:
            return _online(ctx)
        return _BUILDERS.get((envelope.type, envelope.action), _unknown)(ctx)
    except KobraParseError:
        raise
    except Exception as err:
        # Safety net: a parser bug must cost one message, never the listener task.
        raise KobraParseError(f"{INTERNAL_ERROR_PREFIX}: {type(err).__name__}") from err
