"""Pages of a listing and lazy iteration over them (PROTOCOL §5).

A :class:`Page` is what ``list()`` returns: the first page only, fetched eagerly. Everything
past it is fetched lazily, one page at a time, and a page is dropped as soon as the iteration
moves on, so walking a listing of any length holds one page in memory (plus the caller's first
page, which the caller owns).

Unlike the official client, every listing continues to the end (PROTOCOL §16 items 14-16) and
a server that sends a token twice ends the walk with :class:`vi.errors.PaginationError` instead
of looping forever.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, List, Optional, Sequence, TypeVar, overload

from .errors import PaginationError, ViInvalidParameterError

__all__ = ["Page", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "check_page_size"]

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


def check_page_size(page_size: object) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ViInvalidParameterError("page_size", "page_size must be an integer, got %r" % (page_size,))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ViInvalidParameterError(
            "page_size", "page_size must be between 1 and %d, got %d" % (MAX_PAGE_SIZE, page_size)
        )
    return page_size


def check_limit(limit: object) -> Optional[int]:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ViInvalidParameterError(
            "limit", "limit must be a non-negative integer or None, got %r" % (limit,)
        )
    return limit


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
