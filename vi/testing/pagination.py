"""Opaque page tokens, so clients cannot rely on anything but sending `nextPage` back verbatim.

A token carries a random per-walk nonce and the sequence number of the last item served (keyset
pagination: deleting items mid-walk neither skips nor repeats any), authenticated with an HMAC over
the listing it belongs to, so a forged, mangled or foreign token is a 400 rather than a silent
restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, TypeVar

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "InvalidPageRequest",
    "Page",
    "PageTokens",
    "page_by_offset",
    "page_by_seq",
    "parse_page_size",
]

T = TypeVar("T")
JSON = Dict[str, Any]

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
_NONCE = 8
_MAC = 10
_PAYLOAD = struct.Struct(">8sQ")


class InvalidPageRequest(ValueError):
    """A bad `s` or `p`; the message names the parameter and becomes the 400 body."""


def parse_page_size(raw: Optional[str]) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw.strip())
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidPageRequest(
            f"Invalid page size 's': {raw!r} (must be an integer from 1 to {MAX_PAGE_SIZE})"
        )
    return size


class PageTokens:
    def __init__(self, secret: Optional[bytes] = None) -> None:
        self._secret = secret or os.urandom(32)

    def new_walk(self) -> bytes:
        return os.urandom(_NONCE)

    def encode(self, listing: str, nonce: bytes, after_seq: int) -> str:
        payload = _PAYLOAD.pack(nonce, after_seq)
        token = payload + self._mac(listing, payload)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")

    def decode(self, listing: str, token: str) -> Tuple[bytes, int]:
        """Return (nonce, after_seq) or raise InvalidPageRequest."""
        error = InvalidPageRequest(f"Invalid page token 'p': {token[:64]!r}")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise error from None
        if len(raw) != _PAYLOAD.size + _MAC:
            raise error
        payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
        if not hmac.compare_digest(mac, self._mac(listing, payload)):
            raise error
        nonce, after_seq = _PAYLOAD.unpack(payload)
        return nonce, after_seq

    def _mac(self, listing: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, listing.encode("utf-8") + b"\0" + payload, hashlib.sha256).digest()[
            :_MAC
        ]


class Page(NamedTuple):
    items: List[JSON]
    last_seq: int
    has_more: bool


def page_by_seq(records: Iterable[T], after_seq: int, limit: int, render: Callable[[T], JSON]) -> Page:
    """Keyset slice by creation sequence: stable under concurrent inserts and deletes."""
    chosen: List[T] = []
    has_more = False
    for record in records:
        if record.seq <= after_seq:  # type: ignore[attr-defined]
            continue
        if len(chosen) == limit:
            has_more = True
            break
        chosen.append(record)
    last = chosen[-1].seq if chosen else after_seq  # type: ignore[attr-defined]
    return Page([render(r) for r in chosen], last, has_more)


def page_by_offset(items: List[T], offset: int, limit: int, render: Callable[[T], JSON]) -> Page:
    """Offset slice, for computed or re-sorted listings where creation order does not apply."""
    chosen = items[offset : offset + limit]
    end = offset + len(chosen)
    return Page([render(r) for r in chosen], end, end < len(items))
