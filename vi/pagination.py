"""Pages of a listing, lazy iteration over them, and the paging arguments of ``list()``.

A :class:`Page` is what ``list()`` returns: the first page only, fetched eagerly. Everything
past it is fetched lazily, one page at a time, and a page is dropped as soon as the iteration
moves on, so walking a listing of any length holds one page in memory (plus the caller's first
page, which the caller owns).

Unlike the official client, every listing continues to the end (it stops after one page) and
a server that sends a token twice ends the walk with :class:`vi.errors.PaginationError` instead
of looping forever.

A walk (``all_items()``, ``pages()``, iterating a page or a resource) fetches the pages after the
first one as large as the API allows, unless the caller chose a page size: walking 5,000 items
20 ms away then takes 6 requests instead of 500. The caller "did not choose" when the size is
:data:`DEFAULT_PAGE_SIZE` itself, an ``int`` that remembers it is the default (an explicit
``page_size=10`` is a plain ``int`` and holds for every page).
"""

from __future__ import annotations

from typing import (
    Any,
    Callable,
    Generic,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from .checks import MAX_PAGE_SIZE, check_limit, check_page_args, check_page_size
from .errors import PaginationError, ViInvalidParameterError

__all__ = [
    "Page",
    "PaginationParams",
    "PaginationArg",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "optional_paging",
    "walk_size",
]

T = TypeVar("T")


class _DefaultPageSize(int):
    """The page size nobody chose: equal to 10 (and sent as ``10``), recognisably the default."""


#: Items per page when the caller gives no ``page_size`` (the official client's 10). Walks
#: fetch the pages after the first with :data:`MAX_PAGE_SIZE` instead (see :func:`walk_size`).
DEFAULT_PAGE_SIZE: int = _DefaultPageSize(10)


def walk_size(page_size: Optional[int]) -> int:
    """The page size for the pages a walk fetches after the first: the caller's choice, or the
    largest page when the caller made none (``page_size`` is the default, or absent)."""
    if page_size is None or isinstance(page_size, _DefaultPageSize):
        return MAX_PAGE_SIZE
    return page_size


class Page(Generic[T]):
    """One page of a listing.

    ``len(page)``, indexing and truthiness are about this page; iterating yields pages (this
    one first), ``all_items()`` yields items across every page. Both stop at ``limit``.
    """

    __slots__ = ("items", "next_page", "prev_page", "_fetch", "__weakref__")

    def __init__(
        self,
        items: List[T],
        next_page: Optional[str] = None,
        prev_page: Optional[str] = None,
        fetch: Optional[Callable[[str], "Page[T]"]] = None,
    ) -> None:
        self.items = items
        self.next_page = next_page or None
        self.prev_page = prev_page or None
        self._fetch = fetch

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self.items[index]

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator["Page[T]"]:
        return self.pages()

    def __repr__(self) -> str:
        return "Page(items=%d, next_page=%s)" % (len(self.items), "yes" if self.next_page else "no")

    def __getattr__(self, name: str) -> Any:
        # Only reached when ``name`` is not an attribute of Page: most often the slip
        # ``for d in client.datasets.list(): d.name``, where ``d`` is a page, not a dataset.
        if name.startswith("__") or name in Page.__slots__:
            raise AttributeError(name)
        items = object.__getattribute__(self, "items")
        of_items = bool(items) and hasattr(items[0], name)
        raise AttributeError(
            "'Page' object has no attribute %r%s. A Page is one page of a listing, and iterating "
            "a Page yields pages (as in the official client), not items: use page.items for the "
            "items of this page, or page.all_items() for every item across pages "
            "(for item in client.datasets.list().all_items(): ...)."
            % (name, " (its items have one)" if of_items else "")
        )

    @property
    def has_next(self) -> bool:
        return self.next_page is not None

    def pages(self, limit: Optional[int] = None) -> Iterator["Page[T]"]:
        """This page, then each following one, fetched only when asked for; at most ``limit``."""
        limit = check_limit(limit)
        return self._walk(limit)

    def _walk(self, limit: Optional[int]) -> Iterator["Page[T]"]:
        if limit == 0:
            return
        token, fetch = self.next_page, self._fetch
        yield self
        # From here on this generator holds no page: the caller decides what stays alive, so a
        # walk nobody else holds keeps one page (plus the one being fetched) in memory.
        del self
        seen = set()
        count = 1
        while token is not None and (limit is None or count < limit):
            if token in seen:
                raise PaginationError(
                    "The server returned page token %r twice; stopping to avoid an endless loop" % token
                )
            seen.add(token)
            if fetch is None:
                raise PaginationError("This page was built without a way to fetch the next one")
            page = fetch(token)
            count += 1
            token = page.next_page
            yield page
            del page

    def all_items(self, limit: Optional[int] = None) -> Iterator[T]:
        """Items across every page, lazily; at most ``limit`` items."""
        limit = check_limit(limit)
        return self._items(limit)

    def _items(self, limit: Optional[int]) -> Iterator[T]:
        if limit == 0:
            return
        pages = self._walk(None)
        del self
        produced = 0
        for page in pages:
            items = page.items
            del page  # while the next page is fetched, only the last item handed out stays
            for item in items:
                yield item
                produced += 1
                if limit is not None and produced >= limit:
                    return
            del items

    def to_dataframe(self, limit: Optional[int] = None) -> Any:
        """The items of every page (at most ``limit``) as a pandas DataFrame, one flat row each:
        see :mod:`vi.tables` for the columns (needs the ``pandas`` extra)."""
        from .tables import to_dataframe

        return to_dataframe(self.all_items(limit))


# -- pagination arguments --------------------------------------------------------------------
class PaginationParams:
    """Where a listing starts and how big its pages are.

    Kept for code written against the official client, which passes ``pagination=``; values
    are checked on construction so a bad page size fails before any request is made."""

    __slots__ = ("page_token", "page_size")

    def __init__(self, page_token: Optional[str] = None, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_token is not None and not (isinstance(page_token, str) and page_token):
            raise ViInvalidParameterError(
                "page_token", "page_token must be a non-empty string or None, got %r" % (page_token,)
            )
        self.page_token = page_token
        self.page_size = check_page_size(page_size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PaginationParams):
            return NotImplemented
        return (self.page_token, self.page_size) == (other.page_token, other.page_size)

    def __repr__(self) -> str:
        return "PaginationParams(page_token=%r, page_size=%r)" % (self.page_token, self.page_size)

    @classmethod
    def coerce(
        cls,
        pagination: "PaginationArg" = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> "PaginationParams":
        """One ``PaginationParams`` from ``pagination=`` (object or dict) or the keywords.

        Mixing both is refused: silently preferring one would hide a caller's mistake."""
        if pagination is not None and (page_size is not None or page_token is not None):
            raise ViInvalidParameterError(
                "pagination", "Pass either pagination= or page_size=/page_token=, not both"
            )
        if pagination is None:
            return cls(
                page_token=page_token,
                page_size=DEFAULT_PAGE_SIZE if page_size is None else page_size,
            )
        if isinstance(pagination, PaginationParams):
            return pagination
        if isinstance(pagination, Mapping):
            unknown = sorted(str(k) for k in pagination if k not in ("page_token", "page_size"))
            if unknown:
                raise ViInvalidParameterError(
                    "pagination",
                    "pagination accepts only the keys 'page_token' and 'page_size', got %s"
                    % ", ".join(repr(k) for k in unknown),
                )
            return cls(
                page_token=pagination.get("page_token"),
                page_size=pagination.get("page_size", DEFAULT_PAGE_SIZE),
            )
        raise ViInvalidParameterError(
            "pagination",
            "pagination must be a PaginationParams or a dict, got %s" % type(pagination).__name__,
        )


PaginationArg = Union[PaginationParams, Mapping[str, Any], None]


def optional_paging(
    pagination: PaginationArg, page_size: Optional[int], page_token: Optional[str]
) -> Tuple[Optional[int], Optional[str]]:
    """Paging for endpoints whose official method sends no ``s``: only what the caller gave,
    from ``pagination=`` or the keywords."""
    if pagination is None:
        return check_page_args(page_size, page_token)
    paging = PaginationParams.coerce(pagination, page_size, page_token)
    return paging.page_size, paging.page_token
