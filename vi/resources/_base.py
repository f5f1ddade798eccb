"""What every resource shares: path building, id checks, decoding, listing.

Resources never touch ``requests``: they build a path, hand it to the requester (which owns
auth, retries and errors) and decode what comes back with their schema. Keeping that here
lets each resource module read like a declaration.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, TypeVar
from urllib.parse import quote

from marshmallow import Schema

from ..errors import ViInvalidParameterError, ViResponseError
from ..models import decode, decode_many
from ..pagination import DEFAULT_PAGE_SIZE, Page, check_page_size

if TYPE_CHECKING:  # pragma: no cover
    from ..http import Requester

__all__ = ["Resource", "check_id", "segment", "query_bool"]

T = TypeVar("T")

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def check_id(name: str, value: Any) -> str:
    """Validate an id argument before any I/O (PROTOCOL §2.3), so that nothing a caller passes
    can point a request at another resource (``../x``, ``a/b``, ``?x=1``)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ViInvalidParameterError(name, "%s must be a string, got %s" % (name, type(value).__name__))
    if not value:
        raise ViInvalidParameterError(name, "%s must not be empty" % name)
    if not _ID_RE.match(value):
        raise ViInvalidParameterError(
            name,
            "%s must be 1-255 characters of letters, digits, '_' and '-', got %r"
            % (name, value[:80]),
        )
    return value


def segment(value: str) -> str:
    """Percent-encode one path segment (everything but unreserved characters)."""
    return quote(value, safe="-_.~")


def query_bool(value: Optional[bool]) -> Optional[str]:
    """The ``y``-or-omitted boolean encoding the typed list parameters use (PROTOCOL §2.5)."""
    return "y" if value else None


class Resource:
    """Base of ``client.datasets``, ``client.assets``, …"""

    def __init__(self, requester: "Requester") -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return "<%s>" % type(self).__name__

    # -- paths -------------------------------------------------------------------------
    @property
    def _org(self) -> str:
        return self._requester.organization_id

    def _ws(self, *segments: str) -> str:
        """``/workspaces/{org}/seg/seg`` with every segment percent-encoded."""
        parts = ["workspaces", self._org]
        parts.extend(segments)
        return "/" + "/".join(segment(p) for p in parts)

    def _dataset_wire_id(self, dataset_id: Any) -> str:
        """Accept a short id or a composite ``{org}_{id}`` one; send the composite one."""
        if isinstance(dataset_id, str) and dataset_id.startswith(self._org + "_"):
            dataset_id = dataset_id[len(self._org) + 1:]
        short = check_id("dataset_id", dataset_id)
        return "%s_%s" % (self._org, short)

    def _ds(self, dataset_id: Any, *segments: str) -> str:
        """``/workspaces/{org}/datasets/{org}_{dsid}/seg…``."""
        return self._ws("datasets", self._dataset_wire_id(dataset_id), *segments)

    # -- calls -------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> Any:
        return self._requester.request(method, path, params=params, json=json)

    def _get_one(
        self,
        path: str,
        schema: Schema,
        what: str,
        *,
        method: str = "GET",
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> Any:
        return decode(schema, self._call(method, path, params=params, json=json), what)

    def _list(
        self,
        path: str,
        schema: Optional[Schema],
        what: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        transform: Optional[Callable[[Any], Any]] = None,
    ) -> Page[Any]:
        """Fetch one page; the returned page knows how to fetch the ones after it.

        ``schema=None`` keeps items as dicts (endpoints the protocol types as ``dict``)."""
        check_page_size(page_size)
        base: Dict[str, Any] = dict(params or {})

        def fetch(token: Optional[str]) -> Page[Any]:
            query: Dict[str, Any] = {}
            if token is not None:
                query["p"] = token
            query["s"] = str(page_size)
            query.update(base)
            body = self._call("GET", path, params=query)
            return self._page(body, schema, what, fetch, transform)

        if page_token is not None and not (isinstance(page_token, str) and page_token):
            raise ViInvalidParameterError("page_token", "page_token must be a non-empty string")
        return fetch(page_token)

    @staticmethod
    def _page(
        body: Any,
        schema: Optional[Schema],
        what: str,
        fetch: Callable[[str], Page[Any]],
        transform: Optional[Callable[[Any], Any]],
    ) -> Page[Any]:
        if not isinstance(body, dict):
            raise ViResponseError("Malformed %s page in response: expected a JSON object" % what)
        raw_items = body.get("items")
        if raw_items is None:
            raw_items = []
        if schema is not None:
            items = decode_many(schema, raw_items, what)
        elif isinstance(raw_items, list):
            items = list(raw_items)
        else:
            raise ViResponseError("Malformed %s page in response: items is not an array" % what)
        if transform is not None:
            items = [transform(i) for i in items]
        next_page = body.get("nextPage")
        prev_page = body.get("prevPage")
        for name, token in (("nextPage", next_page), ("prevPage", prev_page)):
            if token is not None and not isinstance(token, str):
                raise ViResponseError("Malformed %s page in response: %s is not a string" % (what, name))
        return Page(items, next_page, prev_page, fetch)
