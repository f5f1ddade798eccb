"""Local server operations: asset ingestion sessions and multipart uploads."""

import pytest

from tests.helpers.local_operations import SRC, assert_ms, statuses, storage_request
from vi.transfers.crc32c import crc32c, to_signed

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


# -- asset ingestion (A7–A14, S2, S3) -------------------------------------------------------------


def signed_crc(data):
    """The asset-flow CRC-32C encoding (PROTOCOL §9.4): the server checks it (ECORRUPT)."""
    return to_signed(crc32c(data))


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
