"""Issue 6, malformed responses: whatever the server (or a proxy in front of it) answers, a call
raises a ``ViError`` that names the problem, never ``KeyError``, ``TypeError``,
``JSONDecodeError``, a bare ``ValueError``/``RecursionError`` or a marshmallow ``ValidationError``.

The in-process server's fault rules answer in place of the API: a dict/list body is sent as JSON,
a str as text, bytes as they are. Hypothesis fuzzes whole bodies and single-field mutations of
the real documents; the rest are the cases a proxy or a broken deployment produces.
"""

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

import vi
from vi.testing import LocalViServer

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON_TYPE = {"Content-Type": "application/json"}
HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
)


@pytest.fixture(scope="module")
def world():
    server = LocalViServer()
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
        retry_config=vi.RetryConfig(max_retries=0, max_rate_limit_retries=0),
    )
    ds = client.datasets.list().items[0].dataset_id
    asset = client.assets.list(ds).items[0].asset_id
    ann = client.annotations.list(ds, asset).items[0].annotation_id
    run = client.runs.list().items[0].run_id
    known = {
        "ds": ds,
        "asset": asset,
        "ann": ann,
        "run": run,
        "flow": client.flows.list().items[0].flow_id,
        "tp": client.training_projects.list().items[0].training_project_id,
        "folder": client.folders.list(ds).items[0]["name"],
    }
    yield server, client, known
    client.close()


# name: (method, path regex the fault answers for, call)
CALLS = {
    "organizations.get": ("GET", r"^/workspaces/[^/]+$", lambda c, k: c.organizations.get()),
    "organizations.list": ("GET", r"^/workspaces$", lambda c, k: c.organizations.list()),
    "datasets.get": ("GET", r"/datasets/[^/]+$", lambda c, k: c.datasets.get(k["ds"])),
    "datasets.list": ("GET", r"/datasets$", lambda c, k: c.datasets.list()),
    "datasets.create": ("POST", r"/datasets$", lambda c, k: c.datasets.create("malformed")),
    "datasets.update": (
        "PATCH",
        r"/datasets/[^/]+$",
        lambda c, k: c.datasets.update(k["ds"], spec={"description": "x"}),
    ),
    "assets.get": ("GET", r"/assets/[^/]+$", lambda c, k: c.assets.get(k["ds"], k["asset"])),
    "assets.list": ("GET", r"/assets$", lambda c, k: c.assets.list(k["ds"])),
    "assets.count": ("GET", r"/assets:count$", lambda c, k: c.assets.count(k["ds"])),
    "annotations.get": (
        "GET",
        r"/annotations/[^/]+$",
        lambda c, k: c.annotations.get(k["ds"], k["asset"], k["ann"]),
    ),
    "annotations.list": ("GET", r"/annotations$", lambda c, k: c.annotations.list(k["ds"], k["asset"])),
    "runs.get": ("GET", r"/runs/[^/]+$", lambda c, k: c.runs.get(k["run"])),
    "runs.list": ("GET", r"/runs$", lambda c, k: c.runs.list()),
    "flows.get": ("GET", r"/flows/[^/]+$", lambda c, k: c.flows.get(k["flow"])),
    "training_projects.get": (
        "GET",
        r"/trainingProjects/[^/]+$",
        lambda c, k: c.training_projects.get(k["tp"]),
    ),
    "models.list": ("GET", r"/outputs$", lambda c, k: c.models.list(k["run"])),
    "models.get": ("GET", r"/outputs$", lambda c, k: c.models.get(k["run"])),
    "folders.get": ("GET", r"/folders/[^/]+$", lambda c, k: c.folders.get(k["ds"], k["folder"])),
    "folders.list": ("GET", r"/folders$", lambda c, k: c.folders.list(k["ds"])),
}
LISTS = [
    "organizations.list",
    "datasets.list",
    "assets.list",
    "annotations.list",
    "runs.list",
    "models.list",
    "folders.list",
]
TYPED_LISTS = [name for name in LISTS if name != "folders.list"]


def answer(world, name, *, status=200, body=None, headers=None):
    """Run call ``name`` with the server answering ``status``/``body`` once; return the error
    raised (asserting it is a ViError), or None if the call succeeded."""
    server, client, known = world
    method, path, call = CALLS[name]
    server.faults.clear()
    rule = server.faults.add(method=method, path=path, status=status, body=body, headers=headers, times=1)
    try:
        call(client, known)
    except vi.ViError as error:
        assert not isinstance(error, ValidationError)
        assert rule.hits == 1
        return error
    except BaseException as error:  # noqa: B902 - the point: nothing else may escape
        pytest.fail("%s leaked %s: %s" % (name, type(error).__name__, error))
    finally:
        server.faults.clear()
    assert rule.hits == 1
    return None


def raises(world, name, **kwargs):
    error = answer(world, name, **kwargs)
    assert error is not None, "%s accepted a malformed answer" % name
    return error


# -- what a proxy or a broken deployment sends --------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CALLS))
def test_html_error_page_with_200(world, name):
    error = raises(world, name, body=HTML, headers={"Content-Type": "text/html"})
    assert isinstance(error, vi.ViResponseError)
    assert "text/html" in error.message and "not valid JSON" in error.message
    assert "Bad Gateway" in error.message  # the start of what came back, to recognise the proxy
    assert error.status_code == 200


@pytest.mark.parametrize("name", sorted(CALLS))
def test_html_error_page_with_502(world, name):
    error = raises(world, name, status=502, body=HTML, headers={"Content-Type": "text/html"})
    assert isinstance(error, vi.ViServerError) and error.status_code == 502
    assert "Bad Gateway" in error.message and error.attempts == 1


@pytest.mark.parametrize("name", sorted(CALLS))
def test_empty_200_where_a_document_is_expected(world, name):
    error = raises(world, name, body=b"", headers=JSON_TYPE)
    assert isinstance(error, vi.ViResponseError)
    assert "empty body" in error.message or name == "assets.count", error.message


@pytest.mark.parametrize("name", sorted(CALLS))
def test_json_array_where_an_object_is_expected(world, name):
    error = raises(world, name, body=[{"items": []}, 1])
    assert isinstance(error, vi.ViResponseError)
    assert "array" in error.message or "JSON object" in error.message or "asset count" in error.message


@pytest.mark.parametrize(
    "body, problem",
    [
        (b'{"name": "\xff\xfe caf\xe9"}', "utf-8"),
        (b'{"count": ' + b"9" * 5000 + b"}", "digits"),  # past int("...") limits: not a crash
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),  # RecursionError in json
        (b'{"items": [', "not valid JSON"),
        (b"\x00\x01\x02binary", "not valid JSON"),
        (b"NaN?", "not valid JSON"),
    ],
    ids=["invalid-utf8", "huge-number-text", "deep-nesting", "cut-json", "binary", "garbage"],
)
@pytest.mark.parametrize(
    "name", ["datasets.get", "datasets.list", "assets.count", "folders.get", "models.get"]
)
def test_undecodable_bodies(world, name, body, problem):
    error = raises(world, name, body=body, headers=JSON_TYPE)
    assert isinstance(error, vi.ViResponseError)
    assert problem in error.message, error.message
    assert "application/json" in error.message


@pytest.mark.parametrize("status", [400, 404, 429, 500, 502, 503])
def test_undecodable_error_bodies_still_give_the_status_error(world, status):
    for body in (b"[" * 100_000, b"\xff\xfe", HTML, b"", [1, 2], {"message": {"deep": [1]}}, {"error": 5}):
        error = raises(world, "datasets.get", status=status, body=body)
        assert isinstance(error, vi.errors.error_for_status(status)) and error.status_code == status
        assert error.message


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize(
    "body",
    [None, 0, 10**30, 1e308, True, "text", [], {"unexpected": {"deep": [[[]]]}}],
    ids=["null", "zero", "huge-int", "huge-float", "true", "string", "empty-array", "garbage"],
)
def test_wrong_json_values(world, name, body):
    raw = json.dumps(body).encode()
    error = answer(world, name, body=raw, headers=JSON_TYPE)
    if error is None:
        # what may legitimately decode: an empty listing ({"unexpected": …} has no items), any
        # object where the protocol types the answer as a dict, and a bare count
        assert (
            (name in LISTS or name == "folders.get")
            and isinstance(body, dict)
            or (name == "assets.count" and body in (0, 10**30))
        ), name
    elif name == "models.get" and isinstance(body, dict):
        assert isinstance(error, vi.ViNotFoundError)  # documented: an envelope without items
    else:
        assert isinstance(error, vi.ViResponseError) and "Malformed" in error.message, error.message


# -- schema mismatches name the field path ----------------------------------------------------------
def real_body(world, name):
    """The server's own answer for call ``name`` (fetched raw, no faults)."""
    server, client, known = world
    method, _, call = CALLS[name]
    server.stats.reset()
    try:
        call(client, known)
    except vi.ViError:
        pass
    record = server.stats.requests[-1]
    session = requests.Session()
    session.mount("http://vi.local/", server.adapter())
    url = "http://vi.local" + record.path + ("?" + record.query if record.query else "")
    headers = {"Authorization": "Bearer " + server.secret_key, "Organization-Id": server.organization_id}
    if method != "GET":  # the writes answer with the document they wrote; read it back instead
        return None
    return session.get(url, headers=headers).json()


def test_missing_required_fields_are_named(world):
    error = raises(world, "datasets.get", body={"name": "only a name"})
    assert "Malformed dataset" in error.message and "Missing data for required field" in error.message
    assert "datasetId: Missing data for required field." in error.details["fields"]
    assert "(and 13 more)" in error.message  # all of them are in details["fields"]


def test_a_nested_wrong_type_is_named_by_its_path(world):
    doc = real_body(world, "datasets.get")
    doc["statistic"]["assetTotal"] = "many"
    error = raises(world, "datasets.get", body=doc)
    assert "statistic.assetTotal" in error.message
    page = real_body(world, "datasets.list")
    page["items"][1]["createDate"] = "yesterday"
    error = raises(world, "datasets.list", body=page)
    assert "items[1].createDate" in error.message


@pytest.mark.parametrize("name", TYPED_LISTS + ["folders.list"])
def test_pages_items_not_a_list(world, name):
    error = raises(world, name, body={"items": {"0": {}}, "nextPage": None})
    assert isinstance(error, vi.ViResponseError)
    assert "array" in error.message or "items" in error.message, error.message


@pytest.mark.parametrize("name", TYPED_LISTS)
def test_pages_item_not_an_object(world, name):
    page = real_body(world, name)
    page["items"] = page["items"][:1] + ["not an object"]
    error = raises(world, name, body=page)
    assert "items[1]" in error.message and "not an object" in error.message, error.message


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("token", [5, True, ["p"], {"p": 1}])
def test_pages_next_page_not_a_string(world, name, token):
    page = real_body(world, name)
    page["nextPage"] = token
    error = raises(world, name, body=page)
    assert "nextPage is not a string" in error.message


def test_a_malformed_later_page_raises_while_walking(world):
    server, client, known = world
    server.faults.clear()
    first = client.datasets.list(page_size=5)
    assert first.next_page
    server.faults.add(
        method="GET", path=r"/datasets$", status=200, body={"items": [{"datasetId": 1}]}, times=1
    )
    try:
        with pytest.raises(vi.ViResponseError, match=r"items\[0\]\.") as info:
            list(first.all_items())
        assert any(f.startswith("items[0].datasetId:") for f in info.value.details["fields"])
    finally:
        server.faults.clear()


def test_asset_count_shapes(world):
    for body in ({"count": "5"}, {"count": -1}, {"count": 1.5}, {"count": True}, {"total": 5}, b'"5"', [5]):
        error = raises(world, "assets.count", body=body)
        assert "asset count" in error.message
    assert answer(world, "assets.count", body=json.dumps(7).encode(), headers=JSON_TYPE) is None


# -- hypothesis: fuzzed JSON bodies and single-field mutations ----------------------------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**40),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.just(""),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)


@pytest.mark.parametrize("name", sorted(CALLS))
@SETTINGS
@given(
    body=st.one_of(
        json_values,
        st.dictionaries(
            st.sampled_from(["items", "nextPage", "prevPage", "count", "runOutputId", "kind"]), json_values
        ),
    )
)
def test_fuzzed_json_bodies(world, name, body):
    error = answer(world, name, body=json.dumps(body).encode(), headers=JSON_TYPE)
    if error is not None:
        assert isinstance(error, (vi.ViResponseError, vi.ViNotFoundError)), repr(error)
        assert error.message


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"datasets.create", "datasets.update"}))
@SETTINGS
@given(data=st.data())
def test_single_field_mutations_of_real_documents(world, name, data):
    doc = real_body(world, name)
    target, path = doc, []
    while isinstance(target, (dict, list)) and target and data.draw(st.integers(0, 3), label="deeper") > 0:
        key = data.draw(st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target))))
        if not isinstance(target[key], (dict, list)) or not target[key]:
            break
        path.append(key)
        target = target[key]
    if not isinstance(target, (dict, list)) or not target:
        return
    key = data.draw(
        st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target))), label="key"
    )
    if isinstance(target, dict) and data.draw(st.booleans(), label="delete"):
        del target[key]
    else:
        target[key] = data.draw(json_values, label="value")
    path.append(key)
    error = answer(world, name, body=json.dumps(doc).encode(), headers=JSON_TYPE)
    if isinstance(error, vi.ViResponseError) and "Malformed" in error.message and error.details.get("fields"):
        # a schema mismatch names where it is; the changed field is the only thing that changed
        wire = [str(p) for p in path if isinstance(p, str)]
        fields = " ".join(error.details["fields"])
        assert not wire or any(w in fields for w in wire), (path, error.details["fields"])
    elif error is not None:
        assert isinstance(error, (vi.ViResponseError, vi.ViNotFoundError)), repr(error)
