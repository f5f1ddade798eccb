"""Image dimensions from headers (stdlib only), checked against pictures Pillow writes."""

import ast
import io
import struct
from pathlib import Path

import pytest

from vi.testing.contents import FileView
from vi.testing.images import UnreadableImage, image_size
from vi.testing.pictures import jpeg_bytes, png_bytes

Image = pytest.importorskip("PIL.Image")


def encode(fmt, size=(37, 23), mode="RGB", **options):
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200)[: len(mode)] if mode != "P" else 3).save(out, fmt, **options)
    return out.getvalue()


def exif_rotated_jpeg(size, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode("JPEG", size, exif=exif.tobytes())


CASES = {
    "jpeg baseline": lambda: encode("JPEG"),
    "jpeg progressive": lambda: encode("JPEG", progressive=True, quality=80),
    "jpeg greyscale": lambda: encode("JPEG", mode="L"),
    "png": lambda: encode("PNG"),
    "png palette": lambda: encode("PNG", mode="P"),
    "webp lossy": lambda: encode("WEBP", quality=50),
    "webp lossless": lambda: encode("WEBP", lossless=True),
    "webp extended (alpha)": lambda: encode("WEBP", mode="RGBA", quality=50),
    "gif": lambda: encode("GIF", mode="P"),
    "bmp": lambda: encode("BMP"),
    "tiff little-endian": lambda: encode("TIFF"),
    "tiff compressed": lambda: encode("TIFF", compression="tiff_deflate"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dimensions_match_what_pillow_wrote(name):
    data = CASES[name]()
    assert image_size(data) == (37, 23)


def test_big_endian_tiff_and_top_down_bmp():
    tiff = encode("TIFF")
    # rewrite the header and first IFD as big-endian ("MM"): same picture, other byte order
    offset = struct.unpack("<I", tiff[4:8])[0]
    count = struct.unpack("<H", tiff[offset : offset + 2])[0]
    big = bytearray(b"MM\x00*" + struct.pack(">I", offset) + tiff[8:])
    big[offset : offset + 2] = struct.pack(">H", count)
    for i in range(count):
        at = offset + 2 + 12 * i
        tag, kind, n = struct.unpack("<HHI", tiff[at : at + 8])
        value = tiff[at + 8 : at + 12]
        if kind == 3 and n == 1:
            value = struct.pack(">H", struct.unpack("<H", value[:2])[0]) + b"\0\0"
        elif kind == 4 and n == 1:
            value = struct.pack(">I", struct.unpack("<I", value)[0])
        big[at : at + 12] = struct.pack(">HHI", tag, kind, n) + value
    assert image_size(bytes(big)) == (37, 23)
    bmp = bytearray(encode("BMP"))
    bmp[22:26] = struct.pack("<i", -23)  # rows stored top-down
    assert image_size(bytes(bmp)) == (37, 23)


@pytest.mark.parametrize(
    "orientation, expected", [(1, (40, 20)), (3, (40, 20)), (6, (20, 40)), (8, (20, 40))]
)
def test_exif_rotated_jpeg_reports_displayed_dimensions(orientation, expected):
    data = exif_rotated_jpeg((40, 20), orientation)
    assert Image.open(io.BytesIO(data)).size == (40, 20)  # stored landscape
    assert image_size(data) == expected


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "EBADMIME"),
        (b"plain text, not a picture", "EBADMIME"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "ECORRUPT"),  # signature, no IHDR
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "ECORRUPT"),  # cut before any frame header
        (b"GIF89a\x00\x00\x00\x00", "ECORRUPT"),  # 0 x 0
        (b"RIFF\x00\x00\x00\x00WEBPVP8 \x00", "ECORRUPT"),
        (b"II*\x00\xff\xff\xff\x00", "ECORRUPT"),  # IFD offset past the end
    ],
)
def test_unreadable_images_carry_the_ingestion_error(data, code):
    with pytest.raises(UnreadableImage) as caught:
        image_size(data)
    assert caught.value.code == code


def test_a_spooled_file_is_read_lazily(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(exif_rotated_jpeg((30, 10), 6) + b"\0" * 5_000_000)
    assert image_size(FileView(str(path))) == (10, 30)


def test_the_reader_uses_the_standard_library_only():
    tree = ast.parse(Path(image_size.__code__.co_filename).read_text())
    imported = {n.names[0].name for n in ast.walk(tree) if isinstance(n, ast.Import)}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert imported <= {"__future__", "struct", "typing"}


@pytest.mark.parametrize("make", [png_bytes, jpeg_bytes])
def test_demo_pictures_decode_to_their_size_and_colour(make):
    data = make(70, 30, (200, 40, 90))
    picture = Image.open(io.BytesIO(data))
    picture.load()
    assert picture.size == (70, 30) == image_size(data)
    assert all(abs(a - b) <= 2 for a, b in zip(picture.convert("RGB").getpixel((35, 15)), (200, 40, 90)))
