"""Small, real, decodable pictures for the demo data, made with the standard library only.

Every seeded asset has one content everywhere (its URL, export archives, the checksums and size
in its metadata): a solid-colour PNG or baseline JPEG of the asset's recorded dimensions. Any
image library opens them; they stay a few hundred bytes to a few kilobytes each.
"""

from __future__ import annotations

import struct
import zlib
from typing import List, Tuple

__all__ = ["BMP_HEADER_SIZE", "bmp_bytes", "jpeg_bytes", "picture", "png_bytes"]

RGB = Tuple[int, int, int]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_bytes(width: int, height: int, color: RGB) -> bytes:
    """A truecolour PNG filled with `color`."""
    row = b"\x00" + bytes(color) * width  # filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height, 9))
        + _chunk(b"IEND", b"")
    )


#: Bytes before the pixel rows of a `bmp_bytes` picture (file header + BITMAPINFOHEADER).
BMP_HEADER_SIZE = 54


def bmp_bytes(width: int, height: int, color: RGB) -> bytes:
    """An uncompressed 24-bit BMP filled with `color`: its pixels are plain bytes after a
    54-byte header, so a transform can change them without any image library."""
    row = bytes(color[::-1]) * width  # BMP stores blue, green, red
    row += b"\0" * (-len(row) % 4)
    pixels = row * height
    header = struct.pack("<2sIHHI", b"BM", BMP_HEADER_SIZE + len(pixels), 0, 0, BMP_HEADER_SIZE)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


# -- baseline JPEG of one colour ----------------------------------------------------------------------
# With every sample of a block equal, only the DC coefficient is non-zero, so the entropy-coded
# data is a DC difference (the colour, then 0 for every later block) and an end-of-block code.

#: The standard luminance DC table (number of codes of each length 1..16, then the symbols).
_DC_COUNTS = bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
_DC_SYMBOLS = bytes(range(12))
#: An AC table with one symbol, end-of-block, coded as the single bit "0".
_AC_COUNTS = bytes([1] + [0] * 15)
_AC_SYMBOLS = bytes([0])


def _dc_codes() -> List[str]:
    codes, code = [], 0
    for length, count in enumerate(_DC_COUNTS, start=1):
        for _ in range(count):
            codes.append(format(code, f"0{length}b"))
            code += 1
        code <<= 1
    return codes


_DC_CODES = _dc_codes()


def _dc_bits(diff: int) -> str:
    category = abs(diff).bit_length()
    if category == 0:
        return _DC_CODES[0]
    extra = diff if diff > 0 else diff + (1 << category) - 1
    return _DC_CODES[category] + format(extra, f"0{category}b")


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def jpeg_bytes(width: int, height: int, color: RGB) -> bytes:
    """A baseline (SOF0) 4:4:4 JPEG filled with `color`."""
    r, g, b = color
    samples = (
        0.299 * r + 0.587 * g + 0.114 * b,
        128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
        128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
    )
    first = "".join(_dc_bits(8 * (int(round(min(255.0, max(0.0, s)))) - 128)) + "0" for s in samples)
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = first + (_DC_CODES[0] + "0") * 3 * (blocks - 1)
    bits += "1" * (-len(bits) % 8)
    scan = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + b"\x01" * 64),
            _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + components),
            _segment(0xC4, b"\x00" + _DC_COUNTS + _DC_SYMBOLS + b"\x10" + _AC_COUNTS + _AC_SYMBOLS),
            _segment(0xDA, b"\x03" + b"".join(bytes([i, 0x00]) for i in (1, 2, 3)) + b"\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        ]
    )


def picture(mime_type: str, width: int, height: int, color: RGB) -> bytes:
    """PNG for `image/png`, JPEG otherwise."""
    if mime_type == "image/png":
        return png_bytes(width, height, color)
    return jpeg_bytes(width, height, color)
