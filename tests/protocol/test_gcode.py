"""Slicer summaries and thumbnails read from G-code, for each slicer's comment layout."""

from __future__ import annotations

import base64
from pathlib import Path
import zlib

import pytest

from custom_components.anycubic_kobra2.kobra2 import gcode
from custom_components.anycubic_kobra2.kobra2.gcode import (
    GcodeScanner,
    parse_duration,
    scan_bytes,
)
from custom_components.anycubic_kobra2.kobra2.qoi import decode_qoi, encode_png, qoi_to_png
from kobra2_sim.samples import Slicer, png, qoi, sample_gcode

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gcode"

# file: (slicer, seconds, layers, content type, width, height)
EXPECTED = {
    "prusaslicer_png_qoi.gcode": ("PrusaSlicer 2.8.0", 5025, 12, "image/png", 48, 32),
    "prusaslicer_qoi_only.gcode": ("PrusaSlicer 2.8.0", 600, 5, "image/png", 24, 24),
    "orcaslicer_png.gcode": ("OrcaSlicer 2.2.0", 4203, 30, "image/png", 48, 32),
    "anycubic_slicer_next_jpg.gcode": ("AnycubicSlicerNext 1.3.5", 7384, 25, "image/jpeg", 8, 8),
    "cura_png.gcode": ("Cura_SteamEngine 5.7.0", 3723, 18, "image/png", 48, 32),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_summary_and_thumbnail(name: str) -> None:
    """Each slicer's time, layers, filament and best picture are read from its layout."""
    slicer, seconds, layers, content_type, width, height = EXPECTED[name]
    info = scan_bytes((FIXTURES / name).read_bytes())
    assert info.slicer == slicer
    assert info.print_time_s == seconds
    assert info.total_layers == layers
    assert info.filament_mm == pytest.approx(1234.5)
    assert info.thumbnail is not None
    assert (info.thumbnail.content_type, info.thumbnail.width, info.thumbnail.height) == (
        content_type,
        width,
        height,
    )
    magic = b"\x89PNG" if content_type == "image/png" else b"\xff\xd8\xff"
    assert info.thumbnail.data.startswith(magic)


def test_file_without_thumbnail() -> None:
    """A file with a summary but no picture gives the summary and no thumbnail."""
    info = scan_bytes((FIXTURES / "cura_plain.gcode").read_bytes())
    assert (info.print_time_s, info.total_layers, info.thumbnail) == (1800, 10, None)


def test_plain_gcode_has_nothing() -> None:
    """G-code without slicer comments yields an empty summary."""
    info = scan_bytes(b"G28\nG1 X10 Y10\n; just a note\nM84\n")
    assert info == gcode.GcodeInfo()


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_chunking_does_not_matter(chunk: int) -> None:
    """Fed in any chunk size, the scanner reads the same (lines and marks split across chunks)."""
    content = (FIXTURES / "prusaslicer_png_qoi.gcode").read_bytes()
    scanner = GcodeScanner()
    for start in range(0, len(content), chunk):
        scanner.feed(content[start : start + chunk])
    assert scanner.result() == scan_bytes(content)


def test_png_preferred_and_largest_chosen() -> None:
    """PNG wins over JPG and QOI; of several, the largest."""
    content = sample_gcode(Slicer.ORCA, thumbnails=("jpg", "qoi", "png"))
    thumb = scan_bytes(content).thumbnail
    assert thumb is not None
    assert (thumb.content_type, thumb.width) == ("image/png", 48)


def test_qoi_only_becomes_png_with_same_pixels() -> None:
    """A QOI-only file gives a PNG whose pixels are the QOI's."""
    thumb = scan_bytes(sample_gcode(Slicer.PRUSA, thumbnails=("qoi",))).thumbnail
    assert thumb is not None
    assert thumb.content_type == "image/png"
    decoded = decode_qoi(qoi(24, 24))
    assert decoded is not None
    assert thumb.data == encode_png(*decoded)
    # The PNG's scanlines hold exactly the QOI's RGBA pixels.
    idat_start = thumb.data.index(b"IDAT") + 4
    raw = zlib.decompressobj().decompress(thumb.data[idat_start:])
    assert raw[1:5] == bytes((90, 200, 60, 255))


def test_jpg_only() -> None:
    """A JPG-only file gives the JPG."""
    thumb = scan_bytes(sample_gcode(Slicer.PRUSA, thumbnails=("jpg",))).thumbnail
    assert thumb is not None
    assert thumb.content_type == "image/jpeg"


def test_oversized_and_broken_thumbnails_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A picture over the cap, bad base64 or a wrong magic is skipped, not an error."""
    monkeypatch.setattr(gcode, "THUMBNAIL_LIMIT", 100)
    big = base64.b64encode(png(64, 64)).decode()
    assert len(png(64, 64)) > 100
    lines = [f"; thumbnail begin 64x64 {len(big)}", f"; {big}", "; thumbnail end"]
    lines += ["; thumbnail begin 8x8 10", "; !!!not base64!!!", "; thumbnail end"]
    fake = base64.b64encode(b"GIF89a....").decode()
    lines += ["; thumbnail begin 8x8 10", f"; {fake}", "; thumbnail end", ";TIME:60"]
    info = scan_bytes("\n".join(lines).encode())
    assert info.thumbnail is None
    assert info.print_time_s == 60


def test_head_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comments past the head limit are not read; the tail still is."""
    monkeypatch.setattr(gcode, "HEAD_LIMIT", 1000)
    content = b"G1 X1\n" * 400 + b";LAYER_COUNT:9\n" + b"G1 X1\n" * 20000
    content += b"; estimated printing time (normal mode) = 2h 3s\n"
    info = scan_bytes(content)
    assert info.total_layers is None
    assert info.print_time_s == 7203


def test_tail_keeps_only_the_end() -> None:
    """The scanner holds at most TAIL_LIMIT bytes of the end however long the file is."""
    scanner = GcodeScanner()
    for _ in range(200):
        scanner.feed(b"G1 X1 Y1 E0.1\n" * 1000)
    assert len(scanner._tail) <= gcode.TAIL_LIMIT  # noqa: SLF001


def test_silent_mode_time_ignored() -> None:
    """PrusaSlicer's silent-mode time is not the estimate."""
    info = scan_bytes(b"; estimated printing time (silent mode) = 9h\n")
    assert info.print_time_s is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1d 2h 3m 4s", 93784), ("45m 10s", 2710), ("12s", 12), ("soon", None)],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    """The slicers' duration notation."""
    assert parse_duration(text) == seconds


def test_invalid_qoi_rejected() -> None:
    """Truncated or oversized QOI data gives no PNG."""
    good = qoi(4, 4)
    assert qoi_to_png(good, 10_000) is not None
    assert qoi_to_png(good[:16], 10_000) is None
    assert (
        qoi_to_png(b"qoif" + (100_000).to_bytes(4, "big") * 2 + b"\x04\x00" + good[14:], 10**6)
        is None
    )
    assert qoi_to_png(good, 10) is None
