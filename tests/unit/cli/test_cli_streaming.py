"""The command line's writers: listings stream page by page in constant memory, and every
format has a defined shape even for an empty listing."""

import argparse
import csv
import gc
import io
import json
import weakref

import pytest

from vi.cli import exits
from vi.cli.context import Context
from vi.cli.output import Writer, default_format, value_at


class _Item(dict):
    """A stand-in for a decoded model: weak-referenceable, with ``to_dict``."""

    def to_dict(self):
        return dict(self)


class _Page:
    def __init__(self, items):
        self.items = items


class _Listing:
    """A listing of ``pages`` pages that checks, as each page is fetched, that the previous page
    was already written out and is gone from memory (only the page being fetched is alive)."""

    def __init__(self, stream, pages, size):
        self.stream, self.pages_count, self.size = stream, pages, size
        self.fetched = 0

    def pages(self):
        alive = []
        for number in range(self.pages_count):
            if number >= 1:
                assert "row-%d-0" % (number - 1) in self.stream.getvalue(), "page %d was not flushed" % (
                    number - 1
                )
            if number >= 1:
                gc.collect()
                assert alive[number - 1]() is None, "page %d is still held" % (number - 1)
            items = [_Item(id="row-%d-%d" % (number, i), n=i) for i in range(self.size)]
            page = _Page(items)
            alive.append(weakref.ref(items[0]))
            self.fetched += 1
            yield page
            del page, items


def _context(stream, **options):
    values = dict(
        quiet=True, verbose=False, debug=False, output=None, columns=None, config_file=None, profile=None
    )
    values.update(options)
    return Context(argparse.Namespace(**values), stream, io.StringIO(), "datature-vi")


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_a_listing_is_written_page_by_page_holding_one_page(fmt):
    stream = io.StringIO()
    listing = _Listing(stream, pages=6, size=50)
    written = _context(stream, output=fmt).listing(lambda: listing, ["id", "n"])
    assert written == 300 and listing.fetched == 6
    text = stream.getvalue()
    if fmt == "jsonl":
        assert [json.loads(line)["id"] for line in text.splitlines()][-1] == "row-5-49"
    elif fmt == "json":
        assert len(json.loads(text)) == 300
    elif fmt == "csv":
        assert len(list(csv.reader(io.StringIO(text)))) == 301


def test_limit_stops_fetching():
    stream = io.StringIO()
    listing = _Listing(stream, pages=50, size=10)
    assert _context(stream).listing(lambda: listing, ["id"], limit=15) == 15
    assert listing.fetched == 2


@pytest.mark.parametrize(
    "fmt, expected", [("json", "[]\n"), ("csv", "a,b.c\n"), ("table", "a  b.c\n"), ("jsonl", "")]
)
def test_empty_listings_have_a_defined_shape(fmt, expected):
    stream = io.StringIO()
    writer = Writer(fmt, ["a", "b.c"], stream)
    writer.page([])
    writer.close()
    assert stream.getvalue() == expected


def test_cells_nested_values_and_dotted_columns():
    stream = io.StringIO()
    Writer("csv", ["a", "b.c", "d", "e"], stream).one(_Item(a=None, b={"c": True}, d={"x": [1]}, e="z"))
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [
        ["a", "b.c", "d", "e"],
        ["", "true", '{"x": [1]}', "z"],
    ]
    assert value_at({"a": {"b": 1}}, "a.b.c") is None


def test_default_format():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert default_format(Tty()) == "table" and default_format(io.StringIO()) == "jsonl"


def test_exit_codes_are_distinct_and_classify_sdk_errors():
    import vi

    codes = [exits.OK, exits.FAILURE, exits.USAGE, exits.AUTH, exits.NOT_FOUND, exits.PARTIAL, exits.NETWORK]
    assert len(set(codes)) == len(codes)
    assert exits.exit_code_for(vi.ViPermissionError("x")) == exits.AUTH
    assert exits.exit_code_for(vi.ViConfigurationError("x")) == exits.AUTH
    assert exits.exit_code_for(vi.ViNotFoundError("x")) == exits.NOT_FOUND
    assert exits.exit_code_for(vi.ViInvalidParameterError("p", "x")) == exits.USAGE
    assert exits.exit_code_for(vi.ViTimeoutError("x")) == exits.NETWORK
    assert exits.exit_code_for(vi.ViServerError("x")) == exits.FAILURE
    line = exits.one_line(vi.ViAuthenticationError("Invalid\nkey."))
    assert line == "Invalid key. Check the secret key and organization id the client was created with."
