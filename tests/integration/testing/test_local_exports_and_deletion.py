"""Local server operations: dataset exports and their ranged storage, bulk asset deletion,
dataset deletion."""

import io
import zipfile

import pytest

from tests.helpers.local_operations import SRC, assert_ms, statuses, storage_request
from vi.testing import LocalViServer
from vi.testing.operations import KINDS

EXPORT = {"workspaceId", "datasetId", "datasetExportId", "spec", "status", "metadata", "selfLink", "etag"}
BULK = {
    "kind",
    "workspaceId",
    "datasetId",
    "deleteManyAssetsSessionId",
    "selfLink",
    "etag",
    "metadata",
    "spec",
    "status",
}


# -- dataset exports (D9–D11, S1) ----------------------------------------------------------------


def test_export_advances_and_serves_a_ranged_zip(api):
    ds = api.first_dataset_id()
    api.server.operations.delay = 60.0  # nothing finishes until finish_all: no wall-clock race
    body = {"spec": {"format": "ViFull", "options": {"normalized": True, "splitRatio": 0.5}}}
    created = api.request("POST", api.ds(ds) + "/datasetExports", json=body)
    assert created.status_code == 200, created.text
    export = created.json()
    assert EXPORT <= set(export) and export["kind"] == "DatasetExport"
    assert export["datasetId"] == ds
    assert statuses(export) == {"Started": "Reached", "Finished": "Waiting"}
    assert "downloadUrl" not in export["status"]
    url = api.ds(ds) + "/datasetExports/" + export["datasetExportId"]
    assert statuses(api.get(url).json())["Finished"] == "Waiting"
    api.server.operations.finish_all()
    done = api.get(url).json()
    assert statuses(done) == {"Started": "Reached", "Finished": "Reached"}
    assert_ms(done["metadata"]["lastUpdated"])
    download = done["status"]["downloadUrl"]
    assert_ms(download["expiresAt"])
    assert download["url"].startswith(api.base + "/_storage/exports/")
    head = storage_request(api, "HEAD", download["url"])
    assert head.status_code == 200
    size = int(head.headers["Content-Length"])
    full = storage_request(api, "GET", download["url"]).content
    assert len(full) == size
    names = zipfile.ZipFile(io.BytesIO(full)).namelist()
    assert {"training/images/", "validation/images/", "metadata.json"} <= set(names)
    images = [n for n in names if "/images/" in n and not n.endswith("/")]
    assert len(images) == 12 == sum(1 for n in names if n.endswith(".jsonl"))
    part = storage_request(api, "GET", download["url"], headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == full[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{size}"
    listing = api.get(api.ds(ds) + "/datasetExports").json()
    assert [e["datasetExportId"] for e in listing["items"]] == [export["datasetExportId"]]


def test_storage_rejects_tampered_and_unsigned_urls(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    export = api.request("POST", api.ds(ds) + "/datasetExports", json={"spec": {"format": "ViJsonl"}}).json()
    done = api.get(api.ds(ds) + "/datasetExports/" + export["datasetExportId"]).json()
    url = done["status"]["downloadUrl"]["url"]
    assert storage_request(api, "GET", url.replace("X-Vi-Signature=", "X-Vi-Signature=0")).status_code == 403
    assert storage_request(api, "GET", url.split("?")[0]).status_code == 403
    names = zipfile.ZipFile(io.BytesIO(storage_request(api, "GET", url).content)).namelist()
    assert names == ["dump/annotations/annotations.jsonl", "metadata.json"]  # annotations only: no images


def test_export_failure_injection(api):
    api.server.operations.delay = 0.0
    api.server.operations.fail_next("export", reason="DiskFull", message="no space left")
    ds = api.first_dataset_id()
    export = api.request("POST", api.ds(ds) + "/datasetExports", json={"spec": {"format": "ViFull"}}).json()
    done = api.get(api.ds(ds) + "/datasetExports/" + export["datasetExportId"]).json()
    finished = done["status"]["conditions"][1]
    assert finished == {
        "condition": "Finished",
        "status": "FailedReach",
        "lastTransitionTime": finished["lastTransitionTime"],
        "reason": "DiskFull",
        "message": "no space left",
    }
    assert "downloadUrl" not in done["status"]
    second = api.request("POST", api.ds(ds) + "/datasetExports", json={"spec": {"format": "ViFull"}}).json()
    assert (
        statuses(api.get(api.ds(ds) + "/datasetExports/" + second["datasetExportId"]).json())["Finished"]
        == "Reached"
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "spec"),
        ({"spec": {"format": "Parquet"}}, "spec.format"),
        ({"spec": {"format": "ViFull", "options": {"normalized": "yes"}}}, "spec.options.normalized"),
        ({"spec": {"format": "ViFull", "options": {"splitRatio": 2}}}, "spec.options.splitRatio"),
        ({"spec": {"format": "ViFull", "annotationsOnly": True}}, "annotationsOnly"),
    ],
)
def test_export_bad_body_is_400(api, body, field):
    response = api.request("POST", api.ds(api.first_dataset_id()) + "/datasetExports", json=body)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


def test_export_accepts_sdk_nulls_and_unknown_export_is_404(api):
    ds = api.first_dataset_id()
    body = {"spec": {"format": "ViFull", "options": {"normalized": True, "splitRatio": None}}}
    assert api.request("POST", api.ds(ds) + "/datasetExports", json=body).status_code == 200
    assert api.get(api.ds(ds) + "/datasetExports/exp-nope").status_code == 404


def test_fail_next_rejects_unknown_kind():
    server = LocalViServer(datasets=0, runs=0)
    with pytest.raises(ValueError):
        server.operations.fail_next("teleport")
    assert "export" in KINDS and "run" in KINDS


# -- bulk asset deletion (D14–D16) and dataset deletion (D6/D7) ---------------------------------------


def test_bulk_deletion_deletes_matching_assets_when_finished(api):
    api.server.operations.delay = 60.0  # nothing finishes until finish_all: no wall-clock race
    ds = api.first_dataset_id()
    body = {"spec": {"filter": "frame_000", "metadataQuery": None, "ruleQuery": None, "strictQuery": None}}
    created = api.request("POST", api.ds(ds) + "/deleteManyAssetsSessions", json=body)
    assert created.status_code == 200, created.text
    session = created.json()
    assert BULK <= set(session)
    assert statuses(session) == {"Started": "Reached", "Finished": "Waiting"}
    assert api.get(api.ds(ds) + "/assets:count").json() == {"count": 12}  # nothing deleted yet
    api.server.operations.finish_all()
    done = api.get(api.ds(ds) + "/deleteManyAssetsSessions/" + session["deleteManyAssetsSessionId"]).json()
    assert statuses(done) == {"Started": "Reached", "Finished": "Reached"}
    assert done["status"]["deletedCount"] == 9  # frame_0001 … frame_0009
    remaining = api.get(api.ds(ds) + "/assets", params={"s": 100}).json()["items"]
    assert sorted(a["filename"].split(".")[0] for a in remaining) == [
        "frame_0010",
        "frame_0011",
        "frame_0012",
    ]
    assert api.get(api.ds(ds) + "/assets:count").json() == {"count": 3}
    statistic = api.get(api.ds(ds)).json()["statistic"]
    assert statistic["assetTotal"] == 3 and statistic["annotationTotal"] == 6
    sessions = api.get(api.ds(ds) + "/deleteManyAssetsSessions").json()["items"]
    assert [s["deleteManyAssetsSessionId"] for s in sessions] == [session["deleteManyAssetsSessionId"]]


def test_bulk_deletion_failure_keeps_assets(api):
    api.server.operations.delay = 0.0
    api.server.operations.fail_next("bulk_asset_deletion", reason="Busy")
    ds = api.first_dataset_id()
    session = api.request("POST", api.ds(ds) + "/deleteManyAssetsSessions", json={"spec": {}}).json()
    done = api.get(api.ds(ds) + "/deleteManyAssetsSessions/" + session["deleteManyAssetsSessionId"]).json()
    assert statuses(done)["Finished"] == "FailedReach"
    assert done["status"]["conditions"][1]["reason"] == "Busy"
    assert api.get(api.ds(ds) + "/assets:count").json()["count"] == 12


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"filter": 3}, "spec.filter"),
        ({"strictQuery": "y"}, "spec.strictQuery"),
        ({"ruleQuery": "width > 10"}, "ruleQuery"),
        ({"filter": {"camera": "x"}}, "filter"),
        ({"where": "x"}, "where"),
    ],
)
def test_bulk_deletion_bad_body_is_400(api, spec, field):
    response = api.request(
        "POST", api.ds(api.first_dataset_id()) + "/deleteManyAssetsSessions", json={"spec": spec}
    )
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


def test_dataset_deletion_operation_progresses_and_can_fail(api):
    api.server.operations.delay = 60.0  # nothing finishes until finish_all: no wall-clock race
    first, second = [d["datasetId"] for d in api.get(api.ws + "/datasets", params={"s": 2}).json()["items"]]
    deleted = api.request("DELETE", api.ds(first)).json()
    assert statuses(deleted) == {"Started": "Reached", "Finished": "Waiting"}
    assert statuses(api.get(api.ds(first) + "/deleteOperation").json())["Finished"] == "Waiting"
    api.server.operations.finish_all()
    assert statuses(api.get(api.ds(first) + "/deleteOperation").json())["Finished"] == "Reached"
    api.server.operations.fail_next("dataset_deletion", reason="Locked", message="dataset is locked")
    api.request("DELETE", api.ds(second))
    api.server.operations.finish_all()
    condition = api.get(api.ds(second) + "/deleteOperation").json()["status"]["conditions"][1]
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "FailedReach",
        "Locked",
        "dataset is locked",
    )


def test_dataset_delete_removes_exports_and_sessions(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    api.request("POST", api.ds(ds) + "/datasetExports", json={"spec": {"format": "ViFull"}})
    api.request("POST", api.ds(ds) + SRC + "/assetIngestionSessions", json={"spec": {"assets": []}})
    api.request("DELETE", api.ds(ds))
    for path in ("/datasetExports", SRC + "/assetIngestionSessions", "/annotationImportSessions", "/folders"):
        assert api.get(api.ds(ds) + path).status_code == 404
