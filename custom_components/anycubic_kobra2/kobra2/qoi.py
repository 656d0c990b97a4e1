"""QOI thumbnails (PrusaSlicer's smallest kind) turned into PNG, which browsers can show."""

from __future__ import annotations

import struct
from typing import Final
import zlib

_HEADER: Final = struct.Struct(">4sIIBB")
_END: Final = b"\x00" * 7 + b"\x01"
# A thumbnail; anything larger is not one and is not decoded.
MAX_PIXELS: Final = 1024 * 1024


def decode_qoi(data: bytes) -> tuple[int, int, bytes] | None:
    """Return (width, height, RGBA bytes) of a QOI image, or None if it is not a valid one."""
    if len(data) < _HEADER.size + len(_END):
        return None
    magic, width, height, _channels, _colorspace = _HEADER.unpack_from(data)
    if magic != b"qoif" or not 0 < width * height <= MAX_PIXELS:
        return None
    index = [(0, 0, 0, 0)] * 64
    r, g, b, a = 0, 0, 0, 255
    out = bytearray()
    pos, end, total = _HEADER.size, len(data) - len(_END), width * height
    pixels = run = 0
    while pixels < total:
        if run:
            run -= 1
        elif pos >= end:
            return None
        else:
            byte = data[pos]
            pos += 1
            tag = byte & 0xC0
            if byte == 0xFE:
                if pos + 3 > end:
                    return None
                r, g, b = data[pos], data[pos + 1], data[pos + 2]
                pos += 3
            elif byte == 0xFF:
                if pos + 4 > end:
                    return None
                r, g, b, a = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
                pos += 4
            elif tag == 0x00:
                r, g, b, a = index[byte]
            elif tag == 0x40:
                r = (r + ((byte >> 4) & 3) - 2) & 0xFF
                g = (g + ((byte >> 2) & 3) - 2) & 0xFF
                b = (b + (byte & 3) - 2) & 0xFF
            elif tag == 0x80:
                if pos >= end:
                    return None
                dg = (byte & 0x3F) - 32
                second = data[pos]
                pos += 1
                r = (r + dg - 8 + ((second >> 4) & 0x0F)) & 0xFF
                g = (g + dg) & 0xFF
                b = (b + dg - 8 + (second & 0x0F)) & 0xFF
            else:
                run = byte & 0x3F
            index[(r * 3 + g * 5 + b * 7 + a * 11) % 64] = (r, g, b, a)
        out += bytes((r, g, b, a))
        pixels += 1
    return width, height, bytes(out)


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """Return an RGBA PNG of the pixels (no filtering; thumbnails are small)."""
    stride = width * 4
    raw = b"".join(b"\x00" + rgba[row * stride : (row + 1) * stride] for row in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        """Return one PNG chunk with its CRC."""
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def qoi_to_png(data: bytes, limit: int) -> bytes | None:
    """Return the QOI image as PNG, or None if it is invalid or the PNG exceeds limit bytes."""
    decoded = decode_qoi(data)
    if decoded is None:
        return None
    png = encode_png(*decoded)
    return png if len(png) <= limit else None
