"""Safe JSON decoding of printer payloads, and coercion of their values (bad ones become None)."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
import json
import math
import re
from typing import Any, Final

from .const import MAX_JSON_DEPTH, NO_TASK_IDS
from .exceptions import KobraParseError
from .limits import MAX_JSON_CONTAINERS, MAX_JSON_NODES, MAX_PAYLOAD_BYTES

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - Home Assistant always ships orjson
    _orjson = None  # type: ignore[assignment]

_NUMBER_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_LIMIT: Final = 2**53
MAX_TEXT: Final = 1024
# Epoch values at or above this are milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_EPOCH_MS_THRESHOLD: Final = 100_000_000_000


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
            raise KobraParseError(f"payload is not valid JSON: {short(str(err))}") from None
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
        raise KobraParseError(f"payload is not valid JSON: {short(str(err))}") from None


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


def short(text: str, limit: int = 200) -> str:
    """Truncate text for an error reason."""
    return text if len(text) <= limit else text[:limit] + "…"


def as_number(value: object) -> int | float | None:
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


def as_int(value: object, low: int | None = None, high: int | None = None) -> int | None:
    """Return an int within [low, high] (fractions truncated), else None."""
    number = as_number(value)
    if number is None:
        return None
    result = int(number)
    if (low is not None and result < low) or (high is not None and result > high):
        return None
    return result


def as_float(value: object, low: float | None = None, high: float | None = None) -> float | None:
    """Return a float within [low, high], else None."""
    number = as_number(value)
    if number is None:
        return None
    result = float(number)
    if (low is not None and result < low) or (high is not None and result > high):
        return None
    return result


def as_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """Return a string (an integer id is turned into one), else None."""
    if isinstance(value, str):
        return value if len(value) <= limit else None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _INT_LIMIT:
        return str(value)
    return None


def as_id(value: object) -> str | None:
    """Return a task id; "", "0" and "-1" mean no particular job (NO_TASK_IDS)."""
    text = as_text(value, 128)
    return None if text is None or text.strip() in NO_TASK_IDS else text


def as_bool(value: object) -> bool | None:
    """Return a bool from true/false, 0/1 or their string forms, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    return None


def as_temperature(value: object) -> float | None:
    """Return a temperature in °C within what a thermistor can report."""
    return as_float(value, -100.0, 1000.0)


def as_pct(value: object) -> int | None:
    """Return a percentage 0-100."""
    return as_int(value, 0, 100)


def as_epoch(value: object) -> datetime | None:
    """Return a UTC datetime from epoch seconds or milliseconds."""
    number = as_float(value, low=1.0)
    if number is None:
        return None
    seconds = number / 1000 if number >= _EPOCH_MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def as_object(value: object, what: str) -> dict[str, Any]:
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
