"""Pages: a walk uses the largest page unless the caller chose a size; iterating a page yields
pages (as the official client does) and the item-attribute slip explains itself."""

import pytest

from vi.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, walk_size


def test_walk_size_is_the_largest_page_unless_chosen():
    assert DEFAULT_PAGE_SIZE == 10 and str(DEFAULT_PAGE_SIZE) == "10"
    assert walk_size(DEFAULT_PAGE_SIZE) == MAX_PAGE_SIZE == 1000
    assert walk_size(None) == MAX_PAGE_SIZE
    assert walk_size(10) == 10 and walk_size(250) == 250  # an explicit size holds for every page


class Item:
    def __init__(self, name):
        self.name = name


def three_pages():
    pages = {"t2": Page([Item("c"), Item("d")], "t3"), "t3": Page([Item("e")])}
    return Page([Item("a"), Item("b")], "t2", fetch=pages.__getitem__)


def test_iterating_a_page_yields_pages_and_all_items_yields_items():
    assert [len(p) for p in three_pages()] == [2, 2, 1]
    assert [i.name for i in three_pages().all_items()] == ["a", "b", "c", "d", "e"]


def test_an_item_attribute_on_a_page_says_what_to_use_instead():
    for page in three_pages():
        with pytest.raises(AttributeError) as raised:
            getattr(page, "name")  # noqa: B009 - the slip being tested
        text = str(raised.value)
        assert "'Page' object has no attribute 'name' (its items have one)" in text
        assert "page.items" in text and "page.all_items()" in text
        break
    with pytest.raises(AttributeError, match="has no attribute 'nope'. A Page"):
        getattr(Page([]), "nope")  # noqa: B009
    assert not hasattr(Page([]), "__deepcopy_missing__")
    assert Page([Item("a")]).items[0].name == "a"  # real attributes unaffected
