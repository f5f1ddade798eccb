"""Pre-signed storage URLs: an HMAC over the object's path and an expiry, as object stores do.

The signature covers the *decoded* path segments, so a client that re-encodes a URL differently
(`%20` vs `+`-free spellings, upper- vs lower-case escapes) still verifies, while a file name that
itself contains percent signs (`%2e%2e.jpg`) is decoded exactly once on each side: when signing,
the encoded path is split and each segment decoded once; when verifying, the request's segments
(already decoded once by the router) are used as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Dict, Iterable, Optional, Tuple
from urllib.parse import unquote, urlencode

from .clock import Clock, SystemClock

__all__ = ["UrlSigner"]


class UrlSigner:
    """Signs and verifies `/_storage/...` URLs with a secret that never leaves the server."""

    def __init__(
        self, secret: Optional[bytes] = None, ttl_seconds: float = 3600, clock: Optional[Clock] = None
    ) -> None:
        self._secret = secret or os.urandom(32)
        self.ttl_seconds = ttl_seconds
        self.clock: Clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        return f"UrlSigner(ttl_seconds={self.ttl_seconds!r})"

    def _signature(self, segments: Iterable[str], expiry_ms: int) -> str:
        message = "{}\n{}".format("/".join(segments), expiry_ms).encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signature(self, path: str, expiry_ms: int) -> str:
        """The signature of an encoded path (`/_storage/a%20b/c`)."""
        return self._signature((unquote(segment) for segment in path.split("/")), expiry_ms)

    def url(self, base_url: str, path: str, expiry_ms: Optional[int] = None) -> str:
        """`base_url + path` with `X-Vi-Expires` and `X-Vi-Signature` (default expiry: now + ttl)."""
        if expiry_ms is None:
            expiry_ms = self.expiry_ms()
        query = urlencode({"X-Vi-Expires": str(expiry_ms), "X-Vi-Signature": self.signature(path, expiry_ms)})
        return f"{base_url}{path}?{query}"

    def expiry_ms(self, ttl_seconds: Optional[float] = None) -> int:
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        return int((self.clock.time() + ttl) * 1000)

    def sign(self, base_url: str, path: str) -> Tuple[str, int]:
        """(url, expiry_ms) for `path` on `base_url`, valid for the signer's ttl from now."""
        expiry = self.expiry_ms()
        return self.url(base_url, path, expiry), expiry

    def verify(self, segments: Iterable[str], query: Dict[str, str]) -> Optional[str]:
        """None when the URL is genuine and current, else why not (for a 403 message).

        `segments` are the request path's segments, each already percent-decoded once.
        """
        expires, signature = query.get("X-Vi-Expires", ""), query.get("X-Vi-Signature", "")
        if not expires.isdigit() or not signature:
            return "Missing or malformed storage signature"
        expected = self._signature([""] + list(segments), int(expires))
        if not hmac.compare_digest(signature, expected):
            return "Storage signature does not match"
        if int(expires) < self.clock.time() * 1000:
            return "Storage URL has expired"
        return None
