"""Resource classes against a recording requester: paths, queries, bodies, paging, and the
argument checks that must fail before any request is made."""

from __future__ import annotations

import json

import pytest

from tests.helpers.resource_fakes import ORG, FakeRequester, load_example
from vi.errors import PaginationError, ViInvalidParameterError, ViResponseError, ViValidationError
from vi.resources import (
    Annotation,
    Annotations,
    Asset,
    Assets,
    AssetSortCriterion,
    Dataset,
    Datasets,
    DeletedDataset,
    Organization,
    Organizations,
    PaginationParams,
    Run,
    Runs,
)

WS = "/workspaces/" + ORG
DS = WS + "/datasets/" + ORG + "_dsx9k2m7"

BAD_IDS = ["../x", "a/b", "?x=1", "", None, "x" * 256, "a b", "a#b", 5, True, "ds.x"]


def page(example, next_page=None, items=None):
    body = load_example(example)
    if items is not None:
        body["items"] = items
    body["nextPage"] = next_page
    return body


# -- organizations ----------------------------------------------------------------------------
def test_organizations_list_get_update():
    fake = FakeRequester(
        load_example("organizations-list"),
        load_example("organizations-get"),
        load_example("organizations-get"),
    )
    orgs = Organizations(fake)
    first = orgs.list()
    assert [o.name for o in first.items] == ["Acme Robotics"]
    assert isinstance(first[0], Organization)
    assert fake.calls[0] == ("GET", "/workspaces", [("s", "10")], None)

    assert orgs.get().organization_id == ORG
    assert fake.calls[1][:2] == ("GET", WS)

    orgs.update(spec={"name": "Acme Robotics (EU)"}, metadata={"region": "eu"})
    method, path, params, body = fake.calls[2]
    assert (method, path, params) == ("PATCH", WS, None)
    assert body == load_example("organizations-update-request")


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({}, ViValidationError),
        ({"spec": None, "metadata": None}, ViValidationError),
        ({"spec": "name=x"}, ViInvalidParameterError),
        ({"spec": {1: "x"}}, ViInvalidParameterError),
        ({"metadata": {"a": 1}}, ViInvalidParameterError),
        ({"metadata": ["a"]}, ViInvalidParameterError),
        ({"spec": {"metadata": {}}, "metadata": {"a": "b"}}, ViValidationError),
    ],
)
def test_organizations_update_validates_before_io(kwargs, error):
    fake = FakeRequester()
    with pytest.raises(error):
        Organizations(fake).update(**kwargs)
    assert fake.calls == []


def test_organizations_is_iterable_over_all_pages():
    p1 = page("organizations-list", next_page="tok2")
    p2 = page("organizations-list")
    p2["items"][0]["name"] = "Second"
    fake = FakeRequester(p1, p2)
    assert [o.name for o in Organizations(fake)] == ["Acme Robotics", "Second"]
    assert fake.calls[1] == (
        "GET",
        "/workspaces",
        [("p", "tok2"), ("s", "1000")],
        None,
    )  # the walk: largest pages


# -- datasets ---------------------------------------------------------------------------------
def test_datasets_list_sends_page_size_and_walks_pages():
    p1 = load_example("datasets-list")  # nextPage "eyJvZmZzZXQiOjEwfQ"
    p2 = page("datasets-list")
    p2["items"][0]["datasetId"] = ORG + "_second"
    fake = FakeRequester(p1, p2)
    first = Datasets(fake).list(PaginationParams(page_size=50))
    assert first.next_page == "eyJvZmZzZXQiOjEwfQ"
    assert len(fake.calls) == 1  # the first page only, eagerly
    ids = [d.dataset_id for d in first.all_items()]
    assert ids == ["dsx9k2m7", "second"]
    assert fake.calls == [
        ("GET", WS + "/datasets", [("s", "50")], None),
        ("GET", WS + "/datasets", [("p", "eyJvZmZzZXQiOjEwfQ"), ("s", "50")], None),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.list({"page_size": 25, "page_token": "abc"}),
        lambda r: r.list(pagination={"page_size": 25, "page_token": "abc"}),
        lambda r: r.list(PaginationParams(page_token="abc", page_size=25)),
        lambda r: r.list(page_size=25, page_token="abc"),
    ],
)
def test_datasets_list_pagination_spellings(call):
    fake = FakeRequester(page("datasets-list"))
    call(Datasets(fake))
    assert fake.calls[0][2] == [("p", "abc"), ("s", "25")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pagination": {"page": 2}},
        {"pagination": {"page_size": 0}},
        {"pagination": {"page_size": 1001}},
        {"pagination": {"page_size": "10"}},
        {"pagination": {"page_size": True}},
        {"pagination": {"page_token": ""}},
        {"pagination": 10},
        {"page_size": 0},
        {"page_size": -1},
        {"page_size": 2.5},
        {"page_token": ""},
        {"page_token": 5},
        {"pagination": {"page_size": 5}, "page_size": 5},
    ],
)
def test_bad_pagination_is_refused_before_io(kwargs):
    fake = FakeRequester()
    with pytest.raises(ViInvalidParameterError):
        Datasets(fake).list(**kwargs)
    with pytest.raises(ViInvalidParameterError):
        Runs(fake).list(**kwargs)
    with pytest.raises(ViInvalidParameterError):
        Assets(fake).list("dsx9k2m7", **kwargs)
    with pytest.raises(ViInvalidParameterError):
        Annotations(fake).list("dsx9k2m7", "ast-1", **kwargs)
    assert fake.calls == []


def test_pagination_params_validates_on_construction():
    with pytest.raises(ViInvalidParameterError):
        PaginationParams(page_size=0)
    with pytest.raises(ViInvalidParameterError):
        PaginationParams(page_token="")
    assert PaginationParams() == PaginationParams(None, 10)
    assert repr(PaginationParams("t", 5)) == "PaginationParams(page_token='t', page_size=5)"


def test_repeated_page_token_stops_the_walk():
    fake = FakeRequester(page("datasets-list", "same"), page("datasets-list", "same"))
    with pytest.raises(PaginationError):
        list(Datasets(fake))


def test_datasets_iterates_all_items():
    fake = FakeRequester(page("datasets-list", "t2"), page("datasets-list"))
    items = list(Datasets(fake))
    assert len(items) == 2 and all(isinstance(d, Dataset) for d in items)


def test_datasets_list_simple_keeps_dicts():
    body = {"items": [{"datasetId": ORG + "_a", "name": "A", "type": "vqa"}], "nextPage": None}
    fake = FakeRequester(body)
    result = Datasets(fake).list_simple()
    assert result.items == [{"datasetId": ORG + "_a", "name": "A", "type": "vqa"}]
    assert fake.calls[0] == ("GET", WS + "/simpleDatasets", [("s", "10")], None)


def test_datasets_get_accepts_short_and_composite_ids():
    fake = FakeRequester(load_example("datasets-get"), load_example("datasets-get"))
    ds = Datasets(fake)
    assert ds.get("dsx9k2m7").dataset_id == "dsx9k2m7"
    assert ds.get(ORG + "_dsx9k2m7").dataset_id == "dsx9k2m7"
    assert fake.paths == [DS, DS]


def test_datasets_get_short_id_with_underscore():
    body = load_example("datasets-get")
    body["datasetId"] = ORG + "_my_ds"
    fake = FakeRequester(body)
    assert Datasets(fake).get("my_ds").dataset_id == "my_ds"
    assert fake.paths == [WS + "/datasets/" + ORG + "_my_ds"]


def test_path_segments_are_percent_encoded():
    org = "org id/1"
    body = load_example("datasets-get")
    body["workspaceId"] = org
    body["datasetId"] = org + "_ds1"
    fake = FakeRequester(body, organization_id=org)
    assert Datasets(fake).get("ds1").dataset_id == "ds1"
    assert fake.paths == ["/workspaces/org%20id%2F1/datasets/org%20id%2F1_ds1"]


def test_datasets_create_body_matches_the_protocol():
    fake = FakeRequester(load_example("datasets-get"))
    ds = Datasets(fake).create(
        "Drone Footage 2025",
        description="Aerial imagery for phrase grounding",
        metadata={"team": "research"},
    )
    assert isinstance(ds, Dataset)
    method, path, params, body = fake.calls[0]
    assert (method, path, params) == ("POST", WS + "/datasets", None)
    assert body == load_example("datasets-create-request")
    assert list(body) == list(load_example("datasets-create-request"))


def test_datasets_create_without_metadata_and_with_tags():
    fake = FakeRequester(load_example("datasets-get"))
    Datasets(fake).create("x", dataset_type="vqa", tags={"car": 0, "tree": 1})
    body = fake.calls[0][3]
    assert "metadata" not in body
    assert body["type"] == "vqa"
    assert body["tags"] == {"car": 0, "tree": 1}
    assert body["status"] == 0
    assert body["owner"] == ORG
    assert body["description"] == ""


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((), {"name": ""}, ViValidationError),
        ((), {"name": "   "}, ViValidationError),
        ((), {"name": None}, ViInvalidParameterError),
        ((), {"name": 5}, ViInvalidParameterError),
        (("x",), {"dataset_type": "object-detection"}, ViInvalidParameterError),
        (("x",), {"dataset_type": None}, ViInvalidParameterError),
        (("x",), {"content": 3}, ViInvalidParameterError),
        (("x",), {"tags": {"a": "1"}}, ViInvalidParameterError),
        (("x",), {"tags": {"a": True}}, ViInvalidParameterError),
        (("x",), {"tags": {1: 1}}, ViInvalidParameterError),
        (("x",), {"tags": ["a"]}, ViInvalidParameterError),
        (("x",), {"metadata": {"a": 1}}, ViInvalidParameterError),
        (("x",), {"metadata": "a=b"}, ViInvalidParameterError),
        (("x",), {"description": 5}, ViInvalidParameterError),
    ],
)
def test_datasets_create_validates_before_io(args, kwargs, error):
    fake = FakeRequester()
    with pytest.raises(error):
        Datasets(fake).create(*args, **kwargs)
    assert fake.calls == []


def test_datasets_update_flat_body():
    fake = FakeRequester(load_example("datasets-get"))
    Datasets(fake).update(
        "dsx9k2m7",
        spec={"name": "Drone Footage 2025 (v2)", "description": "re-labelled"},
        metadata={"reviewed_by": "alice"},
    )
    method, path, params, body = fake.calls[0]
    assert (method, path) == ("PATCH", DS)
    assert body == load_example("datasets-update-request")


def test_datasets_update_refuses_empty_patch():
    fake = FakeRequester()
    with pytest.raises(ViValidationError):
        Datasets(fake).update("dsx9k2m7")
    assert fake.calls == []


def test_datasets_delete_and_deletion_operation():
    fake = FakeRequester(load_example("datasets-delete"), load_example("datasets-delete"))
    op = Datasets(fake).delete("dsx9k2m7")
    assert isinstance(op, DeletedDataset) and op.dataset_id == "dsx9k2m7"
    Datasets(fake).get_deletion_operation(ORG + "_dsx9k2m7")
    assert fake.calls == [("DELETE", DS, None, None), ("GET", DS + "/deleteOperation", None, None)]


def test_datasets_delete_requires_a_document():
    fake = FakeRequester(None)
    with pytest.raises(ViResponseError):
        Datasets(fake).delete("dsx9k2m7")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_dataset_ids_are_refused_before_io(bad):
    fake = FakeRequester()
    datasets = Datasets(fake)
    for call in (
        lambda: datasets.get(bad),
        lambda: datasets.update(bad, spec={"name": "x"}),
        lambda: datasets.delete(bad),
        lambda: datasets.get_deletion_operation(bad),
        lambda: Assets(fake).list(bad),
        lambda: Assets(fake).get(bad, "ast-1"),
        lambda: Annotations(fake).list(bad, "ast-1"),
        lambda: Annotations(fake).get(bad, "ast-1", "ann-1"),
    ):
        with pytest.raises(ViInvalidParameterError):
            call()
    assert fake.calls == []


def test_composite_prefix_only_is_refused():
    fake = FakeRequester()
    with pytest.raises(ViInvalidParameterError):
        Datasets(fake).get(ORG + "_")
    assert fake.calls == []


# -- assets -----------------------------------------------------------------------------------
def test_assets_list_default_query():
    fake = FakeRequester(page("assets-list"))
    result = Assets(fake).list("dsx9k2m7")
    assert [len(p) for p in result] == [2]  # iterating a page yields pages; this is the last
    assert [a.asset_id for a in result.items] == ["ast-Lq93xY01", "ast-Lq93xY02"]
    assert all(isinstance(a, Asset) for a in result.items)
    assert fake.calls[0] == ("GET", DS + "/assets", [("s", "10")], None)


def test_assets_list_query_order_and_filters_survive_every_page():
    p1 = load_example("assets-list")  # has a nextPage
    p2 = page("assets-list")
    fake = FakeRequester(p1, p2)
    first = Assets(fake).list(
        "dsx9k2m7",
        pagination={"page_size": 2},
        filter_criteria="metadata.status=none",
        contents=True,
        sort_by=AssetSortCriterion("filename", "desc"),
        metadata_query="camera_type:aerial",
        rule_query="r1",
        strict_query=True,
        page_after=True,
    )
    items = list(first.all_items())
    assert len(items) == 4
    expected = [
        ("o", "desc"),
        ("sortBy", "filename"),
        ("filter", "metadata.status=none"),
        ("contents", "y"),
        ("metadataQuery", "camera_type:aerial"),
        ("ruleQuery", "r1"),
        ("pageAfter", "y"),
        ("strictQuery", "y"),
    ]
    assert fake.calls[0][2] == [("s", "2")] + expected
    assert fake.calls[1][2] == [("p", "eyJhZnRlciI6ImFzdC1McTkzeFkwMiJ9"), ("s", "2")] + expected
    assert fake.paths == [DS + "/assets", DS + "/assets"]


def test_assets_false_booleans_are_omitted():
    fake = FakeRequester(page("assets-list"))
    Assets(fake).list("dsx9k2m7", contents=False, strict_query=False, page_after=False)
    assert fake.calls[0][2] == [("s", "10")]


def test_assets_sort_by_dict_and_dict_filter_as_json():
    fake = FakeRequester(page("assets-list"))
    Assets(fake).list(
        "dsx9k2m7",
        sort_by={"criterion": "metadata.fileSize", "order": "asc"},
        filter_criteria={"status": "none", "annotated": True},
    )
    params = fake.params(0)
    assert params["o"] == "asc" and params["sortBy"] == "metadata.fileSize"
    assert json.loads(params["filter"]) == {"status": "none", "annotated": True}
    assert params["filter"] == '{"status":"none","annotated":true}'


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sort_by": {"criterion": "size"}},
        {"sort_by": {"criterion": "filename", "order": "d"}},
        {"sort_by": {"order": "asc"}},
        {"sort_by": {"criterion": "filename", "direction": "asc"}},
        {"sort_by": "filename"},
        {"filter_criteria": 5},
        {"filter_criteria": {"x": object()}},
        {"contents": "yes"},
        {"strict_query": 1},
        {"page_after": "y"},
        {"metadata_query": 5},
        {"rule_query": ["a"]},
    ],
)
def test_assets_list_bad_arguments_before_io(kwargs):
    fake = FakeRequester()
    with pytest.raises(ViInvalidParameterError):
        Assets(fake).list("dsx9k2m7", **kwargs)
    assert fake.calls == []


def test_asset_sort_criterion_validates():
    with pytest.raises(ViInvalidParameterError):
        AssetSortCriterion("nope")
    with pytest.raises(ViInvalidParameterError):
        AssetSortCriterion("filename", "descending")
    assert AssetSortCriterion("assetId") == AssetSortCriterion("assetId", "asc")


def test_assets_get():
    fake = FakeRequester(load_example("assets-get"), load_example("assets-get"))
    asset = Assets(fake).get("dsx9k2m7", "ast-Lq93xY01", contents=True)
    assert asset.asset_id == "ast-Lq93xY01" and asset.dataset_id == "dsx9k2m7"
    Assets(fake).get(ORG + "_dsx9k2m7", "ast-Lq93xY01")
    assert fake.calls == [
        ("GET", DS + "/assets/ast-Lq93xY01", [("contents", "y")], None),
        ("GET", DS + "/assets/ast-Lq93xY01", None, None),
    ]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_asset_ids_are_refused_before_io(bad):
    fake = FakeRequester()
    with pytest.raises(ViInvalidParameterError):
        Assets(fake).get("dsx9k2m7", bad)
    with pytest.raises(ViInvalidParameterError):
        Annotations(fake).list("dsx9k2m7", bad)
    with pytest.raises(ViInvalidParameterError):
        Annotations(fake).get("dsx9k2m7", bad, "ann-1")
    with pytest.raises(ViInvalidParameterError):
        Annotations(fake).get("dsx9k2m7", "ast-1", bad)
    with pytest.raises(ViInvalidParameterError):
        Runs(fake).get(bad)
    assert fake.calls == []


def test_assets_callable_yields_every_item_with_filters():
    fake = FakeRequester(load_example("assets-list"), page("assets-list"))
    ids = [a.asset_id for a in Assets(fake)("dsx9k2m7", contents=True)]
    assert len(ids) == 4
    assert fake.params(1)["contents"] == "y"


def test_assets_needs_a_dataset_to_iterate():
    with pytest.raises(TypeError):
        iter(Assets(FakeRequester()))


# -- annotations ------------------------------------------------------------------------------
def test_annotations_list_positional_and_keyword_asset_id():
    fake = FakeRequester(load_example("annotations-list"), load_example("annotations-list"))
    annotations = Annotations(fake)
    a = annotations.list("dsx9k2m7", "ast-Lq93xY01")
    b = annotations.list("dsx9k2m7", asset_id="ast-Lq93xY01")
    assert a.items == b.items
    assert all(isinstance(x, Annotation) for x in a.items)
    path = DS + "/assets/ast-Lq93xY01/annotations"
    assert fake.calls == [("GET", path, [("s", "10")], None)] * 2


def test_annotations_get_and_call():
    p1 = page("annotations-list", "n2")
    p2 = page("annotations-list")
    fake = FakeRequester(load_example("annotations-get"), p1, p2)
    annotations = Annotations(fake)
    one = annotations.get(ORG + "_dsx9k2m7", "ast-Lq93xY01", "ann-0001")
    assert one.annotation_id == "ann-0001"
    assert fake.calls[0][:2] == ("GET", DS + "/assets/ast-Lq93xY01/annotations/ann-0001")
    assert len(list(annotations("dsx9k2m7", "ast-Lq93xY01", page_size=2))) == 4
    assert fake.calls[2][2] == [("p", "n2"), ("s", "2")]


# -- runs -------------------------------------------------------------------------------------
def test_runs_list_get_iterate():
    fake = FakeRequester(
        load_example("runs-list"), load_example("runs-get"), page("runs-list", "r2"), page("runs-list")
    )
    runs = Runs(fake)
    assert [r.run_id for r in runs.list().items] == ["run-7f3a"]
    assert isinstance(runs.get("run-7f3a"), Run)
    assert len(list(runs)) == 2
    assert fake.calls[0] == ("GET", WS + "/runs", [("s", "10")], None)
    assert fake.calls[1] == ("GET", WS + "/runs/run-7f3a", None, None)
    assert fake.calls[3] == ("GET", WS + "/runs", [("p", "r2"), ("s", "1000")], None)


# -- malformed pages --------------------------------------------------------------------------
def test_malformed_item_in_a_page_names_the_item():
    body = load_example("runs-list")
    body["items"][0]["kind"] = "Dataset"
    fake = FakeRequester(body)
    with pytest.raises(ViResponseError) as info:
        Runs(fake).list()
    assert "kind" in str(info.value)


def test_resource_repr_holds_no_requester_details():
    assert repr(Datasets(FakeRequester())) == "<Datasets>"
