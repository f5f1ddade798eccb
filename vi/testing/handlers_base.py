"""What every family of request handlers shares: the store, paging, and signed URLs.

The handler families (`handlers_data`, `handlers_training`, `handlers_peripheral`) and the app's
own core handlers all derive from `HandlerBase`, which implements these helpers once.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple
from urllib.parse import quote

from .pagination import Page, PageTokens, parse_page_size
from .signing import UrlSigner

__all__ = ["STORAGE_PREFIX", "HandlerBase"]

JSON = Dict[str, Any]

#: First path segment of every pre-signed storage URL.
STORAGE_PREFIX = "_storage"


class HandlerBase:
    """Paging over keyset tokens and `contents` URLs, for handlers of every family."""

    def __init__(self, store: Any, signer: UrlSigner) -> None:
        self.store = store
        self.signer = signer
        self.tokens = PageTokens()
        store.state.upload_ttl_seconds = float(signer.ttl_seconds)

    @property
    def url_ttl_seconds(self) -> float:
        """How long the pre-signed URLs this app hands out stay valid."""
        return self.signer.ttl_seconds

    @url_ttl_seconds.setter
    def url_ttl_seconds(self, value: float) -> None:
        self.signer.ttl_seconds = value
        self.store.state.upload_ttl_seconds = float(value)  # files must arrive while URLs are valid

    def _paged(self, request: Any, fetch: Callable[[int, int], Page]) -> Tuple[int, JSON]:
        size = parse_page_size(request.query.get("s"))
        listing = "/".join(request.segments)
        token = request.query.get("p")
        if token:
            nonce, after_seq = self.tokens.decode(listing, token)
        else:
            nonce, after_seq = self.tokens.new_walk(), 0
        page = fetch(after_seq, size)
        next_page = self.tokens.encode(listing, nonce, page.last_seq) if page.has_more else None
        return 200, {"items": page.items, "nextPage": next_page, "prevPage": None}

    def _wants_contents(self, request: Any) -> bool:
        return str(request.query.get("contents", "")).lower() in ("y", "yes", "true", "1")

    def _with_contents(self, request: Any, asset: JSON) -> JSON:
        expiry = self.signer.expiry_ms()
        short_id = asset["datasetId"].rsplit("_", 1)[-1]
        contents = {}
        for kind, name in (("asset", asset["filename"]), ("thumbnail", "thumbnail.webp")):
            path = "/{}/{}/{}/{}/{}".format(
                STORAGE_PREFIX,
                quote(asset["workspaceId"]),
                quote(short_id),
                quote(asset["assetId"]),
                quote(name, safe=""),  # a "/" or ".." in a file name stays one segment
            )
            contents[kind] = {
                "url": self.signer.url(request.base_url, path, expiry),
                "expiry": expiry,
                "method": None,
                "headers": None,
            }
        asset["contents"] = contents
        return asset

    def _signer(self, request: Any) -> Callable[[str], Tuple[str, int]]:
        """`sign(path) -> (url, expiry_ms)` for the host this request came to."""
        base_url = request.base_url
        return lambda path: self.signer.sign(base_url, path)

    def _render_asset(self, request: Any) -> Callable[[JSON], JSON]:
        """Adds `contents` (signed URLs) to an Asset document when the query asks (`contents=y`)."""
        if self._wants_contents(request):
            return lambda asset: self._with_contents(request, asset)
        return lambda asset: asset
