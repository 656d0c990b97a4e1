"""QOI thumbnails: every chunk kind decodes to the right pixels, broken ones to None."""

from __future__ import annotations

import struct
import zlib

from custom_components.anycubic_kobra2.kobra2.qoi import decode_qoi, encode_png, qoi_to_png

END = b"\x00" * 7 + b"\x01"


def qoi(width: int, height: int, body: bytes) -> bytes:
    """Return a QOI file of the given chunks."""
    return struct.pack(">4sIIBB", b"qoif", width, height, 4, 0) + body + END


def test_every_chunk_kind() -> None:
    """RGB, RGBA, index, diff, luma and run chunks give the pixels the format defines."""
    body = bytes(
        [
            0xFE,
            10,
            20,
            30,  # RGB: alpha stays 255
            0xFF,
            1,
            2,
            3,
            4,  # RGBA
            0x40 | (3 << 4) | (1 << 2) | 2,  # diff: r +1, g -1, b +0
            0x80 | (32 + 5),
            (8 + 1) << 4 | (8 - 2),  # luma: g +5, r = g + 1, b = g - 2
            0xC0 | 1,  # run of 2
        ]
    )
    # Index of (10, 20, 30, 255): (r*3 + g*5 + b*7 + a*11) % 64.
    index = (10 * 3 + 20 * 5 + 30 * 7 + 255 * 11) % 64
    body += bytes([index])
    decoded = decode_qoi(qoi(7, 1, body))
    assert decoded is not None
    width, height, rgba = decoded
    assert (width, height) == (7, 1)
    pixels = [tuple(rgba[i : i + 4]) for i in range(0, len(rgba), 4)]
    assert pixels == [
        (10, 20, 30, 255),
        (1, 2, 3, 4),
        (2, 1, 3, 4),
        (8, 6, 6, 4),
        (8, 6, 6, 4),
        (8, 6, 6, 4),
        (10, 20, 30, 255),
    ]


def test_broken_images_are_none() -> None:
    """Wrong magic, no pixels, too many pixels and truncated chunks are not decoded."""
    assert decode_qoi(b"qoif") is None
    assert (
        decode_qoi(struct.pack(">4sIIBB", b"qoix", 1, 1, 4, 0) + b"\xfe\x01\x02\x03" + END) is None
    )
    assert decode_qoi(qoi(0, 1, b"")) is None
    assert decode_qoi(qoi(2048, 2048, b"")) is None
    assert decode_qoi(qoi(2, 1, b"\xfe\x01\x02")) is None  # RGB chunk cut short
    assert decode_qoi(qoi(2, 1, b"\xff\x01\x02\x03")) is None  # RGBA chunk cut short
    assert decode_qoi(qoi(2, 1, b"\x80")) is None  # luma chunk cut short
    assert decode_qoi(qoi(3, 1, b"\xfe\x01\x02\x03")) is None  # pixels missing


def test_png_of_the_pixels_and_its_size_cap() -> None:
    """The PNG holds exactly the RGBA pixels; one over the cap is refused."""
    image = qoi(2, 1, bytes([0xFF, 1, 2, 3, 4, 0xC0]))
    png = qoi_to_png(image, 10_000)
    assert png is not None
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4 : idat])[0]
    assert zlib.decompress(png[idat + 4 : idat + 4 + length]) == b"\x00" + bytes([1, 2, 3, 4] * 2)
    assert qoi_to_png(image, len(png) - 1) is None
    assert qoi_to_png(b"not qoi", 10_000) is None
    assert encode_png(1, 1, b"\x00\x00\x00\x00").endswith(b"IEND\xaeB`\x82")
