"""Local server operations: annotation import sessions, runs and their models, aggregations."""

import json
import time

import pytest

from tests.helpers.local_operations import statuses, storage_request
from vi.transfers.crc32c import crc32c, to_base64

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


# -- annotation import sessions (N6–N9, X1–X3, S5) ----------------------------------------------------


def b64_crc(data):
    """The annotation-flow CRC-32C encoding: the server checks it on the storage PUT."""
    return to_base64(crc32c(data))


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
    public = {  # the same asset in the public Vi JSONL format
        "id": 7,
        "asset": {"type": "Image", "filename": asset["filename"], "width": 64, "height": 36},
        "contents": {"type": "PhraseGrounding", "caption": "a public caption", "groundedPhrases": []},
    }
    content = (json.dumps(line) + "\n" + json.dumps(public) + "\n").encode()
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
    assert [a["spec"]["contents"].get("contents") for a in annotations][-2:] == [
        "imported",
        "a public caption",
    ]
    assert api.get(api.ds(ds)).json()["statistic"]["annotationTotal"] == 26
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
    api.server.operations.delay = 60.0  # nothing advances until finish_all (no wall-clock race)
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
    api.server.operations.finish_all()
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
