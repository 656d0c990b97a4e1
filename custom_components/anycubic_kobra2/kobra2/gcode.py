"""What a slicer wrote into a G-code file: time estimate, layer count, filament and thumbnail.

The scanner is fed the file in chunks while it is hashed anyway, keeps at most HEAD_LIMIT
bytes of the start and TAIL_LIMIT bytes of the end, and never holds the whole file.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
import re
from typing import Final

from .qoi import qoi_to_png

# Thumbnails sit in the first few hundred kB; slicer summaries in the first or last 64 kB.
HEAD_LIMIT: Final = 4 * 1024 * 1024
TAIL_LIMIT: Final = 64 * 1024
# Largest decoded thumbnail kept: bigger ones are skipped (a job picture needs no more).
THUMBNAIL_LIMIT: Final = 512 * 1024
# Longest line looked at; a longer one cannot be a slicer comment.
_LINE_LIMIT: Final = 4096

_THUMB_BEGIN = re.compile(
    r"^;\s*(thumbnail(?:_(JPG|QOI|PNG))?|png|jpg|qoi)\s+begin\s+(\d+)\s*x\s*(\d+)(?:\s+(\d+))?",
    re.IGNORECASE,
)
_THUMB_END = re.compile(r"^;\s*(?:thumbnail(?:_(?:JPG|QOI|PNG))?|png|jpg|qoi)\s+end", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])", re.IGNORECASE)
_GENERATED = re.compile(
    r"^;\s*generated\s+(?:by|with)\s+([A-Za-z][\w .+-]*?)(?:\s+on\s|\s*$)", re.IGNORECASE
)
# PrusaSlicer writes no layer count, but marks every layer; counting them is a C-speed scan.
_LAYER_MARK: Final = b"\n;LAYER_CHANGE"
_MAGIC: Final = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/qoi": b"qoif",
}
# Preference when several kinds are embedded: what browsers show, smallest loss first.
_PREFERENCE: Final = ("image/png", "image/jpeg", "image/qoi")


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """One embedded picture, ready to serve."""

    content_type: str
    width: int
    height: int
    data: bytes


@dataclass(frozen=True, slots=True)
class GcodeInfo:
    """The slicer's summary of a job; None where the file does not say."""

    slicer: str | None = None
    print_time_s: float | None = None
    total_layers: int | None = None
    filament_mm: float | None = None
    thumbnail: Thumbnail | None = None


def parse_duration(text: str) -> float | None:
    """Return seconds of "1d 2h 3m 4s" style text (None when there is no such part)."""
    factors = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    parts = _DURATION.findall(text)
    if not parts:
        return None
    return sum(float(value) * factors[unit.lower()] for value, unit in parts)


def _number(text: str) -> float | None:
    """Return the first number in text."""
    match = re.search(r"-?\d+(?:\.\d+)?", text)
    return float(match.group()) if match else None


class GcodeScanner:
    """Reads slicer comments from a G-code stream chunk by chunk, at bounded cost."""

    def __init__(self) -> None:
        """Start with nothing read."""
        self._head_left = HEAD_LIMIT
        self._partial = b""
        self._tail = bytearray()
        self._values: dict[str, float] = {}
        self._slicer: str | None = None
        self._thumbs: list[Thumbnail] = []
        self._thumb: tuple[str, int, int] | None = None
        self._thumb_lines: list[str] = []
        self._thumb_size = 0
        self._layer_marks = 0
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the file."""
        # A mark split between two chunks is found in the carried-over end of the last one.
        joined = self._carry + chunk
        self._layer_marks += joined.count(_LAYER_MARK)
        self._carry = joined[-(len(_LAYER_MARK) - 1) :]
        self._tail += chunk
        if len(self._tail) > TAIL_LIMIT:
            del self._tail[: len(self._tail) - TAIL_LIMIT]
        if self._head_left <= 0:
            return
        part = chunk[: self._head_left]
        self._head_left -= len(part)
        lines = (self._partial + part).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > _LINE_LIMIT:
            self._partial = b""
        for line in lines:
            if line.startswith(b";"):
                self._head_line(line)

    def result(self) -> GcodeInfo:
        """Return what the file says, head first, its end filling the gaps."""
        if self._head_left > 0 and self._partial.startswith(b";"):
            self._head_line(self._partial)
        self._partial = b""
        head = dict(self._values)
        self._values = {}
        # The end of the file: PrusaSlicer and OrcaSlicer repeat their summary there.
        for line in bytes(self._tail).split(b"\n"):
            if line.startswith(b";") and len(line) <= _LINE_LIMIT:
                self._summary(line.decode("utf-8", "replace"))
        values = {**self._values, **head}
        layers = values.get("layers") or float(self._layer_marks)
        return GcodeInfo(
            slicer=self._slicer,
            print_time_s=values.get("time"),
            total_layers=int(layers) if layers is not None and layers > 0 else None,
            filament_mm=values.get("filament_mm"),
            thumbnail=self._best_thumbnail(),
        )

    def _head_line(self, raw: bytes) -> None:
        """Handle one comment line of the head."""
        if len(raw) > _LINE_LIMIT:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if self._thumb is not None:
            if _THUMB_END.match(line):
                self._close_thumbnail()
            else:
                text = line.lstrip(";").strip()
                self._thumb_size += len(text)
                if self._thumb_size > THUMBNAIL_LIMIT * 4 // 3 + 4:
                    self._thumb, self._thumb_lines = None, []  # too big: skip it
                else:
                    self._thumb_lines.append(text)
            return
        if match := _THUMB_BEGIN.match(line):
            kind = (match.group(2) or match.group(1)).upper()
            content_type = {"JPG": "image/jpeg", "QOI": "image/qoi"}.get(kind, "image/png")
            self._thumb = (content_type, int(match.group(3)), int(match.group(4)))
            self._thumb_lines, self._thumb_size = [], 0
            return
        if self._slicer is None and (match := _GENERATED.match(line)):
            self._slicer = match.group(1).strip()
        self._summary(line)

    def _summary(self, line: str) -> None:
        """Note time, layers and filament from one comment, in any of the slicers' spellings."""
        body = line.lstrip(";").strip()
        key, sep, value = body.partition(":") if ":" in body.split("=")[0] else body.partition("=")
        if not sep:
            return
        key, value = key.strip().lower(), value.strip()
        if key == "time":  # Cura: ;TIME:3723 (seconds)
            self._put("time", _number(value))
        elif key in {"layer_count", "total layer number", "total layers count"}:
            self._put("layers", _number(value))
        elif key.startswith("estimated printing time") and "silent" not in key:
            self._put("time", parse_duration(value))
        elif key == "model printing time":
            # OrcaSlicer and Anycubic Slicer Next: "model printing time: 1h; total estimated time: 1h 5m".
            total = value.partition("total estimated time:")[2]
            self._put("time", parse_duration(total or value))
        elif key in {"filament used [mm]", "total filament length [mm]"}:
            self._put("filament_mm", _number(value.split(",")[0]))
        elif key == "filament used" and value.lower().endswith("m"):  # Cura: 1.234m
            metres = _number(value)
            self._put("filament_mm", metres * 1000 if metres is not None else None)

    def _put(self, key: str, value: float | None) -> None:
        """Keep the first plausible value of a key."""
        if value is not None and value >= 0 and key not in self._values:
            self._values[key] = value

    def _close_thumbnail(self) -> None:
        """Decode the finished thumbnail block and keep it if it is what it claims to be."""
        assert self._thumb is not None
        content_type, width, height = self._thumb
        self._thumb = None
        try:
            data = base64.b64decode("".join(self._thumb_lines), validate=True)
        except (binascii.Error, ValueError):
            return
        finally:
            self._thumb_lines = []
        if len(data) > THUMBNAIL_LIMIT or not data.startswith(_MAGIC[content_type]):
            return
        self._thumbs.append(Thumbnail(content_type, width, height, data))

    def _best_thumbnail(self) -> Thumbnail | None:
        """Return the largest picture of the most preferred kind, QOI turned into PNG."""
        for content_type in _PREFERENCE:
            found = [thumb for thumb in self._thumbs if thumb.content_type == content_type]
            if not found:
                continue
            best = max(found, key=lambda thumb: thumb.width * thumb.height)
            if content_type != "image/qoi":
                return best
            png = qoi_to_png(best.data, THUMBNAIL_LIMIT)
            if png is not None:
                return Thumbnail("image/png", best.width, best.height, png)
        return None


def scan_bytes(content: bytes) -> GcodeInfo:
    """Return the slicer summary of a whole file held in memory (tests, small files)."""
    scanner = GcodeScanner()
    scanner.feed(content)
    return scanner.result()
