"""Sample G-code files as four slicers lay them out: summary comments and embedded thumbnails.

Written from the published comment formats, with made-up values; no slicer output is copied.
The thumbnails are generated here (PNG, QOI) or are a tiny JPEG made for these samples.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from enum import StrEnum
import struct
import textwrap
import zlib

# An 8x8 orange JPEG made for these samples.
_JPEG_8X8 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1R"
    "V19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAA"
    "AgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6"
    "Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREA"
    "AgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPE"
    "xcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCGiiivIPcP/9k="
)


class Slicer(StrEnum):
    """Slicers whose comment layout the samples follow."""

    PRUSA = "prusaslicer"
    ORCA = "orcaslicer"
    ANYCUBIC = "anycubic_slicer_next"
    CURA = "cura"


def png(width: int, height: int, rgb: tuple[int, int, int] = (40, 160, 220)) -> bytes:
    """Return a plain RGB PNG of one colour."""
    row = b"\x00" + bytes(rgb) * width
    body = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        """Return one PNG chunk with its CRC."""
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def qoi(width: int, height: int, rgba: tuple[int, int, int, int] = (90, 200, 60, 255)) -> bytes:
    """Return a QOI image of one colour (one literal pixel, then runs)."""
    out = bytearray(struct.pack(">4sIIBB", b"qoif", width, height, 4, 0))
    out += bytes((0xFF, *rgba))
    left = width * height - 1
    while left > 0:
        run = min(left, 62)
        out.append(0xC0 | (run - 1))
        left -= run
    return bytes(out + b"\x00" * 7 + b"\x01")


def jpeg() -> bytes:
    """Return the sample JPEG (8x8)."""
    return _JPEG_8X8


def _thumbnail_block(kind: str, width: int, height: int, data: bytes) -> list[str]:
    """Return the comment lines of one embedded thumbnail in the PrusaSlicer/OrcaSlicer layout."""
    tag = {"png": "thumbnail", "jpg": "thumbnail_JPG", "qoi": "thumbnail_QOI"}[kind]
    encoded = base64.b64encode(data).decode()
    lines = [f"; {tag} begin {width}x{height} {len(encoded)}"]
    lines += [f"; {part}" for part in textwrap.wrap(encoded, 78)]
    lines += [f"; {tag} end", ";"]
    return lines


def _thumbnails(kinds: Iterable[str]) -> list[str]:
    """Return thumbnail blocks: each kind small and large (PNG) or once."""
    lines: list[str] = []
    for kind in kinds:
        if kind == "png":
            lines += _thumbnail_block("png", 16, 16, png(16, 16, (200, 40, 40)))
            lines += _thumbnail_block("png", 48, 32, png(48, 32))
        elif kind == "jpg":
            lines += _thumbnail_block("jpg", 8, 8, jpeg())
        elif kind == "qoi":
            lines += _thumbnail_block("qoi", 24, 24, qoi(24, 24))
    return lines


def _body(layers: int, moves_per_layer: int = 20) -> list[str]:
    """Return some printable moves, layer by layer."""
    lines = ["G28", "M104 S210", "M140 S60", "M190 S60", "M109 S210", "G92 E0"]
    extruded = 0.0
    for layer in range(layers):
        lines += [
            ";LAYER_CHANGE",
            f";Z:{0.2 * (layer + 1):.1f}",
            f"G1 Z{0.2 * (layer + 1):.1f} F600",
        ]
        for move in range(moves_per_layer):
            extruded += 0.05
            lines.append(f"G1 X{50 + move % 10}.0 Y{50 + move // 10}.0 E{extruded:.4f} F1800")
    return [*lines, "M104 S0", "M140 S0", "M84"]


def _hms(seconds: int) -> str:
    """Return seconds in the slicers' "1h 2m 3s" notation."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes}m")
    return " ".join([*parts, f"{secs}s"])


def sample_gcode(
    slicer: Slicer,
    *,
    print_seconds: int = 3723,
    layers: int = 12,
    filament_mm: float = 1234.5,
    thumbnails: Iterable[str] = ("png",),
) -> bytes:
    """Return a small G-code file with the slicer's summary comments and thumbnails."""
    time_text = _hms(print_seconds)
    kinds = tuple(thumbnails)
    if slicer is Slicer.CURA:
        head = [
            ";FLAVOR:Marlin",
            f";TIME:{print_seconds}",
            f";Filament used: {filament_mm / 1000:.5f}m",
            ";Layer height: 0.2",
            ";MINX:40.0",
            ";MAXX:60.0",
            ";Generated with Cura_SteamEngine 5.7.0",
            *_thumbnails(kinds),
            f";LAYER_COUNT:{layers}",
        ]
        return "\n".join([*head, *_body(layers), ";End of Gcode", ""]).encode()
    if slicer is Slicer.PRUSA:
        head = [
            "; generated by PrusaSlicer 2.8.0 on 2026-11-30 at 10:00:00 UTC",
            ";",
            *_thumbnails(kinds),
        ]
        tail = [
            f"; filament used [mm] = {filament_mm:.2f}",
            f"; filament used [g] = {filament_mm * 0.00298:.2f}",
            f"; estimated printing time (normal mode) = {time_text}",
            f"; estimated printing time (silent mode) = {_hms(print_seconds + 300)}",
            "; prusaslicer_config = begin",
            "; layer_height = 0.2",
            "; prusaslicer_config = end",
        ]
        return "\n".join([*head, *_body(layers), *tail, ""]).encode()
    name = "OrcaSlicer 2.2.0" if slicer is Slicer.ORCA else "AnycubicSlicerNext 1.3.5"
    head = [
        "; HEADER_BLOCK_START",
        f"; generated by {name} on 2026-11-30 at 10:00:00",
        f"; total layer number: {layers}",
        f"; total filament length [mm] : {filament_mm:.2f}",
        f"; model printing time: {_hms(max(print_seconds - 120, 0))}; total estimated time: {time_text}",
        "; HEADER_BLOCK_END",
        "",
        "; THUMBNAIL_BLOCK_START",
        *_thumbnails(kinds),
        "; THUMBNAIL_BLOCK_END",
    ]
    tail = [
        f"; filament used [mm] = {filament_mm:.2f}",
        f"; estimated printing time (normal mode) = {time_text}",
    ]
    return "\n".join([*head, *_body(layers), *tail, ""]).encode()
