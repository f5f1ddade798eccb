"""Page iteration: lazy, one page held at a time, ``limit``, loop guard (PROTOCOL §5)."""

import gc
import weakref

import pytest

import vi
from vi.pagination import Page


class Item:
    def __init__(self, n):
        self.n = n


def chain(pages, fetched):
    """Pages of ``pages`` items each; the fetch function records which tokens were asked for."""

    def fetch(token):
        fetched.append(token)
        index = int(token)
        nxt = str(index + 1) if index + 1 < len(pages) else None
        return Page([Item(n) for n in pages[index]], nxt, None, fetch)

    return Page([Item(n) for n in pages[0]], "1" if len(pages) > 1 else None, None, fetch)


def test_first_page_only_until_asked():
    fetched = []
    first = chain([[1, 2], [3, 4], [5]], fetched)
    assert len(first) == 2 and first[0].n == 1 and bool(first) and first.has_next
    assert fetched == []
    assert [i.n for i in first.all_items()] == [1, 2, 3, 4, 5]
    assert fetched == ["1", "2"]


def test_limits():
    fetched = []
    first = chain([[1, 2], [3, 4], [5]], fetched)
    assert [i.n for i in first.all_items(limit=3)] == [1, 2, 3]
    assert fetched == ["1"]  # the third page was never requested
    assert len(list(first.pages(limit=2))) == 2
    assert list(first.all_items(limit=0)) == []
    with pytest.raises(vi.ViInvalidParameterError):
        first.all_items(limit=-1)


def test_iteration_holds_one_page_at_a_time():
    fetched = []
    first = chain([[n] for n in range(50)], fetched)
    refs = []
    for index, page in enumerate(first):
        refs.append(weakref.ref(page))
        if index >= 2:
            gc.collect()
            alive = [r for r in refs[1:-1] if r() is not None]
            assert alive == [], "earlier pages are still referenced"
    assert len(refs) == 50


def test_repeated_token_raises_pagination_error():
    def fetch(token):
        return Page([1], "same", None, fetch)

    with pytest.raises(vi.PaginationError, match="twice"):
        list(Page([0], "same", None, fetch).all_items())
    assert issubclass(vi.PaginationError, vi.ViError)


def test_empty_token_means_end():
    assert Page([1], "", None).next_page is None
    assert list(Page([], None, None)) != []  # one (empty) page
    assert not Page([], None, None)


def test_walk_every_dataset_over_sockets(server, client):
    ids = [d.dataset_id for d in client.datasets]
    assert len(ids) == len(set(ids)) == 25
    pages = list(client.datasets.list(pagination={"page_size": 10}))
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [
        d.dataset_id for d in client.datasets.list(pagination={"page_size": 7}).all_items(limit=9)
    ] == ids[:9]
