r"""JSON writer that formats payloads the way the printer's cJSON library does.

cJSON_Print writes one member a line, tab-indented, with a tab after each colon: the layout
of the only raw Kobra 2 payload that kept its formatting (reference §3.1, §5.1). Whether the
firmware writes "/" as "\/" is not known (the captures hold no slash; the clients escape it in
their commands, §3.2): the simulator escapes by default, the less forgiving form for a parser,
and writes plain slashes on request, so tests feed a parser both forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
from typing import Any

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _string(value: str, slashes: bool) -> str:
    """Quote a string like cJSON: short escapes, u00XX escapes for other controls, raw UTF-8."""
    out = ['"']
    for char in value:
        if char == "/" and slashes:
            out.append("\\/")
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: float) -> str:
    """Format a number like cJSON: whole doubles as integers, else %.15g (or %.17g)."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value.is_integer() and abs(value) < 2**31:
        return str(int(value))
    text = f"{value:1.15g}"
    if float(text) != value:
        text = f"{value:1.17g}"
    return text


def _write(value: Any, pretty: bool, slashes: bool, depth: int, out: list[str]) -> None:
    """Append the JSON text of one value; depth counts enclosing containers."""
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value, slashes))
    elif isinstance(value, Mapping):
        _write_object(value, pretty, slashes, depth + 1, out)
    elif isinstance(value, Sequence):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(", " if pretty else ",")
            _write(item, pretty, slashes, depth + 1, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


def _write_object(
    value: Mapping[str, Any], pretty: bool, slashes: bool, depth: int, out: list[str]
) -> None:
    """Append an object; in pretty mode one member a line, tab-indented, a tab after ':'."""
    out.append("{\n" if pretty else "{")
    items = list(value.items())
    for index, (key, item) in enumerate(items):
        if pretty:
            out.append("\t" * depth)
        out.append(_string(str(key), slashes))
        out.append(":\t" if pretty else ":")
        _write(item, pretty, slashes, depth, out)
        if index < len(items) - 1:
            out.append(",")
        if pretty:
            out.append("\n")
    if pretty:
        out.append("\t" * (depth - 1))
    out.append("}")


def dumps(value: Any, *, pretty: bool = True, escape_slashes: bool = False) -> bytes:
    """Serialise value to UTF-8 JSON in cJSON's tab-formatted style (or compact)."""
    out: list[str] = []
    _write(value, pretty, escape_slashes, 0, out)
    return "".join(out).encode()
