"""Issue 6, bad input: hypothesis fuzzing of the public methods' arguments.

Every call either raises ``ViValidationError`` (``ViInvalidParameterError`` is one) before any
I/O — the in-process server saw no request — or, when the value is legitimately valid, sends
requests whose path is exactly the intended resource's: the decoded segments are the expected
ones, so nothing a caller passes (``../x``, ``%2e%2e``, ``a/b``, ``?x=1``, ``#frag``) can move a
request to another resource or smuggle query parameters. No other exception type escapes.
"""

import math
import re
from urllib.parse import parse_qs, unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import vi
from vi.testing import LocalViServer

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples every run
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = [
    "",
    " ",
    "\t",
    "\n",
    "abc\n",
    " abc",
    "abc ",
    "a b",
    "..",
    ".",
    "...",
    "../x",
    "x/..",
    "./x",
    "%2e%2e",
    "%2E%2E",
    "%2e%2e%2fx",
    "%2F",
    "a/b",
    "/a",
    "a/",
    "?x=1",
    "a?b=c",
    "#frag",
    "a#b",
    "a&s=1000",
    "a%20b",
    "a\\b",
    "\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    "é",
    "日本語",
    "😀",
    "\u202e",
    "\ufeff",
    "\ud800",
    "a\udfffb",
    "a" * 255,
    "a" * 256,
    "b" * 100_000,
    "CON",
    "null",
]
WRONG_TYPES = [
    None,
    0,
    1,
    -1,
    10**100,
    1.5,
    float("nan"),
    float("inf"),
    True,
    False,
    b"abc",
    bytearray(b"ab"),
    ["a"],
    ("a",),
    {"a": 1},
    {"a"},
    object(),
    Ellipsis,
]
ids = st.one_of(
    st.sampled_from(NASTY_TEXT + WRONG_TYPES),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="ascii"), max_size=40),
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),  # valid ids, so the I/O branch runs too
    st.binary(max_size=20),
    st.integers(),
    st.floats(),
)
texts = st.one_of(st.sampled_from(NASTY_TEXT + WRONG_TYPES), st.text(max_size=200), st.binary(max_size=10))
page_sizes = st.one_of(
    st.sampled_from([None, 0, 1, 10, 1000, 1001, -1, 10**30, True, False, 1.0, "10", b"1", [10]]),
    st.integers(min_value=-5, max_value=1005),
    st.floats(),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
odd_values = st.sampled_from([object(), {1, 2}, b"x", float("nan"), float("inf"), "\ud800", Ellipsis, 1 + 2j])
bodies = st.one_of(
    st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    st.dictionaries(st.one_of(st.integers(), st.none(), st.tuples(st.integers())), json_values, max_size=3),
    st.dictionaries(st.text(max_size=5), odd_values, min_size=1, max_size=2),
    st.sampled_from(WRONG_TYPES + ["{}", "[]", "", {}]),
    st.lists(json_values, max_size=3),
)
filters = st.one_of(texts, bodies)


@pytest.fixture(scope="module")
def world():
    server = LocalViServer()  # in-process: no sockets
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
        max_retries=0,
    )
    ds = client.datasets.list().items[0].dataset_id
    asset = client.assets.list(ds).items[0].asset_id
    ann = client.annotations.list(ds, asset).items[0].annotation_id
    yield server, client, {"ds": ds, "asset": asset, "ann": ann}
    client.close()


def short(org, value):
    """The short dataset id a (possibly composite) id stands for."""
    prefix = org + "_"
    return value[len(prefix) :] if value.startswith(prefix) else value


def is_id(value):
    """The documented id rule: 1-255 of ``[A-Za-z0-9_-]``, nothing else (no trailing newline)."""
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", value) is not None


def check(world, call, expected, query_key=None, value=None, valid=None):
    """Run ``call(client, ids)``; see the module docstring for what must hold.

    ``expected(org, ids)`` gives the decoded path segments of the first request sent; ``valid``
    (when known) says whether the argument must be sent (True) or refused before I/O (False)."""
    server, client, known = world
    server.stats.reset()
    try:
        call(client, known)
    except vi.ViValidationError as error:
        if server.stats.request_count == 0:
            assert valid is not True, "a valid argument was refused: %s" % error
            assert error.status_code is None
            assert error.message  # says what was wrong
            return
        assert error.status_code is not None and 400 <= error.status_code < 500
    except vi.ViError as error:
        assert server.stats.request_count > 0, "%r raised without I/O but is no ViValidationError" % error
    sent = server.stats.requests
    assert sent, "the call returned without sending anything"
    assert valid is not False, "an invalid argument was sent: %s" % sent[0].path
    org = server.organization_id
    record = sent[0]
    raw_segments = record.path.split("/")[1:]
    assert not any(s in (".", "..") for s in raw_segments), record.path
    assert [unquote(s) for s in raw_segments] == expected(org, known), record.path
    for later in sent[1:]:  # pages etc. stay inside the same organization
        assert later.path.startswith("/workspaces/%s/" % org), later.path
    if query_key is not None and isinstance(value, str):  # None: the parameter is left out
        query = parse_qs(record.query, keep_blank_values=True)
        assert query[query_key] == [value], record.query


def ws(org, *rest):
    return ["workspaces", org, *rest]


def ds_path(org, known, *rest, ds=None):
    return ws(org, "datasets", "%s_%s" % (org, short(org, ds if ds is not None else known["ds"])), *rest)


# -- ids in paths ---------------------------------------------------------------------------------
ID_CASES = {
    "datasets.get": (
        lambda c, k, v: c.datasets.get(v),
        lambda v: lambda org, k: ds_path(org, k, ds=v),
    ),
    "datasets.update": (
        lambda c, k, v: c.datasets.update(v, spec={"description": "fuzz"}),
        lambda v: lambda org, k: ds_path(org, k, ds=v),
    ),
    "datasets.delete": (
        lambda c, k, v: c.datasets.delete(v),
        lambda v: lambda org, k: ds_path(org, k, ds=v),
    ),
    "assets.get(dataset_id)": (
        lambda c, k, v: c.assets.get(v, k["asset"]),
        lambda v: lambda org, k: ds_path(org, k, "assets", k["asset"], ds=v),
    ),
    "assets.get(asset_id)": (
        lambda c, k, v: c.assets.get(k["ds"], v),
        lambda v: lambda org, k: ds_path(org, k, "assets", v),
    ),
    "assets.list(dataset_id)": (
        lambda c, k, v: c.assets.list(v),
        lambda v: lambda org, k: ds_path(org, k, "assets", ds=v),
    ),
    "assets.count(dataset_id)": (
        lambda c, k, v: c.assets.count(v),
        lambda v: lambda org, k: ds_path(org, k, "assets:count", ds=v),
    ),
    "assets.delete(asset_id)": (
        lambda c, k, v: c.assets.delete(k["ds"], v),
        lambda v: lambda org, k: ds_path(org, k, "assets", v),
    ),
    "assets.rename(asset_id)": (
        lambda c, k, v: c.assets.rename(k["ds"], "new.png", asset_id=v),
        lambda v: lambda org, k: ds_path(org, k, "assets", v, "name"),
    ),
    "annotations.list(asset_id)": (
        lambda c, k, v: c.annotations.list(k["ds"], v),
        lambda v: lambda org, k: ds_path(org, k, "assets", v, "annotations"),
    ),
    "annotations.get(annotation_id)": (
        lambda c, k, v: c.annotations.get(k["ds"], k["asset"], v),
        lambda v: lambda org, k: ds_path(org, k, "assets", k["asset"], "annotations", v),
    ),
    "annotations.delete(dataset_id)": (
        lambda c, k, v: c.annotations.delete(v, k["asset"], "ann-none"),
        lambda v: lambda org, k: ds_path(org, k, "assets", k["asset"], "annotations", "ann-none", ds=v),
    ),
    "runs.get": (lambda c, k, v: c.runs.get(v), lambda v: lambda org, k: ws(org, "runs", v)),
    "runs.kill": (lambda c, k, v: c.runs.kill(v), lambda v: lambda org, k: ws(org, "runs", v)),
    "flows.get": (lambda c, k, v: c.flows.get(v), lambda v: lambda org, k: ws(org, "flows", v)),
    "training_projects.get": (
        lambda c, k, v: c.training_projects.get(v),
        lambda v: lambda org, k: ws(org, "trainingProjects", v),
    ),
    "models.list": (
        lambda c, k, v: c.models.list(v),
        lambda v: lambda org, k: ws(org, "runs", v, "outputs"),
    ),
}


@pytest.mark.parametrize("name", sorted(ID_CASES))
@SETTINGS
@given(value=ids)
@example(value="../x")
@example(value="%2e%2e")
@example(value="a/b")
@example(value="?x=1")
@example(value="#frag")
@example(value="abc\n")
@example(value="abc")
def test_ids_are_refused_before_io_or_stay_in_their_segment(world, name, value):
    call, expected = ID_CASES[name]
    valid = is_id(short(world[0].organization_id, value) if isinstance(value, str) else value)
    check(world, lambda c, k: call(c, k, value), expected(value), valid=valid)


def test_a_valid_composite_dataset_id_is_accepted(world):
    server, _, known = world
    check(
        world,
        lambda c, k: c.datasets.get(server.organization_id + "_" + k["ds"]),
        lambda org, k: ds_path(org, k),
    )


# -- free-text names that become one path segment --------------------------------------------------
TEXT_SEGMENT_CASES = {
    "folders.get": (
        lambda c, k, v: c.folders.get(k["ds"], v),
        lambda v: lambda org, k: ds_path(org, k, "folders", v),
    ),
    "assets.rename(filename)": (
        lambda c, k, v: c.assets.rename(k["ds"], "new.png", filename=v),
        lambda v: lambda org, k: ds_path(org, k, "assetFiles", v, "name"),
    ),
}


@pytest.mark.parametrize("name", sorted(TEXT_SEGMENT_CASES))
@SETTINGS
@given(value=texts)
@example(value="../x")
@example(value="a/../../b")
@example(value="%2e%2e")
@example(value="?x=1#frag")
@example(value="..")
def test_free_text_names_stay_one_segment(world, name, value):
    call, expected = TEXT_SEGMENT_CASES[name]
    check(world, lambda c, k: call(c, k, value), expected(value))


# -- page sizes, page tokens, pagination objects -------------------------------------------------
@SETTINGS
@given(size=page_sizes)
def test_page_sizes(world, size):
    check(world, lambda c, k: c.datasets.list(page_size=size), lambda org, k: ws(org, "datasets"))
    check(
        world, lambda c, k: c.assets.list(k["ds"], page_size=size), lambda org, k: ds_path(org, k, "assets")
    )
    check(
        world,
        lambda c, k: c.models.list("run-x", page_size=size),
        lambda org, k: ws(org, "runs", "run-x", "outputs"),
    )
    check(
        world, lambda c, k: c.folders.list(k["ds"], page_size=size), lambda org, k: ds_path(org, k, "folders")
    )


@SETTINGS
@given(pagination=st.one_of(bodies, page_sizes, st.fixed_dictionaries({"page_size": page_sizes})))
def test_pagination_arguments(world, pagination):
    check(world, lambda c, k: c.datasets.list(pagination), lambda org, k: ws(org, "datasets"))
    check(
        world,
        lambda c, k: c.annotations.list(k["ds"], k["asset"], pagination),
        lambda org, k: ds_path(org, k, "assets", k["asset"], "annotations"),
    )


@SETTINGS
@given(token=texts)
def test_page_tokens_never_leave_the_query(world, token):
    # an unknown token is the server's 400; a token with '&s=…' or '#' cannot add parameters
    check(
        world,
        lambda c, k: c.datasets.list(page_token=token),
        lambda org, k: ws(org, "datasets"),
        query_key="p",
        value=token,
    )


# -- filters and query text ------------------------------------------------------------------------
@SETTINGS
@given(criteria=filters)
def test_filters(world, criteria):
    query = dict(query_key="filter", value=criteria) if isinstance(criteria, str) else {}
    check(
        world,
        lambda c, k: c.assets.list(k["ds"], filter_criteria=criteria),
        lambda org, k: ds_path(org, k, "assets"),
        **query,
    )
    check(
        world,
        lambda c, k: c.assets.count(k["ds"], filter_criteria=criteria),
        lambda org, k: ds_path(org, k, "assets:count"),
        **query,
    )


@SETTINGS
@given(text=texts)
def test_query_text_arguments(world, text):
    check(
        world,
        lambda c, k: c.assets.count(k["ds"], metadata_query=text),
        lambda org, k: ds_path(org, k, "assets:count"),
        query_key="metadataQuery",
        value=text,
    )
    check(
        world,
        lambda c, k: c.assets.list(k["ds"], rule_query=text),
        lambda org, k: ds_path(org, k, "assets"),
        query_key="ruleQuery",
        value=text,
    )


@SETTINGS
@given(flag=st.sampled_from(WRONG_TYPES + ["y", "n", "no", "true", "", 0.0]))
def test_boolean_flags_are_booleans(world, flag):
    check(
        world,
        lambda c, k: c.assets.get(k["ds"], k["asset"], contents=flag),
        lambda org, k: ds_path(org, k, "assets", k["asset"]),
    )
    check(
        world,
        lambda c, k: c.assets.count(k["ds"], strict_query=flag),
        lambda org, k: ds_path(org, k, "assets:count"),
    )


# -- bodies ------------------------------------------------------------------------------------------
@SETTINGS
@given(name=texts)
def test_dataset_create_names(world, name):
    check(world, lambda c, k: c.datasets.create(name), lambda org, k: ws(org, "datasets"))


@SETTINGS
@given(
    description=texts,
    tags=st.one_of(bodies, st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)),
    metadata=st.one_of(bodies, st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)),
)
def test_dataset_create_other_arguments(world, description, tags, metadata):
    check(
        world,
        lambda c, k: c.datasets.create("fuzz", description=description, tags=tags, metadata=metadata),
        lambda org, k: ws(org, "datasets"),
    )


@SETTINGS
@given(spec=bodies, metadata=st.one_of(st.none(), bodies))
def test_update_bodies(world, spec, metadata):
    check(
        world,
        lambda c, k: c.datasets.update(k["ds"], spec=spec, metadata=metadata),
        lambda org, k: ds_path(org, k),
    )


@SETTINGS
@given(body=bodies)
def test_annotation_bodies(world, body):
    check(
        world,
        lambda c, k: c.annotations.update(k["ds"], k["asset"], k["ann"], body=body),
        lambda org, k: ds_path(org, k, "assets", k["asset"], "annotations", k["ann"]),
    )


@SETTINGS
@given(new_name=texts)
def test_rename_new_names(world, new_name):
    check(
        world,
        lambda c, k: c.assets.rename(k["ds"], new_name, asset_id="ast-none"),
        lambda org, k: ds_path(org, k, "assets", "ast-none", "name"),
    )


# -- the regressions hypothesis found ---------------------------------------------------------------
def test_an_id_with_a_trailing_newline_is_refused_before_io(world):
    # check_id used "$", which also matches before a final "\n": "abc\n" passed as an id.
    server, client, known = world
    server.stats.reset()
    with pytest.raises(vi.ViInvalidParameterError):
        client.datasets.get(known["ds"] + "\n")
    with pytest.raises(vi.ViInvalidParameterError):
        client.assets.get(known["ds"], known["asset"] + "\n")
    assert server.stats.request_count == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c, k: c.datasets.update(k["ds"], spec={"description": float("nan")}),
        lambda c, k: c.datasets.update(k["ds"], spec={"description": math.inf}),
        lambda c, k: c.datasets.update(k["ds"], spec={"x": object()}),
        lambda c, k: c.datasets.update(k["ds"], spec={"description": "\ud800"}),
        lambda c, k: c.datasets.create("\ud800"),
        lambda c, k: c.folders.get(k["ds"], "\ud800"),
        lambda c, k: c.assets.count(k["ds"], filter_criteria="\ud800"),
        lambda c, k: c.assets.list(k["ds"], metadata_query="a\udfffb"),
    ],
    ids=[
        "nan",
        "inf",
        "object",
        "surrogate-body",
        "surrogate-create",
        "surrogate-path",
        "surrogate-filter",
        "surrogate-query",
    ],
)
def test_bodies_and_text_that_cannot_be_sent_are_refused_before_io(world, call):
    # Found by the fuzzing above: an unserialisable spec leaked a TypeError, NaN went out as
    # the non-JSON token NaN, and a lone surrogate leaked UnicodeEncodeError (body, path) or
    # came back as a ViNetworkError (query).
    server, client, known = world
    server.stats.reset()
    with pytest.raises(vi.ViValidationError) as info:
        call(client, known)
    assert server.stats.request_count == 0
    assert info.value.status_code is None


@pytest.mark.parametrize("field", ["secret_key", "organization_id"])
def test_credentials_with_a_trailing_newline_are_refused_at_construction(field):
    # Same "$" in config.py: a key or organization id ending in "\n" was accepted and only failed
    # on the first request, as a ViNetworkError about an invalid header.
    server = LocalViServer()
    kwargs = {"secret_key": server.secret_key, "organization_id": server.organization_id}
    kwargs[field] += "\n"
    with pytest.raises(vi.ViConfigurationError):
        vi.Client(endpoint="http://vi.local", adapters={"http://vi.local/": server.adapter()}, **kwargs)
