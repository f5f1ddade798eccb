"""What every resource shares: path building, id checks, decoding, listing.

Resources never touch ``requests``: they build a path, hand it to the requester (which owns
auth, retries and errors) and decode what comes back with their schema. Keeping that here
lets each resource module read like a declaration.
"""

from __future__ import annotations

import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
    overload,
)
from urllib.parse import quote

from ..checks import check_id, check_page_size
from ..documents import Document, decode, decode_many, json_type
from ..errors import ViClientClosedError, ViInvalidParameterError, ViResponseError
from ..pagination import DEFAULT_PAGE_SIZE, Page, walk_size
from ..waiters import all_reached, condition_reached, describe_conditions, failed_condition, wait_until_done

if TYPE_CHECKING:  # pragma: no cover
    from ..http import Requester
    from ..transfers.workflows import Transfers

__all__ = [
    "Resource",
    "DeletedResource",
    "segment",
    "verb",
    "query_bool",
    "query_yn",
    "AssetSourceArg",
    "DEFAULT_ASSET_SOURCE",
]

T = TypeVar("T")
D = TypeVar("D", bound=Document)


class _Verb(str):
    """A segment ending in a colon "custom verb" (``assets:count``), whose colon stays literal."""


def verb(value: str, name: str) -> str:
    """``value:name`` as one path segment: ``value`` is encoded, the colon is not."""
    return _Verb(value + ":" + name)


def segment(value: str) -> str:
    """Percent-encode one path segment (everything but unreserved characters)."""
    try:
        if isinstance(value, _Verb):
            base, _, name = value.rpartition(":")
            return quote(base, safe="-_.~") + ":" + quote(name, safe="-_.~")
        return quote(value, safe="-_.~")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") has no UTF-8 form to send
        raise ViInvalidParameterError(
            None, "%r cannot be sent in a URL: it is not valid Unicode text" % (value[:80],)
        ) from None


def query_bool(value: Optional[bool]) -> Optional[str]:
    """The ``y``-or-omitted boolean encoding the typed list parameters use."""
    return "y" if value else None


def query_yn(value: Optional[bool]) -> Optional[str]:
    """The ``y``/``n`` encoding of the hand-built queries (``assets.count``, folders, …)."""
    if value is None:
        return None
    return "y" if value else "n"


class DeletedResource(Document):
    """What a delete returns when the service answers with no document: the id
    that was deleted, and ``deleted=True``. Built client-side, never decoded."""

    _fields = ("id", "deleted")
    _repr_fields = ("id", "deleted")

    id: str
    deleted: bool

    def __init__(self, id: str, deleted: bool = True) -> None:  # noqa: A002 - protocol name
        super().__init__(id=id, deleted=deleted)


#: ``(class, provider, id)`` of an asset source, or ``"class/provider/id"``.
AssetSourceArg = Union[str, Sequence[str]]
DEFAULT_ASSET_SOURCE = ("managed", "datature", "default")


def _check_source(source: Any) -> Tuple[str, str, str]:
    parts: Any = source
    if isinstance(source, str):
        parts = source.split("/")
    if isinstance(parts, (list, tuple)) and len(parts) == 3:
        names = ("asset_source_class", "asset_source_provider", "asset_source_id")
        return (check_id(names[0], parts[0]), check_id(names[1], parts[1]), check_id(names[2], parts[2]))
    raise ViInvalidParameterError(
        "source",
        "source must be 'class/provider/id' or a (class, provider, id) tuple, got %r" % (source,),
    )


def help_text(obj: Any) -> str:
    """A short summary of ``obj``'s public methods: name, signature, first docstring line."""
    import inspect

    kind = type(obj)
    lines = [kind.__name__ + ": " + (inspect.getdoc(kind) or "").split("\n")[0], ""]
    for name in sorted(dir(kind)):
        member = getattr(kind, name, None)
        if name.startswith("_") or not callable(member) or name == "help":
            continue
        try:
            found = inspect.signature(member)
            params = [
                p.replace(annotation=inspect.Parameter.empty)
                for p in found.parameters.values()
                if p.name != "self"
            ]
            signature = str(found.replace(parameters=params, return_annotation=inspect.Signature.empty))
        except (TypeError, ValueError):
            signature = "(...)"
        first = (inspect.getdoc(member) or "").split("\n")[0]
        lines.append("  %s%s\n      %s" % (name, signature, first) if first else "  %s%s" % (name, signature))
    return "\n".join(lines)


def wait_argument(wait: Optional[bool], wait_until_done: Optional[bool]) -> bool:
    """``wait=`` or the official client's spelling ``wait_until_done=`` (same meaning); the two
    saying different things is a mistake worth an error, not a silent choice."""
    if wait is not None and wait_until_done is not None and bool(wait) != bool(wait_until_done):
        raise ViInvalidParameterError(
            "wait_until_done", "wait= and wait_until_done= (its official spelling) disagree; pass one"
        )
    chosen = wait if wait is not None else wait_until_done
    return True if chosen is None else chosen


class Resource:
    """Base of ``client.datasets``, ``client.assets``, …"""

    #: how waiters sleep and tell time; tests replace them on an instance
    _sleep: Callable[[float], Any] = staticmethod(time.sleep)
    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, requester: "Requester", transfers: Optional["Transfers"] = None) -> None:
        self._requester = requester
        self._transfers = transfers

    def _workflows(self) -> "Transfers":
        """The client's transfer workflows, which the client hands to its resources."""
        if self._transfers is None:
            raise ViClientClosedError(
                "This resource is not attached to a live vi.Client", suggestion="Create a new vi.Client."
            )
        return self._transfers

    def __repr__(self) -> str:
        return "<%s>" % type(self).__name__

    def help(self) -> None:
        """Print what this resource offers: each public method with the first line of its
        docstring (the official client's ``help()``; ``help(client.assets)`` shows it all)."""
        print(help_text(self))

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
            dataset_id = dataset_id[len(self._org) + 1 :]
        short = check_id("dataset_id", dataset_id)
        return "%s_%s" % (self._org, short)

    def _ds(self, dataset_id: Any, *segments: str) -> str:
        """``/workspaces/{org}/datasets/{org}_{dsid}/seg…``."""
        return self._ws("datasets", self._dataset_wire_id(dataset_id), *segments)

    def _src(self, dataset_id: Any, source: Any, *segments: str) -> str:
        """``/workspaces/{org}/datasets/{org}_{dsid}/assetSources/{class}/{provider}/{id}/seg…``."""
        ds = self._dataset_wire_id(dataset_id)
        return self._ws("datasets", ds, "assetSources", *_check_source(source), *segments)

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
        document: Type[D],
        what: str,
        *,
        method: str = "GET",
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> D:
        return decode(document, self._call(method, path, params=params, json=json), what)

    @overload
    def _list(
        self,
        path: str,
        document: Type[D],
        what: str,
        *,
        page_size: Optional[int] = ...,
        page_token: Optional[str] = ...,
        params: Optional[Mapping[str, Any]] = ...,
        params_first: bool = ...,
    ) -> Page[D]: ...

    @overload
    def _list(
        self,
        path: str,
        document: None,
        what: str,
        *,
        page_size: Optional[int] = ...,
        page_token: Optional[str] = ...,
        params: Optional[Mapping[str, Any]] = ...,
        params_first: bool = ...,
    ) -> Page[Dict[str, Any]]: ...

    def _list(
        self,
        path: str,
        document: Optional[Type[Document]],
        what: str,
        *,
        page_size: Optional[int] = DEFAULT_PAGE_SIZE,
        page_token: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        params_first: bool = False,
    ) -> Page[Any]:
        """Fetch one page; the returned page knows how to fetch the ones after it, re-sending
        the same query (filters survive every page).

        ``document=None`` keeps items as dicts (endpoints that return free-form objects).
        ``page_size=None`` leaves ``s`` out of the first request (the endpoints whose official
        methods send it only when given); ``params_first`` puts the other parameters before
        ``p``/``s``. The pages a walk fetches after the first are of ``walk_size(page_size)``:
        the largest page unless the caller chose a size."""
        if page_size is not None:
            check_page_size(page_size)
        base: Dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        walking = walk_size(page_size)

        def fetch(token: Optional[str], size: Optional[int]) -> Page[Any]:
            query: Dict[str, Any] = dict(base) if params_first else {}
            if token is not None:
                query["p"] = token
            if size is not None:
                query["s"] = str(size)
            if not params_first:
                query.update(base)
            body = self._call("GET", path, params=query)
            return self._page(body, document, what, lambda next_token: fetch(next_token, walking))

        if page_token is not None and not (isinstance(page_token, str) and page_token):
            raise ViInvalidParameterError("page_token", "page_token must be a non-empty string")
        return fetch(page_token, page_size)

    def _get_dict(
        self,
        path: str,
        what: str,
        *,
        method: str = "GET",
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        wrap: bool = False,
    ) -> Dict[str, Any]:
        """An answer the protocol types as ``dict``: any JSON object. ``wrap=True`` turns any
        other JSON value (or an empty body) into ``{"data": value}``, as the official client does
        for the few calls documented that way; otherwise a non-object is a broken response."""
        body = self._call(method, path, params=params, json=json)
        if isinstance(body, dict):
            return body
        if wrap:
            return {"data": "" if body is None else body}
        raise ViResponseError(
            "Malformed %s in response: expected a JSON object, got %s"
            % (what, "an empty body" if body is None else type(body).__name__)
        )

    def _call_ignoring_body(
        self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None, json: Any = None
    ) -> None:
        """Calls whose answer carries nothing (``:generate``, completions, deletes)."""
        self._call(method, path, params=params, json=json)

    def _delete(self, path: str, resource_id: str) -> DeletedResource:
        """A delete whose answer is (or should be) empty. The official client fails when such a
        DELETE answers with a document; any 2xx body is accepted here, since the delete happened."""
        self._call("DELETE", path)
        return DeletedResource(resource_id)

    # -- waiting -----------------------------------------------------------------------
    def _wait(
        self,
        poll: Callable[[], T],
        conditions: Callable[[T], Iterable[Any]],
        what: str,
        *,
        timeout: Optional[float],
        poll_interval: float,
        finished_condition: Optional[str] = None,
    ) -> T:
        """Poll until every condition is ``Reached`` or, with ``finished_condition``, until that
        one is; a ``FailedReach`` condition raises ``ViOperationError``."""
        if finished_condition is None:

            def done(result: T) -> bool:
                return all_reached(conditions(result))
        else:
            name: str = finished_condition

            def done(result: T) -> bool:
                return condition_reached(conditions(result), name)

        return wait_until_done(
            poll,
            done=done,
            failed=lambda result: failed_condition(conditions(result)),
            timeout=timeout,
            poll_interval=poll_interval,
            sleep=self._sleep,
            clock=self._clock,
            what=what,
            describe=lambda result: describe_conditions(conditions(result)),
        )

    @staticmethod
    def _page(
        body: Any,
        document: Optional[Type[Document]],
        what: str,
        fetch: Callable[[str], Page[Any]],
    ) -> Page[Any]:
        if not isinstance(body, dict):
            raise ViResponseError(
                "Malformed %s page in response: expected a JSON object, got %s" % (what, json_type(body))
            )
        raw_items = body.get("items")
        if raw_items is None:
            raw_items = []
        items: List[Any]
        if document is not None:
            items = decode_many(document, raw_items, what)
        elif isinstance(raw_items, list):
            items = list(raw_items)
        else:
            raise ViResponseError("Malformed %s page in response: items is not an array" % what)
        next_page = body.get("nextPage")
        prev_page = body.get("prevPage")
        for name, token in (("nextPage", next_page), ("prevPage", prev_page)):
            if token is not None and not isinstance(token, str):
                raise ViResponseError("Malformed %s page in response: %s is not a string" % (what, name))
        return Page(items, next_page, prev_page, fetch)
