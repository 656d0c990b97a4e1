"""Draw the integration's brand images (icon and logo, light and dark, normal and @2x) as PNG files.

The artwork is original: a printer frame with a gantry and a hot end whose nozzle prints the top layer of an
isometric cube, and the word KOBRA 2 in a round stroke lettering. It is drawn with the standard library only
(polygons filled on a 4x supersampled grid, written with zlib), so anyone can redraw it:

    python scripts/brand.py            # write custom_components/anycubic_kobra2/brand/*.png
    python scripts/brand.py --check    # exit 1 when a committed image differs from what this draws
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import itertools
import math
from pathlib import Path
import struct
import sys
import zlib

REPO = Path(__file__).resolve().parent.parent
BRAND_DIR = REPO / "custom_components" / "anycubic_kobra2" / "brand"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Sub-pixels per pixel along each axis: enough for smooth edges at 256 px.
SUPERSAMPLE = 4
# The brands rules: icon 256 x 256 (@2x 512); logo with its shortest side 128 to 256 (@2x 256 to 512), the
# largest preferred.
ICON_SIZE = 256
LOGO_HEIGHT = 256

Point = tuple[float, float]
Rgba = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours of one variant (frame for light or for dark backgrounds; the cube is the same in both)."""

    frame: Rgba
    cube_top: Rgba = (255, 178, 107, 255)
    cube_left: Rgba = (255, 138, 42, 255)
    cube_right: Rgba = (224, 106, 16, 255)
    layer_left: Rgba = (204, 100, 20, 255)
    layer_right: Rgba = (176, 80, 6, 255)
    nozzle: Rgba = (232, 72, 28, 255)


LIGHT = Theme(frame=(43, 58, 66, 255))
DARK = Theme(frame=(227, 233, 236, 255))


class Canvas:
    """A supersampled paletted raster: shapes are filled in painting order, then averaged down to RGBA."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.sub_w = width * SUPERSAMPLE
        self.sub_h = height * SUPERSAMPLE
        self.index = bytearray(self.sub_w * self.sub_h)
        self.palette: list[Rgba] = [(0, 0, 0, 0)]

    def _colour(self, rgba: Rgba) -> int:
        """Return the palette index of a colour, adding it when new."""
        if rgba not in self.palette:
            self.palette.append(rgba)
        return self.palette.index(rgba)

    def fill(self, contours: Iterable[Sequence[Point]], rgba: Rgba) -> None:
        """Fill polygons given in pixel coordinates (several contours: even-odd, so inner ones are holes)."""
        colour = bytes([self._colour(rgba)])
        crossings: dict[int, list[float]] = defaultdict(list)
        scale = SUPERSAMPLE
        for contour in contours:
            for (x0, y0), (x1, y1) in zip(contour, [*contour[1:], contour[0]], strict=True):
                if y0 == y1:
                    continue
                sy0, sy1 = y0 * scale, y1 * scale
                lo, hi = min(sy0, sy1), max(sy0, sy1)
                # Rows whose centre lies in [lo, hi): each edge is counted once per row.
                first = max(0, math.ceil(lo - 0.5))
                last = min(self.sub_h - 1, math.ceil(hi - 0.5) - 1)
                slope = (x1 - x0) * scale / (sy1 - sy0)
                for row in range(first, last + 1):
                    crossings[row].append(x0 * scale + (row + 0.5 - sy0) * slope)
        for row, xs in crossings.items():
            xs.sort()
            base = row * self.sub_w
            for left, right in zip(xs[::2], xs[1::2], strict=False):
                start = max(0, math.ceil(left - 0.5))
                end = min(self.sub_w, math.ceil(right - 0.5))
                if end > start:
                    self.index[base + start : base + end] = colour * (end - start)

    def pixels(self) -> bytes:
        """Return the image as 8-bit RGBA rows, each pixel the average of its sub-pixels."""
        scale = SUPERSAMPLE
        count = scale * scale
        cache: dict[bytes, bytes] = {}
        out = bytearray()
        for y in range(self.height):
            rows = [
                self.index[(y * scale + k) * self.sub_w : (y * scale + k + 1) * self.sub_w]
                for k in range(scale)
            ]
            for x in range(self.width):
                key = b"".join(row[x * scale : (x + 1) * scale] for row in rows)
                pixel = cache.get(key)
                if pixel is None:
                    pixel = cache[key] = self._average(key, count)
                out += pixel
        return bytes(out)

    def _average(self, key: bytes, count: int) -> bytes:
        """Average sub-pixels with premultiplied alpha (transparent ones add no colour)."""
        red = green = blue = alpha = 0
        for idx in key:
            r, g, b, a = self.palette[idx]
            red += r * a
            green += g * a
            blue += b * a
            alpha += a
        if alpha == 0:
            return b"\0\0\0\0"
        return bytes(
            (
                round(red / alpha),
                round(green / alpha),
                round(blue / alpha),
                round(alpha / count),
            )
        )


# --------------------------------------------------------------------------- shapes (unit coordinates)


def rounded_rect(x0: float, y0: float, x1: float, y1: float, radius: float) -> list[Point]:
    """Return a rounded rectangle's outline, clockwise (y grows downwards)."""
    points: list[Point] = []
    corners = ((x1 - radius, y0 + radius, -90), (x1 - radius, y1 - radius, 0))
    corners += ((x0 + radius, y1 - radius, 90), (x0 + radius, y0 + radius, 180))
    for cx, cy, start in corners:
        for step in range(9):
            angle = math.radians(start + step * 90 / 8)
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def capsule(a: Point, b: Point, width: float) -> list[Point]:
    """Return the outline of a stroke from a to b with round ends."""
    (ax, ay), (bx, by) = a, b
    heading = math.atan2(by - ay, bx - ax)
    radius = width / 2
    points: list[Point] = []
    for cx, cy, start in ((bx, by, heading - math.pi / 2), (ax, ay, heading + math.pi / 2)):
        for step in range(13):
            angle = start + step * math.pi / 12
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def arc(centre: Point, radii: Point, start: float, end: float) -> list[Point]:
    """Return points along an elliptic arc, angles in degrees counter-clockwise from +x (y grows down)."""
    (cx, cy), (rx, ry) = centre, radii
    steps = max(2, math.ceil(abs(end - start) / 10))
    return [
        (
            cx + rx * math.cos(math.radians(start + (end - start) * i / steps)),
            cy - ry * math.sin(math.radians(start + (end - start) * i / steps)),
        )
        for i in range(steps + 1)
    ]


# Letters as stroke paths in a box one unit high (y down); each entry is (paths, advance width).
LETTERS: dict[str, tuple[list[list[Point]], float]] = {
    "K": ([[(0, 0), (0, 1)], [(0.7, 0), (0.02, 0.62)], [(0.26, 0.4), (0.74, 1)]], 0.74),
    "O": ([arc((0.4, 0.5), (0.4, 0.5), 0, 360)], 0.8),
    "B": (
        [
            [(0, 0), (0, 1)],
            [(0, 0), (0.45, 0), *arc((0.45, 0.235), (0.235, 0.235), 90, -90), (0, 0.47)],
            [(0, 0.47), (0.5, 0.47), *arc((0.5, 0.735), (0.265, 0.265), 90, -90), (0, 1)],
        ],
        0.765,
    ),
    "R": (
        [
            [(0, 0), (0, 1)],
            [(0, 0), (0.45, 0), *arc((0.45, 0.25), (0.25, 0.25), 90, -90), (0, 0.5)],
            [(0.36, 0.5), (0.74, 1)],
        ],
        0.74,
    ),
    "A": ([[(0, 1), (0.4, 0), (0.8, 1)], [(0.16, 0.64), (0.64, 0.64)]], 0.8),
    "2": ([[*arc((0.37, 0.3), (0.37, 0.3), 165, -40), (0, 1), (0.78, 1)]], 0.78),
    " ": ([], 0.2),
}
WORD = "KOBRA 2"
STROKE = 0.16
TRACKING = 0.26


def draw_icon(canvas: Canvas, theme: Theme, left: float, size: float) -> None:
    """Draw the printer (frame, gantry, hot end) printing a layered cube, in a size x size square."""

    def at(points: Iterable[Point]) -> list[Point]:
        return [(left + x * size, y * size) for x, y in points]

    # The frame and its bed are one shape with a window in it.
    canvas.fill(
        [at(rounded_rect(0, 0, 1, 1, 0.12)), at(rounded_rect(0.11, 0.13, 0.89, 0.86, 0.035))],
        theme.frame,
    )
    canvas.fill([at(rounded_rect(0.1, 0.255, 0.9, 0.315, 0.02))], theme.frame)
    canvas.fill([at(rounded_rect(0.37, 0.19, 0.63, 0.37, 0.04))], theme.frame)
    canvas.fill([at(rounded_rect(0.445, 0.36, 0.555, 0.425, 0.01))], theme.frame)
    canvas.fill([at([(0.455, 0.42), (0.545, 0.42), (0.5, 0.49)])], theme.nozzle)

    # An isometric cube standing on the bed, its sides showing the printed layers.
    half, height, bottom = 0.23, 0.17, 0.86
    # The top face's back corner: the front corner is half lower, and the front edge height below that.
    top = bottom - height - half
    mid_y = top + half / 2
    front_y = top + half
    canvas.fill(
        [at([(0.5, top), (0.5 + half, mid_y), (0.5, front_y), (0.5 - half, mid_y)])],
        theme.cube_top,
    )
    left_face = [(0.5 - half, mid_y), (0.5, front_y), (0.5, bottom), (0.5 - half, mid_y + height)]
    right_face = [(0.5, front_y), (0.5 + half, mid_y), (0.5 + half, mid_y + height), (0.5, bottom)]
    canvas.fill([at(left_face)], theme.cube_left)
    canvas.fill([at(right_face)], theme.cube_right)
    layer = 0.014
    for k in range(1, 4):
        dy = height * k / 4
        canvas.fill(
            [
                at(
                    [
                        (0.5 - half, mid_y + dy - layer / 2),
                        (0.5, front_y + dy - layer / 2),
                        (0.5, front_y + dy + layer / 2),
                        (0.5 - half, mid_y + dy + layer / 2),
                    ]
                )
            ],
            theme.layer_left,
        )
        canvas.fill(
            [
                at(
                    [
                        (0.5, front_y + dy - layer / 2),
                        (0.5 + half, mid_y + dy - layer / 2),
                        (0.5 + half, mid_y + dy + layer / 2),
                        (0.5, front_y + dy + layer / 2),
                    ]
                )
            ],
            theme.layer_right,
        )


def word_width() -> float:
    """Return the width of the lettering, in units of the letter height, from the first to the last ink."""
    advance = sum(LETTERS[ch][1] for ch in WORD) + TRACKING * (len(WORD) - 1)
    return advance + STROKE


def draw_word(canvas: Canvas, theme: Theme, left: float, top: float, letter_h: float) -> None:
    """Write KOBRA 2 with its first ink at x = left and the letters letter_h high from y = top."""
    x = left + STROKE * letter_h / 2
    for ch in WORD:
        paths, advance = LETTERS[ch]
        for path in paths:
            for a, b in itertools.pairwise(path):
                canvas.fill(
                    [
                        capsule(
                            (x + a[0] * letter_h, top + a[1] * letter_h),
                            (x + b[0] * letter_h, top + b[1] * letter_h),
                            STROKE * letter_h,
                        )
                    ],
                    theme.frame,
                )
        x += (advance + TRACKING) * letter_h


def icon(size: int, theme: Theme) -> Canvas:
    """Return the square icon."""
    canvas = Canvas(size, size)
    draw_icon(canvas, theme, 0, size)
    return canvas


# The logo: the icon, a gap, and the lettering centred on it (all relative to the logo's height).
LOGO_GAP = 0.16
LETTER_HEIGHT = 0.5


def logo(height: int, theme: Theme) -> Canvas:
    """Return the logo: the icon followed by the lettering, trimmed to its ink."""
    letter_h = LETTER_HEIGHT * height
    width = round(height * (1 + LOGO_GAP) + word_width() * letter_h)
    canvas = Canvas(width, height)
    draw_icon(canvas, theme, 0, height)
    draw_word(canvas, theme, height * (1 + LOGO_GAP), (height - letter_h) / 2, letter_h)
    return canvas


def images() -> dict[str, Canvas]:
    """Return every brand image by file name."""
    found: dict[str, Canvas] = {}
    for prefix, theme in (("", LIGHT), ("dark_", DARK)):
        for suffix, scale in (("", 1), ("@2x", 2)):
            found[f"{prefix}icon{suffix}.png"] = icon(ICON_SIZE * scale, theme)
            found[f"{prefix}logo{suffix}.png"] = logo(LOGO_HEIGHT * scale, theme)
    return found


# --------------------------------------------------------------------------- PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk with its length and CRC."""
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """Return an 8-bit RGBA sRGB PNG (each row with filter type 0)."""
    stride = width * 4
    raw = b"".join(b"\0" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        # sRGB, perceptual rendering intent: the brands rules ask for the sRGB colour space.
        + _chunk(b"sRGB", b"\0")
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    """Return the PNG Paeth predictor."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Return (width, height, RGBA rows) of an 8-bit RGBA, non-interlaced PNG; ValueError for anything else."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, idat, header = len(PNG_SIGNATURE), b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour_type, interlace) != (8, 6, 0):
        raise ValueError(
            f"not 8-bit RGBA non-interlaced (depth {depth}, colour type {colour_type})"
        )
    raw = zlib.decompress(idat)
    stride = width * 4
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride if kind else 0):
            left = row[i - 4] if i >= 4 else 0
            up = previous[i]
            corner = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                row[i] = (row[i] + _paeth(left, up, corner)) & 0xFF
        out += row
        previous = row
    return width, height, bytes(out)


def main(argv: list[str] | None = None) -> int:
    """Write the brand images, or with --check compare the committed ones with a fresh drawing."""
    parser = argparse.ArgumentParser(prog="scripts/brand.py", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=BRAND_DIR, help="folder of the images")
    args = parser.parse_args(argv)
    stale = []
    for name, canvas in images().items():
        pixels = canvas.pixels()
        path = args.out / name
        if args.check:
            try:
                committed = decode_png(path.read_bytes())
            except (OSError, ValueError) as err:
                stale.append(f"{name}: {err}")
                continue
            if committed != (canvas.width, canvas.height, pixels):
                stale.append(f"{name}: differs from what scripts/brand.py draws")
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encode_png(canvas.width, canvas.height, pixels))
            print(
                f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
                f"{canvas.width} x {canvas.height}"
            )
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
