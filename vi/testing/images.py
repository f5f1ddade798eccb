"""Image dimensions from file headers, with the standard library only (nothing is decoded).

The service records each uploaded image's width and height; so does the local server, reading
just enough of the header of each format the upload accepts: JPEG (baseline and progressive,
with the EXIF orientation applied, so a photo taken in portrait reports portrait dimensions),
PNG, WebP (lossy, lossless and extended), GIF, BMP and TIFF. A file whose header cannot be read
raises `UnreadableImage` carrying the ingestion error the service reports for it: `EBADMIME` when
the bytes are no image format at all, `ECORRUPT` when they start like one but are damaged or cut.
"""

from __future__ import annotations

import struct
from typing import Callable, Dict, Optional, Tuple

__all__ = ["UnreadableImage", "image_format", "image_size"]

Size = Tuple[int, int]


class UnreadableImage(ValueError):
    """The header could not be read; `code` is the ingestion error the service reports."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def image_format(data: bytes) -> Optional[str]:
    """The format a file's first bytes announce (`"jpeg"`, `"png"`, ...), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def image_size(data: bytes) -> Size:
    """(width, height) as displayed; raises `UnreadableImage` (see the module docstring)."""
    kind = image_format(data)
    if kind is None:
        raise UnreadableImage(
            "EBADMIME", "not an image in a supported format (JPEG, PNG, WebP, GIF, BMP, TIFF)"
        )
    try:
        width, height = _READERS[kind](data)
    except (struct.error, IndexError, ValueError) as exc:
        raise UnreadableImage("ECORRUPT", f"damaged {kind.upper()} header: {exc}") from None
    if width <= 0 or height <= 0:
        raise UnreadableImage("ECORRUPT", f"{kind.upper()} header declares a {width}x{height} image")
    return width, height


# -- the formats ------------------------------------------------------------------------------------


def _png(data: bytes) -> Size:
    if data[12:16] != b"IHDR":
        raise ValueError("the first chunk is not IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _gif(data: bytes) -> Size:
    width, height = struct.unpack("<HH", data[6:10])
    return width, height


def _bmp(data: bytes) -> Size:
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        width, height = struct.unpack("<HH", data[18:22])
        return width, height
    width, height = struct.unpack("<ii", data[18:26])
    return width, abs(height)  # a negative height means rows are stored top-down


def _webp(data: bytes) -> Size:
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: the key frame's start code, then 14-bit sizes
        if data[23:26] != b"\x9d\x01\x2a":
            raise ValueError("no VP8 key frame start code")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14-bit sizes minus one
        if data[20:21] != b"\x2f":
            raise ValueError("no VP8L signature")
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit canvas sizes minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        if len(data) < 30:
            raise ValueError("VP8X chunk cut short")
        return width, height
    raise ValueError(f"unknown WebP chunk {chunk!r}")


_TIFF_TYPES: Dict[int, Tuple[str, int]] = {3: ("H", 2), 4: ("I", 4)}  # SHORT, LONG


def _tiff_tags(data: bytes, base: int, wanted: Tuple[int, ...]) -> Dict[int, int]:
    """Integer values of `wanted` tags in the first IFD of a TIFF structure starting at `base`."""
    order = "<" if data[base : base + 2] == b"II" else ">"
    if data[base : base + 2] not in (b"II", b"MM"):
        raise ValueError("bad TIFF byte order")
    offset = struct.unpack(order + "I", data[base + 4 : base + 8])[0]
    count = struct.unpack(order + "H", data[base + offset : base + offset + 2])[0]
    found: Dict[int, int] = {}
    for index in range(count):
        entry = base + offset + 2 + 12 * index
        tag, kind = struct.unpack(order + "HH", data[entry : entry + 4])
        if tag in wanted and kind in _TIFF_TYPES:
            code, _ = _TIFF_TYPES[kind]
            found[tag] = struct.unpack(order + code, data[entry + 8 : entry + 8 + struct.calcsize(code)])[0]
    return found


def _rotated(size: Size, orientation: Optional[int]) -> Size:
    """Orientations 5-8 turn the picture by 90 degrees: width and height swap for display."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _tiff(data: bytes) -> Size:
    tags = _tiff_tags(data, 0, (256, 257, 274))
    if 256 not in tags or 257 not in tags:
        raise ValueError("no ImageWidth/ImageLength tag")
    return _rotated((tags[256], tags[257]), tags.get(274))


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> Size:
    """Walk the marker segments to the first start-of-frame (baseline, progressive, lossless...)."""
    position = 2
    orientation: Optional[int] = None
    while True:
        while data[position] != 0xFF:  # tolerate fill bytes between segments
            position += 1
        while data[position] == 0xFF:
            position += 1
        marker = data[position]
        position += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            continue
        if marker == 0xD9:
            raise ValueError("end of image before any frame header")
        length = struct.unpack(">H", data[position : position + 2])[0]
        if length < 2:
            raise ValueError("bad segment length")
        segment = data[position + 2 : position + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00" and orientation is None:
            try:
                orientation = _tiff_tags(segment, 6, (274,)).get(274)
            except (struct.error, IndexError, ValueError):
                orientation = None  # a damaged EXIF block does not make the picture unreadable
        if marker in _SOF:
            if len(segment) < 5:
                raise ValueError("frame header cut short")
            height, width = struct.unpack(">HH", segment[1:5])
            return _rotated((width, height), orientation)
        position += length


_READERS: Dict[str, Callable[[bytes], Size]] = {
    "jpeg": _jpeg,
    "png": _png,
    "webp": _webp,
    "gif": _gif,
    "bmp": _bmp,
    "tiff": _tiff,
}
