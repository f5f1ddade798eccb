"""What a downloaded file must turn out to be: its size and the checksum storage announced.

Storage sends an MD5 or a CRC-32C in ``x-goog-hash`` (or ``Content-MD5``); assets also carry a
CRC-32C in their metadata. At most one checksum is verified per file: MD5 when present, unless
CRC-32C is the only one or a compiled CRC-32C makes it the cheaper check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Mapping, Optional, Tuple

from . import crc32c

__all__ = ["Expected", "Hasher", "hash_file", "parse_hashes", "content_length"]


class Expected:
    """What a download must turn out to be: a size and at most one checksum to verify."""

    def __init__(self, size: Optional[int], md5: Optional[bytes] = None, crc: Optional[int] = None) -> None:
        self.size = size
        self.md5 = md5
        # CRC-32C is verified when it is the only checksum, or when it is cheap (compiled).
        self.crc = crc if crc is not None and (md5 is None or crc32c.IMPLEMENTATION != "python") else None

    @property
    def has_checksum(self) -> bool:
        return self.md5 is not None or self.crc is not None

    def hasher(self) -> "Hasher":
        return Hasher(self.md5 is not None, self.crc is not None)

    def check(self, hasher: "Hasher") -> Optional[str]:
        """None when the bytes match, else what did not."""
        if self.md5 is not None and hasher.md5 is not None and hasher.md5.digest() != self.md5:
            return "MD5 %s != expected %s" % (hasher.md5.hexdigest(), self.md5.hex())
        if self.crc is not None and hasher.crc is not None and hasher.crc.value != self.crc:
            return "CRC-32C %08x != expected %08x" % (hasher.crc.value, self.crc)
        return None


class Hasher:
    def __init__(self, md5: bool, crc: bool) -> None:
        self.md5 = hashlib.md5() if md5 else None
        self.crc = crc32c.Crc32c() if crc else None

    def update(self, data: bytes) -> None:
        if self.md5 is not None:
            self.md5.update(data)
        if self.crc is not None:
            self.crc.update(data)


def hash_file(path: Path, expected: Expected) -> Hasher:
    hasher = expected.hasher()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(1024 * 1024)
            if not block:
                return hasher
            hasher.update(block)


def parse_hashes(headers: Mapping[str, str]) -> Tuple[Optional[bytes], Optional[int]]:
    """``(md5 digest, crc32c value)`` from ``x-goog-hash`` (and ``Content-MD5``), if present."""
    md5: Optional[bytes] = None
    crc: Optional[int] = None
    raw = headers.get("x-goog-hash") or ""
    for item in raw.split(","):
        name, _, value = item.strip().partition("=")
        value = value.strip()
        try:
            if name.lower() == "md5":
                digest = base64.b64decode(value, validate=True)
                md5 = digest if len(digest) == 16 else md5
            elif name.lower() == "crc32c":
                crc = crc32c.from_base64(value)
        except (ValueError, binascii.Error):
            continue
    if md5 is None and headers.get("Content-MD5"):
        try:
            digest = base64.b64decode(headers["Content-MD5"], validate=True)
            md5 = digest if len(digest) == 16 else None
        except (ValueError, binascii.Error):
            pass
    return md5, crc


def content_length(headers: Mapping[str, str]) -> Optional[int]:
    value = headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
