"""CRC-32C: known answers, both wire encodings (PROTOCOL §9.4), streaming, fallback vs package."""

import io
import os

import pytest

from vi.transfers import crc32c as crc


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", 0x00000000),
        (b"123456789", 0xE3069283),  # the standard check value
        (b"a", 0xC1D04330),
        (bytes(32), 0x8A9136AA),  # RFC 3720 B.4: 32 bytes of zeros
        (b"\xff" * 32, 0x62A8AB43),  # RFC 3720 B.4: 32 bytes of 0xFF
        (bytes(range(32)), 0x46DD794E),  # RFC 3720 B.4: incrementing
    ],
)
def test_known_answers_both_implementations(data, expected):
    assert crc.crc32c_fallback(data) == expected
    assert crc.crc32c(data) == expected


def test_asset_flow_is_signed_big_endian_int_and_annotation_flow_is_base64():
    value = crc.crc32c(b"123456789")
    assert crc.to_signed(value) == -486108541  # examples/assets-create-ingestion-session-request.json
    assert crc.to_base64(value) == "4waSgw=="  # examples/annotations-add-import-files-request.json
    assert crc.from_signed(-486108541) == value and crc.from_base64("4waSgw==") == value
    assert crc.to_signed(0x7FFFFFFF) == 2**31 - 1 and crc.to_signed(0x80000000) == -(2**31)
    with pytest.raises(ValueError):
        crc.from_base64("AAAA")  # 3 bytes


def test_streaming_equals_one_shot_and_file_helper():
    data = os.urandom(100_003)
    running = crc.Crc32c()
    for start in range(0, len(data), 7919):
        running.update(data[start : start + 7919])
    assert running.value == crc.crc32c(data) == crc.crc32c_fallback(data)
    assert crc.crc32c_fallback(data[50:], crc.crc32c_fallback(data[:50])) == running.value
    assert crc.crc32c_file(io.BytesIO(data), chunk_size=4096) == running.value
    stream = io.BytesIO(data)
    stream.seek(10)
    assert crc.crc32c_file(stream, 1000) == crc.crc32c(data[10:1010])
    with pytest.raises(EOFError):
        crc.crc32c_file(io.BytesIO(b"abc"), 10)
    assert running.digest() == running.value.to_bytes(4, "big")
    assert running.signed == crc.to_signed(running.value) and running.base64 == crc.to_base64(running.value)


def test_fallback_matches_compiled_package_when_installed():
    package = pytest.importorskip("crc32c")
    assert crc.IMPLEMENTATION == "crc32c"
    for size in (0, 1, 7, 8, 9, 4095, 65537):
        data = os.urandom(size)
        assert crc.crc32c_fallback(data) == package.crc32c(data) == crc.crc32c(data)
