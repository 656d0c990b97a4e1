"""Decode, validate and normalise the reports a Kobra 2 printer publishes."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import logging
import math
import re
from types import MappingProxyType
from typing import Any, Final

from .const import (
    MAX_JSON_DEPTH,
    NO_TASK_IDS,
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
from .exceptions import KobraParseError
from .limits import MAX_FILE_RECORDS, MAX_JSON_CONTAINERS, MAX_JSON_NODES, MAX_PAYLOAD_BYTES
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

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - Home Assistant always ships orjson
    _orjson = None  # type: ignore[assignment]

_LOGGER = logging.getLogger(__name__)

INTERNAL_ERROR_PREFIX: Final = "internal parser error"

_REPORT_PREFIX: Final = f"{TOPIC_PREFIX}/printer/public/".split("/")
_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_LIMIT: Final = 2**53
_MAX_TEXT: Final = 1024
# Epoch values at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_EPOCH_MS_THRESHOLD: Final = 100_000_000_000

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


# --- JSON decoding -------------------------------------------------------------------------


def decode_payload(payload: bytes | bytearray | memoryview | str) -> dict[str, Any]:
    """Decode a payload into a JSON object; raise KobraParseError for anything else."""
    if isinstance(payload, str):
        try:
            raw = payload.encode("utf-8")
        except UnicodeEncodeError:
            raise KobraParseError("payload is not valid UTF-8") from None
    elif isinstance(payload, bytes | bytearray | memoryview):
        raw = bytes(payload)
    else:
        raise KobraParseError(f"payload has unsupported type {type(payload).__name__}")
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise KobraParseError(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    # C firmware may count the string terminator into the payload length.
    raw = raw.rstrip(b"\x00")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if not raw.strip():
        raise KobraParseError("payload is empty")
    # Every value but the first in an array or object follows a comma, and every container
    # opens with a bracket: counting them (in C, brackets in strings too, so at most an
    # overestimate) refuses payloads of too many values before they are decoded at all.
    if raw.count(b",") > MAX_JSON_NODES:
        raise KobraParseError(f"payload holds more than {MAX_JSON_NODES} values")
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_CONTAINERS:
        raise KobraParseError(f"payload holds more than {MAX_JSON_CONTAINERS} objects and arrays")
    value = _loads(raw)
    if not isinstance(value, dict):
        raise KobraParseError(f"payload is a JSON {_kind(value)}, not an object")
    _check_tree(value)
    return value


def _loads(raw: bytes) -> Any:
    """Parse JSON bytes with orjson, or the standard library when orjson is missing."""
    if _orjson is not None:
        try:
            return _orjson.loads(raw)
        except _orjson.JSONDecodeError as err:
            raise KobraParseError(f"payload is not valid JSON: {_short(str(err))}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KobraParseError("payload is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except KobraParseError:
        raise
    except RecursionError:
        raise KobraParseError("payload nests too deeply") from None
    except ValueError as err:
        # JSONDecodeError, and the int/str digit limit for absurdly long numbers.
        raise KobraParseError(f"payload is not valid JSON: {_short(str(err))}") from None


def _reject_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which the standard library would otherwise accept."""
    raise KobraParseError(f"payload contains {name}, which is not JSON")


def _check_tree(root: dict[str, Any]) -> None:
    """Reject deep nesting, too many values, non-finite numbers and unencodable strings.

    Iterative, and it stops at MAX_JSON_NODES: a payload of many tiny values must not cost
    the event loop more than a real report does. Only containers go on the stack; scalars
    are checked where they are met (that halves the cost of a wide array).
    """
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(root, 1)]
    budget = MAX_JSON_NODES
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise KobraParseError(f"payload nests deeper than {MAX_JSON_DEPTH} levels")
        # Counted before the children are looked at, so a huge array is refused at once.
        budget -= len(node)
        if budget < 0:
            raise KobraParseError(f"payload holds more than {MAX_JSON_NODES} values")
        if isinstance(node, dict):
            for key in node:
                _check_text(key)
            children: Any = node.values()
        else:
            children = node
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    raise KobraParseError("payload contains a number out of range")
            elif kind is str:
                _check_text(child)


def _check_text(text: str) -> None:
    """Reject strings with lone surrogates, which the standard library lets through."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise KobraParseError("payload contains an invalid unicode escape") from None


def _kind(value: object) -> str:
    """Name the JSON kind of a decoded value for error messages."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def _short(text: str, limit: int = 200) -> str:
    """Truncate text for an error reason."""
    return text if len(text) <= limit else text[:limit] + "…"


# --- value coercion: wrong types and impossible values become None ------------------------


def _as_number(value: object) -> int | float | None:
    """Return a finite int or float from a JSON number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -_INT_LIMIT <= value <= _INT_LIMIT else None
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) <= _INT_LIMIT else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 32 or _NUMBER_RE.fullmatch(text) is None:
            return None
        try:
            number: float = float(text)
        except (ValueError, OverflowError):  # pragma: no cover - the regex admits only floats
            return None
        if not math.isfinite(number) or abs(number) > _INT_LIMIT:
            return None
        return int(number) if number.is_integer() and "." not in text else number
    return None


def _as_int(value: object, low: int | None = None, high: int | None = None) -> int | None:
    """Return an int within [low, high] (fractions truncated), else None."""
    number = _as_number(value)
    if number is None:
        return None
    result = int(number)
    if (low is not None and result < low) or (high is not None and result > high):
        return None
    return result


def _as_float(value: object, low: float | None = None, high: float | None = None) -> float | None:
    """Return a float within [low, high], else None."""
    number = _as_number(value)
    if number is None:
        return None
    result = float(number)
    if (low is not None and result < low) or (high is not None and result > high):
        return None
    return result


def _as_text(value: object, limit: int = _MAX_TEXT) -> str | None:
    """Return a string (an integer id is turned into one), else None."""
    if isinstance(value, str):
        return value if len(value) <= limit else None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT_LIMIT:
        return str(value)
    return None


def _as_id(value: object) -> str | None:
    """Return a task id; "", "0" and "-1" mean no particular job (NO_TASK_IDS)."""
    text = _as_text(value, 128)
    return None if text is None or text.strip() in NO_TASK_IDS else text


def _as_bool(value: object) -> bool | None:
    """Return a bool from true/false, 0/1 or their string forms, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    return None


def _as_temperature(value: object) -> float | None:
    """Return a temperature in °C within what a thermistor can report."""
    return _as_float(value, -100.0, 1000.0)


def _as_pct(value: object) -> int | None:
    """Return a percentage 0-100."""
    return _as_int(value, 0, 100)


def _as_epoch(value: object) -> datetime | None:
    """Return a UTC datetime from epoch seconds or milliseconds."""
    number = _as_float(value, low=1.0)
    if number is None:
        return None
    seconds = number / 1000 if number >= _EPOCH_MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _as_object(value: object, what: str) -> dict[str, Any]:
    """Return a JSON object given as an object or as a JSON-encoded string; {} when absent."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return decode_payload(value)
        except KobraParseError as err:
            raise KobraParseError(f"{what}: {err.reason}") from None
    raise KobraParseError(f"{what} is a JSON {_kind(value)}, not an object")


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
        nozzle=_as_temperature(data.get("curr_nozzle_temp")),
        bed=_as_temperature(data.get("curr_hotbed_temp")),
        target_nozzle=_as_temperature(data.get("target_nozzle_temp")),
        target_bed=_as_temperature(data.get("target_hotbed_temp")),
    )


def _fan(ctx: _Context) -> FanReport:
    """Build a FanReport."""
    return FanReport(**_base(ctx), fan_speed_pct=_as_pct(ctx.data.get("fan_speed_pct")))


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
    progress = _as_pct(data.get("progress"))
    downloading = phase is PrintPhase.DOWNLOADING
    total_layers = _as_int(data.get("total_layers"), low=1)
    curr_layer = _as_int(data.get("curr_layer"), low=0) if total_layers is not None else None
    job = PrintJob(
        taskid=_as_id(data.get("taskid")),
        localtask=_as_id(data.get("localtask")),
        filename=_as_text(data.get("filename")) or None,
        progress=None if downloading else progress,
        print_time_min=_as_int(data.get("print_time"), low=0),
        remain_time_min=_as_int(data.get("remain_time"), low=1),
        filament_used_mm=_as_float(data.get("supplies_usage"), low=0.0),
        curr_layer=curr_layer,
        total_layers=total_layers,
        download_progress=progress if downloading else None,
        message=envelope.msg if phase is PrintPhase.FAILED else "",
    )
    return PrintReport(**_base(ctx), phase=phase, raw_state=envelope.state, job=job)


def _settings(ctx: _Context) -> SettingsReport:
    """Build a SettingsReport; a setting missing from `settings` is looked up in `data`."""
    data = ctx.data
    settings = _as_object(data.get("settings"), "settings")

    def setting(key: str) -> Any:
        """Return a setting from `settings`, else from the top level of `data`."""
        return settings[key] if key in settings else data.get(key)

    mode = _as_int(setting("print_speed_mode"))
    return SettingsReport(
        **_base(ctx),
        taskid=_as_id(data.get("taskid")),
        nozzle=_as_temperature(data.get("curr_nozzle_temp")),
        bed=_as_temperature(data.get("curr_hotbed_temp")),
        target_nozzle=_as_temperature(setting("target_nozzle_temp")),
        target_bed=_as_temperature(setting("target_hotbed_temp")),
        fan_speed_pct=_as_pct(setting("fan_speed_pct")),
        speed_mode=_SPEED_MODES.get(mode) if mode is not None else None,
        z_offset=_as_float(setting("z_comp"), -50.0, 50.0),
        print_speed_pct=_as_int(setting("print_speed_pct"), 0, 1000),
    )


def _slice_param(ctx: _Context) -> SliceParamReport:
    """Build a SliceParamReport; `slice_param` may be an object or a JSON string."""
    params = _as_object(ctx.data.get("slice_param"), "slice_param")
    return SliceParamReport(
        **_base(ctx), taskid=_as_id(ctx.data.get("taskid")), params=MappingProxyType(params)
    )


def _join(folder: str, name: str) -> str:
    """Join a folder and a file name into a printer path."""
    return f"{folder}{name}" if folder.endswith("/") else f"{folder}/{name}"


def _file_list(ctx: _Context) -> FileListReport:
    """Build a FileListReport; records without a usable name are skipped."""
    data = ctx.data
    folder = _as_text(data.get("path"))
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
        name = _as_text(record.get("filename"))
        if not name or name in (".", ".."):
            continue
        entries.append(
            FileEntry(
                name=name,
                path=_join(folder, name),
                size=_as_int(record.get("size"), low=0),
                modified=_as_epoch(record.get("timestamp")),
                is_dir=_as_bool(record.get("is_dir")) or False,
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
        filename=_as_text(ctx.data.get("filename")) or None,
    )


def _firmware(ctx: _Context) -> FirmwareReport:
    """Build a FirmwareReport; the other keys of `data` are kept in extra."""
    data = ctx.data
    extra = {key: value for key, value in data.items() if key != "firmware_version"}
    return FirmwareReport(
        **_base(ctx),
        version=_as_text(data.get("firmware_version"), 64) or None,
        extra=MappingProxyType(extra),
    )


def _ota_progress(ctx: _Context) -> OtaProgressReport:
    """Build an OtaProgressReport from `progress` or `current_progress`."""
    progress = _as_pct(ctx.data.get("progress"))
    if progress is None:
        progress = _as_pct(ctx.data.get("current_progress"))
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
    msgid = _as_text(body.get("msgid"), 128) or ""
    state = _as_text(body.get("state"), 64)
    msg = body.get("msg")
    return Envelope(
        type=msg_type,
        action=action,
        msgid=msgid,
        state=state if isinstance(state, str) else "",
        timestamp=_as_int(body.get("timestamp"), low=0),
        code=_as_int(body.get("code")),
        msg=_short(msg, _MAX_TEXT) if isinstance(msg, str) else "",
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
