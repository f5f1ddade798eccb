"""Long-running operations of the local Vi API: progression over time, failure injection, side
effects on related resources, and the storage URLs they hand out (sockets and in-process)."""

import io
import json
import time
import zipfile

import pytest

from vi.testing import LocalViServer
from vi.testing.operations import KINDS
from vi.transfers.crc32c import crc32c, to_base64, to_signed

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
INGESTION = {
    "workspaceId",
    "datasetId",
    "assetSourceClass",
    "assetSourceProvider",
    "assetSourceId",
    "assetIngestionSessionId",
    "ingestionId",
    "selfLink",
    "etag",
    "metadata",
    "spec",
    "status",
}
IMPORT = {
    "user",
    "workspaceId",
    "datasetId",
    "annotationImportSessionId",
    "selfLink",
    "etag",
    "metadata",
    "spec",
    "status",
}
MULTIPART = {
    "workspaceId",
    "datasetId",
    "assetSourceClass",
    "assetSourceProvider",
    "assetSourceId",
    "multipartUploadId",
    "selfLink",
    "etag",
    "metadata",
    "spec",
    "status",
}
SRC = "/assetSources/managed/datature/default"


def statuses(document):
    return {c["condition"]: c["status"] for c in document["status"]["conditions"]}


def assert_ms(value):
    assert isinstance(value, int) and not isinstance(value, bool) and value > 10**12


def storage_request(api, method, url, **kwargs):
    """Storage URLs take no credentials: send none."""
    headers = dict(kwargs.pop("headers", {}) or {}, Authorization=None, **{"Organization-Id": None})
    return api.session.request(method, url, headers=headers, timeout=5, **kwargs)


# -- dataset exports (D9–D11, S1) ----------------------------------------------------------------


def test_export_advances_and_serves_a_ranged_zip(api):
    ds = api.first_dataset_id()
    api.server.operations.delay = 0.05
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
    time.sleep(0.06)
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
    assert (
        "training/annotations/annotations.jsonl" in names
        and "validation/annotations/annotations.jsonl" in names
    )
    assert sum(1 for n in names if "/assets/" in n) == 12
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
    assert names == ["dump/annotations/annotations.jsonl"]  # annotations-only format: no asset files


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
    api.server.operations.delay = 0.05
    ds = api.first_dataset_id()
    body = {"spec": {"filter": "frame_000", "metadataQuery": None, "ruleQuery": None, "strictQuery": None}}
    created = api.request("POST", api.ds(ds) + "/deleteManyAssetsSessions", json=body)
    assert created.status_code == 200, created.text
    session = created.json()
    assert BULK <= set(session)
    assert statuses(session) == {"Started": "Reached", "Finished": "Waiting"}
    assert api.get(api.ds(ds) + "/assets:count").json() == {"count": 12}  # nothing deleted yet
    time.sleep(0.06)
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
    api.server.operations.delay = 0.05
    first, second = [d["datasetId"] for d in api.get(api.ws + "/datasets", params={"s": 2}).json()["items"]]
    deleted = api.request("DELETE", api.ds(first)).json()
    assert statuses(deleted) == {"Started": "Reached", "Finished": "Waiting"}
    assert statuses(api.get(api.ds(first) + "/deleteOperation").json())["Finished"] == "Waiting"
    time.sleep(0.06)
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


# -- asset ingestion (A7–A14, S2, S3) -------------------------------------------------------------


def signed_crc(data):
    """The asset-flow CRC-32C encoding (PROTOCOL §9.4): the server checks it (ECORRUPT)."""
    return to_signed(crc32c(data))


def b64_crc(data):
    """The annotation-flow CRC-32C encoding: the server checks it on the storage PUT."""
    return to_base64(crc32c(data))


def ingestion_body(*files):
    return {
        "spec": {
            "assets": [
                {
                    "filename": name,
                    "mime": "image/png",
                    "size": len(data),
                    "crc32c": signed_crc(data),
                    "customMetadata": None,
                    "kind": "Image",
                }
                for name, data in files
            ],
            "kind": "Upload",
            "failureMode": "FailAfterOne",
            "onAssetOverwritten": "RemoveLinkedResource",
        }
    }


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR"
    + (640).to_bytes(4, "big")
    + (480).to_bytes(4, "big")
    + b"\0" * 20
)


def test_ingestion_finishes_when_every_file_arrived(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    created = api.request(
        "POST",
        api.ds(ds) + SRC + "/assetIngestionSessions",
        json=ingestion_body(("new_a.png", PNG), ("new_b.png", PNG[:30])),
    )
    assert created.status_code == 200, created.text
    session = created.json()
    assert INGESTION <= set(session) and session["kind"] == "AssetIngestionSession"
    assert (session["assetSourceClass"], session["assetSourceProvider"], session["assetSourceId"]) == (
        "managed",
        "datature",
        "default",
    )
    assert statuses(session) == {"Started": "Reached", "Finished": "Waiting"}
    assert session["status"]["progressCount"] == {"total": 2, "succeeded": 0, "errored": 0}
    uploads = {a["metadata"]["filename"]: a["upload"] for a in session["status"]["assets"]}
    assert set(uploads) == {"new_a.png", "new_b.png"}
    assert uploads["new_a.png"]["method"] == "PUT" and "/_storage/uploads/" in uploads["new_a.png"]["url"]
    url = api.ds(ds) + SRC + "/assetIngestionSessions/" + session["assetIngestionSessionId"]
    put = storage_request(
        api, "PUT", uploads["new_a.png"]["url"], data=PNG, headers=uploads["new_a.png"]["headers"]
    )
    assert put.status_code == 200
    assert statuses(api.get(url).json())["Finished"] == "Waiting"  # one file still missing
    storage_request(api, "PUT", uploads["new_b.png"]["url"], data=b"short")  # wrong size → EBADSIZE
    done = api.get(url).json()
    assert statuses(done) == {"Started": "Reached", "Finished": "Reached"}
    assert done["status"]["progressCount"] == {"total": 2, "succeeded": 1, "errored": 1}
    kinds = [e["kind"] for e in done["status"]["events"]]
    assert kinds == ["Progress", "Error"]
    assert done["status"]["events"][1]["files"] == {"new_b.png": "EBADSIZE"}
    assets = api.get(api.ds(ds) + "/assets", params={"s": 100, "filter": "new_"}).json()["items"]
    assert [(a["filename"], a["metadata"]["width"], a["metadata"]["height"]) for a in assets] == [
        ("new_a.png", 640, 480)
    ]
    assert api.get(api.ds(ds)).json()["statistic"]["assetTotal"] == 13
    assert api.server.stats.creates["asset"] == 1
    assert storage_request(api, "PUT", uploads["new_a.png"]["url"], data=PNG).status_code == 409


def test_empty_ingestion_session_is_finished_at_once(api):
    ds = api.first_dataset_id()
    body = {
        "spec": {
            "assets": [],
            "kind": "Upload",
            "failureMode": "FailAfterAll",
            "onAssetOverwritten": "KeepLinkedResource",
        }
    }
    session = api.request("POST", api.ds(ds) + SRC + "/assetIngestionSessions", json=body).json()
    assert statuses(session) == {"Started": "Reached", "Finished": "Reached"}
    assert session["spec"]["onAssetOverwritten"] == "KeepLinkedResources"  # the response enum is plural
    listed = api.get(api.ds(ds) + SRC + "/assetIngestionSessions").json()["items"]
    assert [s["assetIngestionSessionId"] for s in listed] == [session["assetIngestionSessionId"]]


def test_ingestion_cancel_and_failure_injection(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    base = api.ds(ds) + SRC + "/assetIngestionSessions"
    session = api.request("POST", base, json=ingestion_body(("x.png", PNG))).json()
    cancelled = api.request("POST", base + "/" + session["assetIngestionSessionId"] + ":cancel")
    assert cancelled.status_code == 200
    condition = cancelled.json()["status"]["conditions"][1]
    assert (condition["status"], condition["reason"]) == ("FailedReach", "CancelledByUser")
    upload = session["status"]["assets"][0]["upload"]["url"]
    assert storage_request(api, "PUT", upload, data=PNG).status_code == 409
    api.server.operations.fail_next("ingestion", reason="QuotaExceeded")
    failing = api.request("POST", base, json=ingestion_body(("y.png", PNG))).json()
    storage_request(api, "PUT", failing["status"]["assets"][0]["upload"]["url"], data=PNG)
    done = api.get(base + "/" + failing["assetIngestionSessionId"]).json()
    assert statuses(done)["Finished"] == "FailedReach"
    assert done["status"]["progressCount"]["errored"] == 1
    assert api.get(api.ds(ds) + "/assets:count", params={"filter": "y.png"}).json()["count"] == 0
    assert api.request("POST", base + "/ais-nope:cancel").status_code == 404


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda b: b["spec"].update(failureMode="Sometimes"), "spec.failureMode"),
        (lambda b: b["spec"]["assets"][0].update(size=-1), "spec.assets[0].size"),
        (lambda b: b["spec"]["assets"][0].update(crc32c=2**40), "spec.assets[0].crc32c"),
        (lambda b: b["spec"]["assets"][0].pop("filename"), "spec.assets[0].filename"),
        (lambda b: b["spec"]["assets"].append(dict(b["spec"]["assets"][0])), "spec.assets[1].filename"),
        (lambda b: b["spec"].update(assets="x"), "spec.assets"),
    ],
)
def test_ingestion_bad_body_is_400(api, mutate, field):
    body = ingestion_body(("a.png", PNG))
    mutate(body)
    response = api.request(
        "POST", api.ds(api.first_dataset_id()) + SRC + "/assetIngestionSessions", json=body
    )
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


def test_ingestion_on_unknown_source_is_404(api):
    url = api.ds(api.first_dataset_id()) + "/assetSources/external/s3/nope/assetIngestionSessions"
    assert api.request("POST", url, json=ingestion_body(("a.png", PNG))).status_code == 404


def test_multipart_upload_flow(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    data = PNG + b"x" * 100
    session = api.request(
        "POST", api.ds(ds) + SRC + "/assetIngestionSessions", json=ingestion_body(("big.png", data))
    ).json()
    base = api.ds(ds) + SRC + "/multipartUploads"
    spec = {
        "ingestionId": session["ingestionId"],
        "filename": "big.png",
        "contentType": "image/png",
        "sizeBytes": len(data),
    }
    created = api.request("POST", base, json={"spec": spec})
    assert created.status_code == 200, created.text
    upload = created.json()
    assert MULTIPART <= set(upload) and upload["status"]["partCount"] == 1
    part_url = base + "/" + upload["multipartUploadId"] + "/parts/1"
    signed = api.request("POST", part_url, json={}).json()
    assert (
        signed["method"] == "PUT"
        and signed["responseHeaders"] == ["ETag"]
        and signed["responseBody"] is False
    )
    assert_ms(signed["expiry"])
    # chunked body, as the official SDK sends parts
    stored = storage_request(
        api, "PUT", signed["url"], data=iter([data[:20], data[20:]]), headers=signed["headers"]
    )
    assert stored.status_code == 200
    etag = stored.headers["ETag"]
    bad = api.request("POST", part_url + "/completion", json={"responseHeaders": {"ETag": '"0"'}})
    assert bad.status_code == 400 and "ETag" in bad.json()["message"]
    assert (
        api.request("POST", part_url + "/completion", json={"responseHeaders": {"ETag": etag}}).status_code
        == 200
    )
    assert (
        api.request("POST", base + "/" + upload["multipartUploadId"] + "/parts/2", json={}).status_code == 400
    )
    done = api.request("POST", base + "/" + upload["multipartUploadId"] + "/completion")
    assert done.status_code == 200
    finished = api.get(
        api.ds(ds) + SRC + "/assetIngestionSessions/" + session["assetIngestionSessionId"]
    ).json()
    assert statuses(finished)["Finished"] == "Reached"
    assert finished["status"]["progressCount"]["succeeded"] == 1
    aborted = api.request("DELETE", base + "/" + upload["multipartUploadId"])
    assert aborted.status_code == 204 and aborted.content == b""


def test_multipart_abort_counts_file_as_errored(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    session = api.request(
        "POST", api.ds(ds) + SRC + "/assetIngestionSessions", json=ingestion_body(("v.png", PNG))
    ).json()
    base = api.ds(ds) + SRC + "/multipartUploads"
    spec = {
        "ingestionId": session["ingestionId"],
        "filename": "v.png",
        "contentType": None,
        "sizeBytes": 5 * 2**30,
    }
    upload = api.request("POST", base, json={"spec": spec}).json()
    assert upload["status"]["partCount"] == 80
    assert api.request("POST", base, json={"spec": dict(spec, filename="other.png")}).status_code == 400
    assert api.request("POST", base, json={"spec": dict(spec, ingestionId="ing-nope")}).status_code == 404
    assert api.request("DELETE", base + "/" + upload["multipartUploadId"]).status_code == 204
    done = api.get(api.ds(ds) + SRC + "/assetIngestionSessions/" + session["assetIngestionSessionId"]).json()
    assert done["status"]["progressCount"] == {"total": 1, "succeeded": 0, "errored": 1}


# -- annotation import sessions (N6–N9, X1–X3, S5) ----------------------------------------------------

IMPORT_BODY = {
    "spec": {
        "uploadBefore": 1733903300000,
        "failurePolicies": {
            "onBadAnnotation": "RejectSession",
            "onBadFile": "RejectSession",
            "onOverwritten": "RejectSession",
        },
        "source": "UploadedIndividualFiles",
    },
    "metadata": {"attributes": {}},
}


def files_inserted(status="Reached", reason=None):
    condition = {
        "condition": "FilesInserted",
        "status": status,
        "lastTransitionTime": int(time.time() * 1000),
    }
    if reason:
        condition["reason"] = reason
    return {"status": {"conditions": [condition]}}


def start_import(api, ds, content):
    base = api.ds(ds) + "/annotationImportSessions"
    session = api.request("POST", base, json=IMPORT_BODY).json()
    url = base + "/" + session["annotationImportSessionId"]
    files = {
        "files": {
            "annotations.jsonl": {"sizeBytes": len(content), "crc32c": b64_crc(content), "kind": "Unknown"}
        }
    }
    registered = api.request("POST", url + "/files", json=files)
    assert registered.status_code == 200, registered.text
    target = registered.json()["files"]["annotations.jsonl"]
    assert (
        storage_request(
            api, target["method"], target["url"], data=content, headers=target["headers"]
        ).status_code
        == 200
    )
    return session, url


def test_annotation_import_completes_all_conditions_and_inserts(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    asset = api.get(api.ds(ds) + "/assets", params={"s": 1}).json()["items"][0]
    line = {
        "assetId": asset["assetId"],
        "spec": {
            "tag": 0,
            "aggregation": {"whole": {"id": "g1"}, "thisPart": {"role": "Caption"}},
            "contents": {"kind": "Caption", "contents": "imported"},
        },
    }
    content = (json.dumps(line) + "\n" + json.dumps({"other": 1}) + "\n").encode()
    session, url = start_import(api, ds, content)
    assert IMPORT <= set(session) and session["kind"] == "AnnotationImportSession"
    assert statuses(session) == {"FilesInserted": "Waiting"}
    api.server.operations.delay = 60.0
    patched = api.request("PATCH", url + "/status", json=files_inserted())
    assert patched.status_code == 200
    # the server's own steps show as Waiting at once, so an "all Reached" waiter keeps waiting
    assert statuses(patched.json()) == {
        "FilesInserted": "Reached",
        "FilesParsed": "Waiting",
        "Complete": "Waiting",
    }
    assert statuses(api.get(url).json())["Complete"] == "Waiting"
    api.server.operations.finish_all()
    done = api.get(url).json()
    assert statuses(done) == {"FilesInserted": "Reached", "FilesParsed": "Reached", "Complete": "Reached"}
    assert done["status"]["files"] == {
        "pageCount": 1,
        "totalSizeBytes": len(content),
        "statusCount": {"Parsed": 1},
    }
    assert done["status"]["annotations"]["statusCount"] == {"Inserted": 2}
    annotations = api.get(api.ds(ds) + "/assets/" + asset["assetId"] + "/annotations").json()["items"]
    assert [a["spec"]["contents"].get("contents") for a in annotations][-1] == "imported"
    assert api.get(api.ds(ds)).json()["statistic"]["annotationTotal"] == 25
    sample = api.get(url + "/filesSample").json()
    assert sample["files"][0]["name"] == "annotations.jsonl" and sample["files"][0]["uploaded"] is True
    logs = api.get(url + "/logs").json()
    assert any("Complete" in e["message"] for e in logs["entries"])
    assert [
        s["annotationImportSessionId"]
        for s in api.get(api.ds(ds) + "/annotationImportSessions").json()["items"]
    ] == [session["annotationImportSessionId"]]
    assert api.request("PATCH", url + "/status", json=files_inserted()).status_code == 409


def test_annotation_import_client_failure_and_injected_failure(api):
    api.server.operations.delay = 0.0
    ds = api.first_dataset_id()
    _, url = start_import(api, ds, b'{"a": 1}\n')
    failed = api.request(
        "PATCH", url + "/status", json=files_inserted("FailedReach", "UserUploadErrored")
    ).json()
    assert failed["status"]["conditions"][0]["reason"] == "UserUploadErrored"
    assert statuses(api.get(url).json()) == {"FilesInserted": "FailedReach"}
    api.server.operations.fail_next("annotation_import", reason="Whatever", message="parser crashed")
    _, url2 = start_import(api, ds, b'{"a": 1}\n')
    api.request("PATCH", url2 + "/status", json=files_inserted())
    done = api.get(url2).json()
    assert statuses(done) == {"FilesInserted": "Reached", "FilesParsed": "FailedReach"}
    assert done["status"]["reason"] == "parser crashed"
    assert all(
        c.get("reason") in (None, "CancelledByUser", "UserUploadErrored")
        for c in done["status"]["conditions"]
    )
    _, url3 = start_import(api, ds, b"not json\n")
    api.request("PATCH", url3 + "/status", json=files_inserted())
    bad = api.get(url3).json()
    assert statuses(bad)["FilesParsed"] == "FailedReach" and bad["status"]["annotations"]["statusCount"] == {
        "Rejected": 1
    }


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": {"conditions": []}}, "status.conditions"),
        (
            {
                "status": {
                    "conditions": [{"condition": "FilesInserted", "status": "Done", "lastTransitionTime": 1}]
                }
            },
            "status.conditions[0].status",
        ),
        (
            {
                "status": {
                    "conditions": [
                        {
                            "condition": "FilesInserted",
                            "status": "FailedReach",
                            "lastTransitionTime": 1,
                            "reason": "Oops",
                        }
                    ]
                }
            },
            "status.conditions[0].reason",
        ),
        (
            {
                "status": {
                    "conditions": [
                        {"condition": "FilesInserted", "status": "Reached", "lastTransitionTime": "now"}
                    ]
                }
            },
            "status.conditions[0].lastTransitionTime",
        ),
    ],
)
def test_annotation_import_status_bad_body_is_400(api, body, field):
    ds = api.first_dataset_id()
    session = api.request("POST", api.ds(ds) + "/annotationImportSessions", json=IMPORT_BODY).json()
    url = api.ds(ds) + "/annotationImportSessions/" + session["annotationImportSessionId"] + "/status"
    response = api.request("PATCH", url, json=body)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


def test_annotation_import_create_and_files_validation(api):
    base = api.ds(api.first_dataset_id()) + "/annotationImportSessions"
    bad = dict(IMPORT_BODY, spec=dict(IMPORT_BODY["spec"], failurePolicies={"onBadAnnotation": "Ignore"}))
    response = api.request("POST", base, json=bad)
    assert response.status_code == 400 and "failurePolicies.onBadAnnotation" in response.json()["message"]
    session = api.request("POST", base, json=IMPORT_BODY).json()
    files_url = base + "/" + session["annotationImportSessionId"] + "/files"
    assert api.request("POST", files_url, json={"files": {}}).status_code == 400
    response = api.request("POST", files_url, json={"files": {"a.jsonl": {"sizeBytes": "big"}}})
    assert response.status_code == 400 and "files.a.jsonl.sizeBytes" in response.json()["message"]
    assert api.get(base + "/anis-nope").status_code == 404


# -- runs (R3–R5) and their outputs (M1/M2) -------------------------------------------------------------


def run_body(flow, **extra):
    return {"spec": dict({"flow": flow}, **extra), "metadata": {"attributes": {"notes": "x"}}}


def test_run_put_create_is_idempotent_and_advances_to_models(api):
    api.server.operations.delay = 0.03
    flow = api.get(api.ws + "/flows").json()["items"][0]["spec"]
    url = api.ws + "/runs/0b7c9f7e-1f5e-4b8e-9a63-6b9d2f1c4e11"
    first = api.request("PUT", url, json=run_body(flow, trainingProject=None))
    assert first.status_code == 200, first.text
    again = api.request("PUT", url, json=run_body(flow, trainingProject=None))
    assert again.json() == first.json()
    assert api.server.stats.creates["run"] == 1
    assert len(api.get(api.ws + "/runs").json()["items"]) == 4
    run = first.json()
    assert run["runId"] == "0b7c9f7e-1f5e-4b8e-9a63-6b9d2f1c4e11"
    assert statuses(run) == {"Started": "Reached", "Training": "Waiting", "Finished": "Waiting"}
    assert api.get(url + "/outputs", params={"intent": "sdkLocalDeploy"}).json()["items"] == []
    time.sleep(0.07)
    finished = api.get(url).json()
    assert statuses(finished) == {"Started": "Reached", "Training": "Reached", "Finished": "Reached"}
    models = api.get(url + "/outputs", params={"intent": "sdkLocalDeploy"}).json()["items"]
    assert [m["runOutputId"] for m in models][-1] == "ckpt-final"
    simple = {r["runId"]: r for r in api.get(api.ws + "/simpleRuns").json()["items"]}
    assert simple[run["runId"]]["state"] == "Finished"


def test_run_replace_changes_generation_and_kill(api):
    api.server.operations.delay = 60.0
    flow = api.get(api.ws + "/flows").json()["items"][0]["spec"]
    url = api.ws + "/runs/run-replace-me"
    created = api.request("PUT", url, json=run_body(flow)).json()
    replaced = api.request("PUT", url, json=run_body(dict(flow, name="Other"))).json()
    assert replaced["metadata"]["generation"] == created["metadata"]["generation"] + 1
    assert replaced["spec"]["flow"]["name"] == "Other"
    assert api.server.stats.creates["run"] == 1
    killed_at = int(time.time() * 1000)
    killed = api.request("PATCH", url, json={"spec": {"killedAt": killed_at}})
    assert killed.status_code == 200
    body = killed.json()
    assert body["spec"]["killedAt"] == killed_at
    finished = body["status"]["conditions"][-1]
    assert (finished["status"], finished["reason"]) == ("FailedReach", "Killed")
    api.server.operations.finish_all()
    assert statuses(api.get(url).json())["Finished"] == "FailedReach"
    assert api.get(url + "/outputs").json()["items"] == []
    deleted = api.request("DELETE", url)
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.get(url).status_code == 404


def test_run_failure_injection(api):
    api.server.operations.delay = 0.0
    api.server.operations.fail_next("run", reason="OutOfMemory", message="CUDA OOM")
    flow = api.get(api.ws + "/flows").json()["items"][0]["spec"]
    url = api.ws + "/runs/run-oom"
    api.request("PUT", url, json=run_body(flow))
    api.server.operations.finish_all()
    finished = api.get(url).json()["status"]["conditions"][-1]
    assert (finished["status"], finished["reason"], finished["message"]) == (
        "FailedReach",
        "OutOfMemory",
        "CUDA OOM",
    )
    logs = api.get(url + "/logs").json()
    assert any(e["level"] == "ERROR" for e in logs["entries"])


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "spec"),
        ({"spec": {}}, "spec.flow"),
        ({"spec": {"flow": {"name": "x"}}}, "spec.flow.schema"),
        (
            {
                "spec": {
                    "flow": {
                        "name": "x",
                        "schema": "v1",
                        "tolerations": {},
                        "settings": {},
                        "blocks": [{"block": "a"}],
                    }
                }
            },
            "spec.flow.blocks[0].settings",
        ),
        ({"spec": {"killedAt": 1}}, "spec.flow"),
        ({"flow": {}}, "flow"),
    ],
)
def test_run_put_bad_body_is_400(api, body, field):
    response = api.request("PUT", api.ws + "/runs/run-bad", json=body)
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


def test_run_patch_validation_and_404(api):
    run_id = api.get(api.ws + "/runs").json()["items"][0]["runId"]
    response = api.request("PATCH", api.ws + "/runs/" + run_id, json={"spec": {"killedAt": 1.5}})
    assert response.status_code == 400 and "'spec.killedAt'" in response.json()["message"]
    assert api.request("PATCH", api.ws + "/runs/run-nope", json={"spec": {"killedAt": 1}}).status_code == 404
    assert api.request("DELETE", api.ws + "/runs/run-nope").status_code == 404


# -- aggregation (D12/D13, FL7/FL8, T6/T7) ----------------------------------------------------------------


def test_aggregations_pending_then_payload(api):
    api.server.operations.delay = 60.0
    ds = api.first_dataset_id()
    flow_id = api.get(api.ws + "/flows").json()["items"][0]["flowId"]
    project_id = api.get(api.ws + "/trainingProjects").json()["items"][0]["trainingProjectId"]
    urls = [
        api.ds(ds) + "/aggregationStatistics",
        api.ws + f"/flows/{flow_id}/aggregationStatistics",
        api.ws + f"/trainingProjects/{project_id}/aggregationInsights",
    ]
    for url in urls:
        assert api.get(url).json()["payload"] is None
        generated = api.request("POST", url + ":generate")
        assert generated.status_code == 204 and generated.content == b""
        assert api.get(url).json()["pendingOperation"]["status"] == "Running"
    api.server.operations.finish_all()
    results = [api.get(url).json() for url in urls]
    assert all(r["pendingOperation"] is None and r["payload"]["timeUpdated"].endswith("Z") for r in results)
    assert results[0]["payload"]["results"]["assetTotal"] == 12
    assert results[2]["payload"]["results"]["runCount"] >= 1


def test_creates_counter_counts_only_api_creates(api):
    assert sum(api.server.stats.creates.values()) == 0  # seeding counts nothing
    api.request("POST", api.ws + "/datasets", json={"name": "A"})
    api.request("POST", api.ws + "/datasets", json={"name": "B"})
    api.request("POST", api.ws + "/datasets", json={"name": ""})  # 400: not created
    assert api.server.stats.creates["dataset"] == 2
    api.server.reset()
    assert api.server.stats.creates == {}
