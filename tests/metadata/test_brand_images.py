"""The brand images: every variant present, PNG in the brands rules' sizes, transparent, trimmed, redrawable."""

from __future__ import annotations

from pathlib import Path
import struct

import pytest

from scripts import brand

BRAND = Path(__file__).parents[2] / "custom_components" / "anycubic_kobra2" / "brand"
NAMES = [
    f"{theme}{kind}{scale}.png"
    for theme in ("", "dark_")
    for kind in ("icon", "logo")
    for scale in ("", "@2x")
]


def header(path: Path) -> tuple[int, int, int, int]:
    """Return (width, height, bit depth, colour type) from a PNG's IHDR, read without the drawing code."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG file"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour_type


def alpha(path: Path) -> tuple[int, int, list[bytes]]:
    """Return (width, height, alpha rows) of a PNG."""
    width, height, rgba = brand.decode_png(path.read_bytes())
    rows = [rgba[y * width * 4 + 3 : (y + 1) * width * 4 : 4] for y in range(height)]
    return width, height, rows


def test_every_variant_and_nothing_else() -> None:
    """Icon and logo, light and dark, normal and @2x: the eight names Home Assistant serves."""
    assert sorted(path.name for path in BRAND.iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_png_rgba(name: str) -> None:
    """Each file is an 8-bit RGBA PNG (colour type 6), so it can be transparent."""
    _, _, depth, colour_type = header(BRAND / name)
    assert (depth, colour_type) == (8, 6)


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_sizes(prefix: str) -> None:
    """Icon 256 x 256 and 512 x 512; logo landscape, shortest side 128-256 and @2x exactly twice it."""
    assert header(BRAND / f"{prefix}icon.png")[:2] == (256, 256)
    assert header(BRAND / f"{prefix}icon@2x.png")[:2] == (512, 512)
    width, height = header(BRAND / f"{prefix}logo.png")[:2]
    assert width > height
    assert 128 <= height <= 256
    # Each width is trimmed to its own ink, so the @2x one may be a pixel off twice the normal one.
    width2, height2 = header(BRAND / f"{prefix}logo@2x.png")[:2]
    assert height2 == 2 * height
    assert abs(width2 - 2 * width) <= 1


@pytest.mark.parametrize("name", NAMES)
def test_transparent_and_trimmed(name: str) -> None:
    """A transparent background (the corners are clear) and ink on every edge (no empty margin)."""
    width, _, rows = alpha(BRAND / name)
    assert rows[0][0] == 0
    assert rows[-1][-1] == 0
    assert any(rows[0]), "empty top row"
    assert any(rows[-1]), "empty bottom row"
    assert any(row[0] for row in rows), "empty left column"
    assert any(row[width - 1] for row in rows), "empty right column"


@pytest.mark.parametrize("kind", ["icon", "logo"])
def test_dark_variant_differs(kind: str) -> None:
    """The dark variant is drawn for dark backgrounds (a light frame), not a copy of the light one."""
    light = brand.decode_png((BRAND / f"{kind}.png").read_bytes())
    dark = brand.decode_png((BRAND / f"dark_{kind}.png").read_bytes())
    assert light[:2] == dark[:2]
    assert light[2] != dark[2]


def test_committed_images_are_what_the_script_draws() -> None:
    """scripts/brand.py redraws exactly the committed pixels (so the artwork can be changed and redrawn)."""
    assert brand.main(["--check"]) == 0
