"""The local Vi API's behaviour, over real sockets and in-process (every test runs on both)."""

import json

import pytest
import requests

from vi.testing import LocalViServer

# Required wire fields per PROTOCOL §4/§7 schema tables.
ORGANIZATION = {
    "name",
    "kind",
    "workspaceId",
    "lastAccess",
    "datasets",
    "billing",
    "users",
    "metadata",
    "features",
    "lockStatus",
    "selfLink",
    "etag",
}
DATASET = {
    "datasetId",
    "name",
    "owner",
    "workspaceId",
    "type",
    "content",
    "createDate",
    "statistic",
    "users",
    "tags",
    "cohorts",
    "status",
    "lastAccessed",
    "isLocked",
    "access",
    "preference",
    "assetStatuses",
    "selfLink",
    "etag",
}
STATISTIC = {"assetTotal", "annotationTotal", "tagsCount", "assetAnnotated"}
DELETED_DATASET = {"kind", "user", "workspaceId", "datasetId", "selfLink", "etag", "metadata", "status"}
RESOURCE_METADATA = {"timeCreated", "lastUpdated", "generation", "attributes"}
ASSET = {"assetId", "datasetId", "workspaceId", "filename", "kind", "owner", "metadata", "selfLink", "etag"}
ASSET_METADATA = {
    "generations",
    "insertedBy",
    "annotations",
    "frames",
    "cohorts",
    "fileSize",
    "height",
    "width",
    "mimeType",
    "source",
    "status",
    "uploadStatus",
    "visibility",
    "userDefined",
    "customMetadata",
    "dimensions",
    "pixelRatio",
    "comments",
    "customMetadataCount",
    "hash",
    "contentsFrom",
    "framesChange",
    "timeCreated",
    "lastUpdated",
    "contentsLastUpdated",
}
ANNOTATION = {"annotationId", "assetId", "workspaceId", "datasetId", "spec", "metadata", "selfLink", "etag"}
RUN = {"workspaceId", "runId", "spec", "status", "metadata", "selfLink", "etag"}

CREATE_BODY = {
    "name": "Drone Footage 2025",
    "owner": None,
    "description": "Aerial imagery for phrase grounding",
    "type": "vqa",
    "content": "Image",
    "localization": "Datature/Multi",
    "dataLocalization": None,
    "status": 0,
    "tags": {"car": 0},
    "metadata": {"attributes": {"team": "research"}},
}


def walk(api, url, size):
    pages, tokens, params = [], [], {"s": size}
    while True:
        response = api.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["prevPage"] is None
        pages.append(body["items"])
        if not body["nextPage"]:
            return pages, tokens
        tokens.append(body["nextPage"])
        params = {"p": body["nextPage"], "s": size}


# -- authentication ------------------------------------------------------------------------------


def test_missing_authorization_is_401_with_message(api):
    response = api.session.get(api.ws, headers={"Authorization": None}, timeout=5)
    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]


def test_unknown_key_is_401(api):
    response = api.get(api.ws, headers={"Authorization": "Bearer dtvi_" + "x" * 98})
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid secret key"}


def test_missing_organization_header_is_401(api):
    response = api.session.get(api.ws, headers={"Organization-Id": None}, timeout=5)
    assert response.status_code == 401
    assert "Organization-Id" in response.json()["message"]


def test_other_organizations_path_is_403(api):
    api.server.add_credentials("other-key", "other-org")
    response = api.get(api.base + "/workspaces/other-org/datasets")
    assert response.status_code == 403
    assert "other-org" in response.json()["message"]


def test_organization_header_not_matching_key_is_403(api):
    response = api.get(api.ws, headers={"Organization-Id": "someone-else"})
    assert response.status_code == 403
    assert response.json()["message"]


def test_registered_credentials_accept_any_nonempty_key(api):
    api.server.add_credentials("k", "org-b", seed=False)
    headers = {"Authorization": "Bearer k", "Organization-Id": "org-b"}
    response = api.get(api.base + "/workspaces/org-b/datasets", headers=headers)
    assert response.status_code == 200
    assert response.json()["items"] == []
    # ... and that key cannot read the default organization
    assert api.get(api.ws, headers=headers).status_code == 403


def test_registered_credentials_seed_demo_data_by_default(api):
    api.server.add_credentials("key-c", "org-c")
    headers = {"Authorization": "Bearer key-c", "Organization-Id": "org-c"}
    body = api.get(api.base + "/workspaces/org-c", headers=headers).json()
    assert body["workspaceId"] == "org-c"
    assert len(body["datasets"]) == 25
    assert all(ds.startswith("org-c_") for ds in body["datasets"])


# -- routing ---------------------------------------------------------------------------------------


def test_unknown_route_is_404_json(api):
    response = api.get(api.ws + "/nothingHere")
    assert response.status_code == 404
    assert response.json()["message"]


def test_wrong_method_is_405_with_allow(api):
    response = api.request("PUT", api.ws + "/datasets")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert response.json()["message"]


def test_unknown_dataset_is_404_naming_it(api):
    missing = api.org + "_dsnope"
    response = api.get(api.ds(missing))
    assert response.status_code == 404
    assert response.json() == {"message": f"Dataset {missing} not found"}


# -- organizations -------------------------------------------------------------------------------


def test_organizations_list_and_get(api):
    listing = api.get(api.base + "/workspaces").json()
    assert [o["workspaceId"] for o in listing["items"]] == [api.org]
    assert listing["nextPage"] is None
    org = api.get(api.ws).json()
    assert ORGANIZATION <= set(org)
    assert org == listing["items"][0]
    assert len(org["datasets"]) == 25


def test_organization_patch(api):
    body = {"name": "Acme Robotics (EU)", "metadata": {"attributes": {"region": "eu"}}}
    response = api.request("PATCH", api.ws, json=body)
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Robotics (EU)"
    assert api.get(api.ws).json()["name"] == "Acme Robotics (EU)"
    bad = api.request("PATCH", api.ws, json={"name": ""})
    assert bad.status_code == 400
    assert "name" in bad.json()["message"]


# -- pagination ----------------------------------------------------------------------------------


def test_pagination_walks_all_datasets_in_three_pages(api):
    pages, tokens = walk(api, api.ws + "/datasets", 10)
    assert [len(p) for p in pages] == [10, 10, 5]
    ids = [d["datasetId"] for page in pages for d in page]
    assert len(set(ids)) == 25
    assert ids == api.get(api.ws).json()["datasets"]  # stable, creation order
    again, tokens_again = walk(api, api.ws + "/datasets", 10)
    assert [[d["datasetId"] for d in p] for p in again] == [[d["datasetId"] for d in p] for p in pages]
    assert len(set(tokens + tokens_again)) == len(tokens) + len(tokens_again) == 4


def test_exact_multiple_has_no_empty_last_page(api):
    pages, _ = walk(api, api.ws + "/datasets", 5)
    assert [len(p) for p in pages] == [5] * 5


def test_page_continues_past_deleted_items(api):
    first = api.get(api.ws + "/datasets", params={"s": 10}).json()
    api.request("DELETE", api.ds(first["items"][-1]["datasetId"]))
    second = api.get(api.ws + "/datasets", params={"s": 10, "p": first["nextPage"]}).json()
    ids = [d["datasetId"] for d in first["items"]] + [d["datasetId"] for d in second["items"]]
    assert len(set(ids)) == 20


@pytest.mark.parametrize("size", ["0", "1001", "abc", "-1", ""])
def test_bad_page_size_is_400(api, size):
    response = api.get(api.ws + "/datasets", params={"s": size})
    assert response.status_code == 400
    assert "'s'" in response.json()["message"]


@pytest.mark.parametrize("token", ["garbage", "eyJvZmZzZXQiOjEwfQ", "!!!"])
def test_garbage_page_token_is_400(api, token):
    response = api.get(api.ws + "/datasets", params={"p": token})
    assert response.status_code == 400
    assert "'p'" in response.json()["message"]


def test_token_from_another_listing_is_400(api):
    token = api.get(api.ws + "/datasets", params={"s": 1}).json()["nextPage"]
    assert api.get(api.ws + "/simpleDatasets", params={"p": token}).status_code == 400


def test_default_and_max_page_size(api):
    assert len(api.get(api.ws + "/datasets").json()["items"]) == 10
    assert len(api.get(api.ws + "/datasets", params={"s": 1000}).json()["items"]) == 25


def test_simple_datasets_items(api):
    pages, _ = walk(api, api.ws + "/simpleDatasets", 10)
    items = [i for p in pages for i in p]
    assert len(items) == 25
    assert all(set(i) == {"datasetId", "name", "type"} for i in items)
    assert items[0]["name"] == "Drone Footage 2025"


# -- datasets --------------------------------------------------------------------------------------


def test_dataset_shape(api):
    ds = api.get(api.ds(api.first_dataset_id())).json()
    assert DATASET <= set(ds)
    assert STATISTIC == set(ds["statistic"])
    assert ds["kind"] == "Dataset"
    assert ds["datasetId"].startswith(api.org + "_")
    assert ds["statistic"]["assetTotal"] == 12
    assert ds["statistic"]["annotationTotal"] == 24
    assert ds["statistic"]["assetAnnotated"] == 12
    assert sum(ds["statistic"]["tagsCount"].values()) == 24
    assert isinstance(ds["createDate"], int) and ds["createDate"] > 10**12


def test_dataset_create_get_update_delete_round_trip(api):
    created = api.request("POST", api.ws + "/datasets", json=CREATE_BODY)
    assert created.status_code == 200, created.text
    ds = created.json()
    assert DATASET <= set(ds)
    assert (ds["name"], ds["type"], ds["content"]) == ("Drone Footage 2025", "vqa", "Image")
    assert ds["owner"] == ds["workspaceId"] == api.org
    assert ds["datasetId"].startswith(api.org + "_")
    assert ds["statistic"] == {"assetTotal": 0, "annotationTotal": 0, "tagsCount": {}, "assetAnnotated": 0}
    url = api.ds(ds["datasetId"])
    assert api.get(url).json() == ds
    assert ds["datasetId"] in api.get(api.ws).json()["datasets"]

    patch = {
        "name": "Drone Footage 2025 (v2)",
        "description": "re-labelled",
        "preference": {"defaultView": "list"},
        "metadata": {"attributes": {"reviewed_by": "alice"}},
    }
    updated = api.request("PATCH", url, json=patch)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Drone Footage 2025 (v2)"
    assert updated.json()["description"] == "re-labelled"
    assert updated.json()["preference"] == {"defaultView": "list"}
    assert updated.json()["etag"] != ds["etag"]
    assert api.get(url).json()["name"] == "Drone Footage 2025 (v2)"

    deleted = api.request("DELETE", url)
    assert deleted.status_code == 200
    op = deleted.json()
    assert DELETED_DATASET <= set(op)
    assert RESOURCE_METADATA <= set(op["metadata"])
    assert op["datasetId"] == ds["datasetId"]
    assert [c["condition"] for c in op["status"]["conditions"]] == ["Started", "Finished"]
    assert api.get(url).status_code == 404
    assert ds["datasetId"] not in api.get(api.ws).json()["datasets"]
    assert api.request("DELETE", url).status_code == 404

    operation = api.get(url + "/deleteOperation")
    assert operation.status_code == 200
    assert {c["condition"]: c["status"] for c in operation.json()["status"]["conditions"]} == {
        "Started": "Reached",
        "Finished": "Waiting",
    }
    api.server.operations.finish_all()
    operation = api.get(url + "/deleteOperation")
    assert {c["condition"]: c["status"] for c in operation.json()["status"]["conditions"]} == {
        "Started": "Reached",
        "Finished": "Reached",
    }


def test_dataset_create_with_only_name_uses_defaults(api):
    ds = api.request("POST", api.ws + "/datasets", json={"name": "Minimal"}).json()
    assert (ds["type"], ds["content"], ds["localization"]) == ("phrase-grounding", "Image", "Datature/Multi")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"description": "no name"}, "name"),
        ({"name": "x", "type": "segmentation"}, "type"),
        ({"name": "x", "content": "Video"}, "content"),
        ({"name": "x", "tags": ["car"]}, "tags"),
        ({"name": "x", "metadata": {"attributes": {"a": 1}}}, "metadata.attributes"),
        ({"name": "x", "spec": {}}, "spec"),
    ],
)
def test_dataset_create_bad_body_is_400_naming_field(api, body, field):
    response = api.request("POST", api.ws + "/datasets", json=body)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_non_object_body_is_400(api, raw):
    for method, url in (("POST", api.ws + "/datasets"), ("PATCH", api.ds(api.first_dataset_id()))):
        response = api.request(method, url, data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert "JSON" in response.json()["message"]


def test_dataset_patch_rejects_nested_spec(api):
    response = api.request("PATCH", api.ds(api.first_dataset_id()), json={"spec": {"name": "x"}})
    assert response.status_code == 400
    assert "'spec'" in response.json()["message"]


def test_deleting_dataset_removes_its_assets(api):
    dataset_id = api.first_dataset_id()
    asset_id = api.get(api.ds(dataset_id) + "/assets").json()["items"][0]["assetId"]
    assert api.request("DELETE", api.ds(dataset_id)).status_code == 200
    assert api.get(api.ds(dataset_id) + "/assets").status_code == 404
    assert api.get(api.ds(dataset_id) + "/assets/" + asset_id + "/annotations").status_code == 404
    org = api.server.store._organizations[api.org]
    assert dataset_id not in org.datasets
    assert all(asset_id not in ds.assets for ds in org.datasets.values())


def test_delete_operation_of_live_dataset_is_404(api):
    assert api.get(api.ds(api.first_dataset_id()) + "/deleteOperation").status_code == 404


# -- assets and annotations ----------------------------------------------------------------------


def test_assets_paged_and_shaped(api):
    dataset_id = api.first_dataset_id()
    pages, tokens = walk(api, api.ds(dataset_id) + "/assets", 5)
    assert [len(p) for p in pages] == [5, 5, 2]
    asset = pages[0][0]
    assert ASSET <= set(asset) and ASSET_METADATA <= set(asset["metadata"])
    assert "contents" not in asset
    assert asset["datasetId"] == dataset_id
    assert asset["metadata"]["annotations"]["total"] == 2
    fetched = api.get(api.ds(dataset_id) + "/assets/" + asset["assetId"]).json()
    assert fetched == asset


def test_assets_contents_point_at_local_storage(api):
    dataset_id = api.first_dataset_id()
    asset = api.get(api.ds(dataset_id) + "/assets", params={"s": 1, "contents": "y"}).json()["items"][0]
    contents = asset["contents"]["asset"]
    assert contents["url"].startswith(api.base + "/_storage/")
    assert "X-Vi-Signature=" in contents["url"]
    assert contents["method"] is None and contents["headers"] is None
    assert isinstance(contents["expiry"], int)
    single = api.get(api.ds(dataset_id) + "/assets/" + asset["assetId"], params={"contents": "y"}).json()
    assert single["contents"]["asset"]["url"].split("?")[0] == contents["url"].split("?")[0]
    # storage URLs carry no credentials and must not demand them
    storage = api.session.get(
        contents["url"], headers={"Authorization": None, "Organization-Id": None}, timeout=5
    )
    assert storage.status_code == 200  # asset bytes are served (placeholder bytes for seeded assets)
    assert len(storage.content) == asset["metadata"]["fileSize"]
    assert storage.headers["ETag"] and storage.headers["x-goog-hash"].startswith("md5=")


def test_unknown_asset_is_404(api):
    response = api.get(api.ds(api.first_dataset_id()) + "/assets/ast-missing")
    assert response.status_code == 404
    assert "ast-missing" in response.json()["message"]


def test_annotations_list_and_get(api):
    dataset_id = api.first_dataset_id()
    asset_id = api.get(api.ds(dataset_id) + "/assets").json()["items"][0]["assetId"]
    url = api.ds(dataset_id) + "/assets/" + asset_id + "/annotations"
    listing = api.get(url).json()
    assert len(listing["items"]) == 2 and listing["nextPage"] is None
    caption, box = listing["items"]
    assert ANNOTATION <= set(caption)
    assert caption["spec"]["contents"]["kind"] == "Caption"
    assert box["spec"]["contents"]["kind"] == "PhraseGroundingBoundingBox"
    start, end = box["spec"]["contents"]["target"]
    assert 0 <= start < end <= len(caption["spec"]["contents"]["contents"])
    assert len(box["spec"]["contents"]["bound"]) == 4
    assert api.get(url + "/" + box["annotationId"]).json() == box
    assert api.get(url + "/ann-missing").status_code == 404
    one = api.get(url, params={"s": 1}).json()
    assert len(one["items"]) == 1 and one["nextPage"]


# -- runs --------------------------------------------------------------------------------------------


def test_runs_list_and_get(api):
    listing = api.get(api.ws + "/runs").json()
    assert len(listing["items"]) == 3
    run = listing["items"][0]
    assert RUN <= set(run)
    assert run["kind"] == "Run"
    assert {"name", "schema", "tolerations", "settings", "blocks"} <= set(run["spec"]["flow"])
    assert api.get(api.ws + "/runs/" + run["runId"]).json() == run
    assert api.get(api.ws + "/runs/run-missing").status_code == 404


def test_json_is_compact_utf8(api):
    created = api.request("POST", api.ws + "/datasets", json={"name": "Überwachung 監視"})
    assert created.headers["Content-Type"] == "application/json"
    assert "Überwachung 監視".encode() in created.content
    assert json.loads(created.content)["name"] == "Überwachung 監視"
    assert int(created.headers["Content-Length"]) == len(created.content)


def test_in_process_server_needs_no_start():
    server = LocalViServer(datasets=2, assets_per_dataset=1, runs=0)
    with requests.Session() as s:
        s.mount("http://vi.local/", server.adapter())
        response = s.get(
            f"http://vi.local/workspaces/{server.organization_id}/datasets",
            headers={
                "Authorization": "Bearer " + server.secret_key,
                "Organization-Id": server.organization_id,
            },
        )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 2
    assert not server.running
