"""Surface entries for organizations, datasets, assets, annotations, runs and models."""

from __future__ import annotations

import json
import uuid

import pytest

from vi.errors import ViConflictError, ViNotFoundError, ViValidationError

from .harness import CAPTION_SPEC, SEED, SOURCE, T, conditions, crc_b64, flow_spec, not_found

# --------------------------------------------------------------------------------------------
# §6.1 Organizations (O1-O6)
# --------------------------------------------------------------------------------------------


def o1(t: T) -> None:
    orgs = t.call(lambda: list(t.client.organizations.list(page_size=1).all_items()))
    assert [o.organization_id for o in orgs] == [t.org]


def o2(t: T) -> None:
    org = t.call(t.client.organizations.get)
    assert org.organization_id == t.org
    listed = {d.dataset_id for d in t.client.datasets.list(page_size=100).all_items()}
    assert set(org.datasets) == listed and len(listed) == SEED["datasets"]


def o3(t: T) -> None:
    updated = t.call(t.client.organizations.update, spec={"name": "E2E Renamed Org"})
    assert updated.name == "E2E Renamed Org"
    assert t.client.organizations.get().name == "E2E Renamed Org"


def o4(t: T) -> None:
    members = t.call(lambda: list(t.client.organizations.list_collaborators(page_size=1).all_items()))
    assert len(members) == 2 and len(t.seen) == 2  # one per page: the walk went past page 1
    assert {m["workspaceRole"] for m in members} == {"Owner", "Member"}
    assert t.client.organizations.get_quota()["usage"]["seats"] == 2


def o5(t: T) -> None:
    members = list(t.client.organizations.list_collaborators().all_items())
    member = next(m["userId"] for m in members if m["workspaceRole"] != "Owner")
    assert t.call(t.client.organizations.remove_collaborator, member) is True
    left = [m["userId"] for m in t.client.organizations.list_collaborators().all_items()]
    assert member not in left and len(left) == len(members) - 1
    not_found(t.client.organizations.remove_collaborator, member)


def o6(t: T) -> None:
    ds = t.ds()
    t.client.datasets.create("E2E quota")
    quota = t.call(t.client.organizations.get_quota)
    assert quota["usage"]["datasets"] == SEED["datasets"] + 1
    total = sum(
        t.client.assets.count(d.dataset_id) for d in t.client.datasets.list(page_size=100).all_items()
    )
    assert quota["usage"]["assets"] == total
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"]


# --------------------------------------------------------------------------------------------
# §6.1 Datasets (D1-D16)
# --------------------------------------------------------------------------------------------


def d1(t: T) -> None:
    created = t.client.datasets.create("E2E listed")
    datasets = t.call(lambda: list(t.client.datasets.list(page_size=2).all_items()))
    ids = [d.dataset_id for d in datasets]
    assert len(ids) == SEED["datasets"] + 1 == len(set(ids)) and len(t.seen) == 2
    assert created.dataset_id in ids


def d2(t: T) -> None:
    full = {d.dataset_id: d.name for d in t.client.datasets.list(page_size=100).all_items()}
    simple = t.call(lambda: list(t.client.datasets.list_simple(page_size=2).all_items()))
    assert len(t.seen) == 2
    assert {t.short(s["datasetId"]): s["name"] for s in simple} == full


def d3(t: T) -> None:
    created = t.call(
        t.client.datasets.create, "E2E created", tags={"car": 0, "person": 1}, metadata={"team": "qa"}
    )
    got = t.client.datasets.get(created.dataset_id)
    assert got.name == "E2E created" and got.tags == {"car": 0, "person": 1}
    assert created.dataset_id in [d.dataset_id for d in t.client.datasets.list(page_size=100).all_items()]


def d4(t: T) -> None:
    listed = t.client.datasets.list()[1]
    got = t.call(t.client.datasets.get, listed.dataset_id)
    assert got.dataset_id == listed.dataset_id and got.name == listed.name
    assert got.statistic.asset_total == t.client.assets.count(listed.dataset_id)


def d5(t: T) -> None:
    ds = t.ds()
    t.call(t.client.datasets.update, ds, spec={"name": "E2E renamed", "description": "patched"})
    got = t.client.datasets.get(ds)
    assert got.name == "E2E renamed" and got.description == "patched"


def d6(t: T) -> None:
    ds = t.ds()
    deleted = t.call(t.client.datasets.delete, ds)
    assert deleted.dataset_id == ds
    not_found(t.client.datasets.get, ds)
    not_found(t.client.assets.count, ds)
    assert ds not in [d.dataset_id for d in t.client.datasets.list(page_size=100).all_items()]


def d7(t: T) -> None:
    ds = t.ds()
    t.server.operations.delay = 60.0
    t.client.datasets.delete(ds)
    pending = t.call(t.client.datasets.get_deletion_operation, ds)
    assert pending.dataset_id == ds and conditions(pending)["Finished"] == "Waiting"
    t.server.operations.finish_all()
    done = t.client.datasets.get_deletion_operation(ds)
    assert set(conditions(done).values()) == {"Reached"}


def d8(t: T) -> None:
    ds = t.ds()
    members = t.call(lambda: list(t.client.datasets.list_collaborators(ds, page_size=1).all_items()))
    assert len(members) == 2 and len(t.seen) == 2
    assert sorted(m["datasetRole"] for m in members) == ["Editor", "Owner"]


def d9(t: T) -> None:
    ds = t.ds()
    export = t.call(t.client.datasets.create_export, ds, {"format": "Coco"})
    assert export.spec.format == "Coco"
    t.server.operations.finish_all()
    done = t.client.datasets.get_export(ds, export.dataset_export_id)
    assert done.status.download_url is not None
    assert export.dataset_export_id in [
        e.dataset_export_id for e in t.client.datasets.list_exports(ds).all_items()
    ]


def d10(t: T) -> None:
    ds = t.ds()
    made = {t.client.datasets.create_export(ds).dataset_export_id for _ in range(3)}
    exports = t.call(lambda: list(t.client.datasets.list_exports(ds, page_size=1).all_items()))
    assert {e.dataset_export_id for e in exports} == made and len(t.seen) == 3


def d11(t: T) -> None:
    ds = t.ds()
    export = t.client.datasets.create_export(ds)
    t.server.operations.finish_all()
    got = t.call(t.client.datasets.get_export, ds, export.dataset_export_id)
    assert got.dataset_export_id == export.dataset_export_id
    assert set(conditions(got).values()) == {"Reached"} and got.status.download_url is not None
    not_found(t.client.datasets.get_export, ds, "exp-doesnotexist")


def d12(t: T) -> None:
    ds = t.ds()
    assert t.client.datasets.get_aggregation_statistics(ds)["payload"] is None
    t.client.datasets.generate_aggregation_statistics(ds)
    t.server.operations.finish_all()
    stats = t.call(t.client.datasets.get_aggregation_statistics, ds)
    results = stats["payload"]["results"]
    assert results["assetTotal"] == t.client.assets.count(ds)
    assert results["annotationTotal"] == sum(len(t.annotations(ds, a.asset_id)) for a in t.assets(ds))


def d13(t: T) -> None:
    ds = t.ds()
    t.server.operations.delay = 60.0
    assert t.call(t.client.datasets.generate_aggregation_statistics, ds) is None
    assert t.client.datasets.get_aggregation_statistics(ds)["pendingOperation"]["status"] == "Running"
    t.server.operations.finish_all()
    stats = t.client.datasets.get_aggregation_statistics(ds)
    assert (
        stats["pendingOperation"] is None
        and stats["payload"]["results"]["assetTotal"] == SEED["assets_per_dataset"]
    )


def d14(t: T) -> None:
    ds = t.ds()
    target = t.asset(ds, 2)
    session = t.call(t.client.datasets.bulk_delete_assets, ds, {"assetId": target.asset_id}, wait=False)
    assert session.spec.filter == {"assetId": target.asset_id}
    t.server.operations.finish_all()
    not_found(t.client.assets.get, ds, target.asset_id)
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"] - 1


def d15(t: T) -> None:
    ds = t.ds()
    made = {
        t.client.datasets.bulk_delete_assets(ds, "no-such-file", wait=False).delete_many_assets_session_id
        for _ in range(2)
    }
    sessions = t.call(
        lambda: list(t.client.datasets.list_bulk_asset_deletion_sessions(ds, page_size=1).all_items())
    )
    assert {s["deleteManyAssetsSessionId"] for s in sessions} == made and len(t.seen) == 2


def d16(t: T) -> None:
    ds = t.ds()
    t.server.operations.delay = 60.0
    session = t.client.datasets.bulk_delete_assets(ds, t.asset(ds).filename, wait=False)
    sid = session.delete_many_assets_session_id
    pending = t.call(t.client.datasets.get_bulk_asset_deletion_session, ds, sid)
    assert pending.delete_many_assets_session_id == sid and "Waiting" in conditions(pending).values()
    t.server.operations.finish_all()
    assert set(conditions(t.client.datasets.get_bulk_asset_deletion_session(ds, sid)).values()) == {"Reached"}
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"] - 1


# --------------------------------------------------------------------------------------------
# §6.1 Assets (A1-A14)
# --------------------------------------------------------------------------------------------


def a1(t: T) -> None:
    ds = t.ds()
    assets = t.call(lambda: list(t.client.assets.list(ds, page_size=2).all_items()))
    ids = [a.asset_id for a in assets]
    assert len(ids) == len(set(ids)) == t.client.assets.count(ds) == SEED["assets_per_dataset"]
    assert len(t.seen) == 3  # 2 + 2 + 1


def a2(t: T) -> None:
    ds = t.ds()
    listed = t.asset(ds, 1)
    got = t.call(t.client.assets.get, ds, listed.asset_id, contents=True)
    assert got.asset_id == listed.asset_id and got.filename == listed.filename
    assert got.contents is not None and "contents=y" in t.seen[-1].query


def a3(t: T) -> None:
    ds = t.ds()
    victim = t.asset(ds)
    deleted = t.call(t.client.assets.delete, ds, victim.asset_id)
    assert deleted.id == victim.asset_id
    not_found(t.client.assets.get, ds, victim.asset_id)
    not_found(t.client.annotations.list, ds, victim.asset_id)
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"] - 1


def a4(t: T) -> None:
    ds = t.ds()
    assets = t.assets(ds)
    count = t.call(t.client.assets.count, ds)
    assert count == len(assets)
    one = t.call(t.client.assets.count, ds, {"assetId": assets[0].asset_id})
    assert one == 1


def a5(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    t.call(t.client.assets.rename, ds, "renamed-by-id.jpg", asset_id=asset.asset_id)
    assert t.client.assets.get(ds, asset.asset_id).filename == "renamed-by-id.jpg"


def a6(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds, 1)
    t.call(t.client.assets.rename, ds, "renamed-by-name.jpg", filename=asset.filename)
    assert t.client.assets.get(ds, asset.asset_id).filename == "renamed-by-name.jpg"
    not_found(t.client.assets.rename, ds, "again.jpg", filename=asset.filename)


def a7(t: T) -> None:
    ds = t.ds()
    files = [
        {"filename": "e2e_new.jpg", "mime": "image/jpeg", "size": 481, "kind": "Image", "crc32c": -486108541},
        {"filename": "e2e_clip.mp4", "mime": "video/mp4", "size": 9000, "kind": "Video"},
    ]
    session = t.call(t.client.assets.create_ingestion_session, ds, files)
    sid = session.asset_ingestion_session_id
    assert [a.filename for a in session.spec.assets] == ["e2e_new.jpg", "e2e_clip.mp4"]
    listed = t.client.asset_sources.list_ingestion_sessions(ds, *SOURCE).all_items()
    assert sid in [s["assetIngestionSessionId"] for s in listed]


def a8(t: T) -> None:
    ds = t.ds()
    created = t.ingestion(ds, ("e2e_a8.jpg", "image/jpeg", 10))
    sid = created.asset_ingestion_session_id
    got = t.call(t.client.assets.get_ingestion_session, ds, sid)
    assert got.asset_ingestion_session_id == sid and got.ingestion_id == created.ingestion_id
    assert conditions(got).get("Finished") == "Waiting"
    as_dict = t.call(t.client.asset_sources.get_ingestion_session, ds, *SOURCE, sid)
    assert as_dict["assetIngestionSessionId"] == sid


def a9(t: T) -> None:
    ds = t.ds()
    sid = t.ingestion(ds, ("e2e_a9.jpg", "image/jpeg", 10)).asset_ingestion_session_id
    answer = t.call(t.client.assets.cancel_ingestion_session, ds, sid)
    assert isinstance(answer, dict)
    got = t.client.assets.get_ingestion_session(ds, sid)
    finished = next(c for c in got.status.conditions if c.condition == "Finished")
    assert finished.status == "FailedReach" and finished.reason == "CancelledByUser"
    other = t.ingestion(ds, ("e2e_a9b.jpg", "image/jpeg", 10)).asset_ingestion_session_id
    t.call(t.client.asset_sources.cancel_ingestion_session, ds, *SOURCE, other)
    assert conditions(t.client.assets.get_ingestion_session(ds, other))["Finished"] == "FailedReach"
    with pytest.raises(ViNotFoundError):
        t.client.assets.cancel_ingestion_session(ds, "ais-missing")


def _multipart(t: T, ds: str, filename: str = "e2e_big.mp4", size: int = 10) -> tuple:
    session = t.ingestion(ds, (filename, "video/mp4", size))
    upload = t.client.assets.create_multipart_upload(ds, session.ingestion_id, filename, size, "video/mp4")
    return session, upload


def _put_part(t: T, ds: str, upload_id: str, part: int, data: bytes) -> str:
    """Storage (S3) is the transfers issue: put the part's bytes straight into the store."""
    return t.server.store.receive_part(t.org, t.short(ds), upload_id, part, data)


def a10(t: T) -> None:
    ds = t.ds()
    session = t.ingestion(ds, ("e2e_a10.mp4", "video/mp4", 10))
    upload = t.call(
        t.client.assets.create_multipart_upload, ds, session.ingestion_id, "e2e_a10.mp4", 10, "video/mp4"
    )
    assert upload.spec.ingestion_id == session.ingestion_id and upload.spec.size_bytes == 10
    assert upload.status.part_count == 1
    part = t.client.assets.get_multipart_part_url(ds, upload.multipart_upload_id, 1)
    assert upload.multipart_upload_id in part.url


def a11(t: T) -> None:
    ds = t.ds()
    _, upload = _multipart(t, ds)
    part = t.call(t.client.assets.get_multipart_part_url, ds, upload.multipart_upload_id, 1)
    assert part.method == "PUT" and upload.multipart_upload_id in part.url
    assert [h.lower() for h in part.response_headers] == ["etag"]
    with pytest.raises(ViValidationError):  # the upload has one part
        t.client.assets.get_multipart_part_url(ds, upload.multipart_upload_id, 2)


def a12(t: T) -> None:
    ds = t.ds()
    _, upload = _multipart(t, ds)
    mpu = upload.multipart_upload_id
    etag = _put_part(t, ds, mpu, 1, b"0123456789")
    with pytest.raises(ViValidationError):  # part 1 not reported yet
        t.client.assets.complete_multipart_upload(ds, mpu)
    assert t.call(t.client.assets.complete_multipart_part, ds, mpu, 1, {"ETag": etag}) is None
    t.client.assets.complete_multipart_upload(ds, mpu)  # now accepted


def a13(t: T) -> None:
    ds = t.ds()
    session, upload = _multipart(t, ds, "e2e_a13.mp4")
    mpu = upload.multipart_upload_id
    etag = _put_part(t, ds, mpu, 1, b"0123456789")
    t.client.assets.complete_multipart_part(ds, mpu, 1, {"ETag": etag})
    assert t.call(t.client.assets.complete_multipart_upload, ds, mpu) is None
    t.server.operations.finish_all()
    done = t.client.assets.get_ingestion_session(ds, session.asset_ingestion_session_id)
    assert conditions(done)["Finished"] == "Reached"
    assert "e2e_a13.mp4" in [a.filename for a in t.assets(ds)]
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"] + 1


def a14(t: T) -> None:
    ds = t.ds()
    session, upload = _multipart(t, ds, "e2e_a14.mp4")
    mpu = upload.multipart_upload_id
    assert t.call(t.client.assets.abort_multipart_upload, ds, mpu) is None
    with pytest.raises(ViConflictError):  # aborted: no more part URLs
        t.client.assets.get_multipart_part_url(ds, mpu, 1)
    t.server.operations.finish_all()
    done = t.client.assets.get_ingestion_session(ds, session.asset_ingestion_session_id)
    assert done.status.progress_count.errored == 1
    assert "e2e_a14.mp4" not in [a.filename for a in t.assets(ds)]


# --------------------------------------------------------------------------------------------
# §6.1 Annotations (N1-N9)
# --------------------------------------------------------------------------------------------


def n1(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    anns = t.call(lambda: list(t.client.annotations.list(ds, asset.asset_id, page_size=1).all_items()))
    assert len(anns) == SEED["annotations_per_asset"] == len(t.seen)
    assert all(a.asset_id == asset.asset_id for a in anns)
    assert len({a.annotation_id for a in anns}) == len(anns)


def n2(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    listed = t.annotations(ds, asset.asset_id)[1]
    got = t.call(t.client.annotations.get, ds, asset.asset_id, listed.annotation_id)
    assert got.annotation_id == listed.annotation_id and got.spec.tag == listed.spec.tag
    not_found(t.client.annotations.get, ds, asset.asset_id, "ann-doesnotexist")


def n3(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    ann = t.annotations(ds, asset.asset_id)[0]
    t.call(t.client.annotations.replace, ds, asset.asset_id, ann.annotation_id, {"spec": CAPTION_SPEC})
    got = t.client.annotations.get(ds, asset.asset_id, ann.annotation_id)
    assert got.spec.tag == 1 and got.spec.contents.contents == "a replaced caption"
    assert got.spec.aggregation.whole.id == "grp-e2e"
    # a full document: GET -> edit -> PUT back (the server documents this round trip as accepted)
    document = dict(got.raw, spec=dict(got.raw["spec"], tag=4))
    t.call(t.client.annotations.replace, ds, asset.asset_id, ann.annotation_id, document)
    assert t.client.annotations.get(ds, asset.asset_id, ann.annotation_id).spec.tag == 4


def n4(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    ann = t.annotations(ds, asset.asset_id)[0]
    new_tag = ann.spec.tag + 5
    t.call(t.client.annotations.update, ds, asset.asset_id, ann.annotation_id, {"spec": {"tag": new_tag}})
    got = t.client.annotations.get(ds, asset.asset_id, ann.annotation_id)
    assert (
        got.spec.tag == new_tag and got.spec.aggregation.this_part.role == ann.spec.aggregation.this_part.role
    )


def n5(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    ann = t.annotations(ds, asset.asset_id)[0]
    deleted = t.call(t.client.annotations.delete, ds, asset.asset_id, ann.annotation_id)
    assert deleted.id == ann.annotation_id
    not_found(t.client.annotations.get, ds, asset.asset_id, ann.annotation_id)
    assert len(t.annotations(ds, asset.asset_id)) == SEED["annotations_per_asset"] - 1


def n6(t: T) -> None:
    ds = t.ds()
    session = t.call(
        t.client.annotations.create_import_session,
        ds,
        failure_policies={"on_bad_file": "Warn"},
        metadata={"k": "v"},
    )
    sid = session.annotation_import_session_id
    assert session.spec.failure_policies.on_bad_file == "Warn"
    assert conditions(session) == {"FilesInserted": "Waiting"}
    assert sid in [
        s["annotationImportSessionId"] for s in t.client.annotation_import_sessions.list(ds).all_items()
    ]


JSONL_FILE = "e2e.jsonl"


def jsonl_line(asset_id: str) -> bytes:
    return (json.dumps({"assetId": asset_id, "spec": CAPTION_SPEC}) + "\n").encode("utf-8")


def n7(t: T) -> None:
    ds = t.ds()
    sid = t.import_session(ds).annotation_import_session_id
    data = jsonl_line(t.asset(ds).asset_id)
    files = {JSONL_FILE: {"sizeBytes": len(data), "crc32c": crc_b64(data)}}
    answer = t.call(t.client.annotations.add_import_files, ds, sid, files)
    assert list(answer.files) == [JSONL_FILE] and answer.files[JSONL_FILE].method == "PUT"
    sample = t.client.annotation_import_sessions.get_files_sample(ds, sid)
    assert [(f["name"], f["sizeBytes"], f["uploaded"]) for f in sample["files"]] == [
        (JSONL_FILE, len(data), False)
    ]
    # the dict variant of N7 registers more files on the same session
    more = t.call(
        t.client.annotation_import_sessions.add_files,
        ds,
        sid,
        {"files": {"second.jsonl": {"sizeBytes": 3, "crc32c": crc_b64(b"{}\n"), "kind": "Unknown"}}},
    )
    assert list(more["files"]) == ["second.jsonl"]
    assert len(t.client.annotation_import_sessions.get_files_sample(ds, sid)["files"]) == 2


def uploaded_import(t: T, ds: str, asset_id: str) -> str:
    sid = t.import_session(ds).annotation_import_session_id
    data = jsonl_line(asset_id)
    t.client.annotations.add_import_files(
        ds, sid, {JSONL_FILE: {"sizeBytes": len(data), "crc32c": crc_b64(data)}}
    )
    # Storage (S5) is the transfers issue: put the file's bytes straight into the store.
    t.server.store.receive_import_file(t.org, t.short(ds), sid, JSONL_FILE, data)
    return sid


def n8(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    sid = uploaded_import(t, ds, asset.asset_id)
    t.server.operations.delay = 60.0
    session = t.call(t.client.annotations.update_import_status, ds, sid)
    assert conditions(session)["FilesInserted"] == "Reached"
    assert conditions(session)["Complete"] == "Waiting"
    t.server.operations.finish_all()
    anns = t.annotations(ds, asset.asset_id)
    assert len(anns) == SEED["annotations_per_asset"] + 1
    assert "a replaced caption" in [getattr(a.spec.contents, "contents", None) for a in anns]


def n9(t: T) -> None:
    ds = t.ds()
    sid = uploaded_import(t, ds, t.asset(ds).asset_id)
    waiting = t.call(t.client.annotations.get_import_session, ds, sid)
    assert waiting.annotation_import_session_id == sid and conditions(waiting) == {"FilesInserted": "Waiting"}
    t.client.annotations.update_import_status(ds, sid)
    t.server.operations.finish_all()
    done = t.call(t.client.annotation_import_sessions.get, ds, sid)
    assert {c["condition"]: c["status"] for c in done["status"]["conditions"]} == {
        "FilesInserted": "Reached",
        "FilesParsed": "Reached",
        "Complete": "Reached",
    }


# --------------------------------------------------------------------------------------------
# §6.1 Runs (R1-R7) and models (M1-M2)
# --------------------------------------------------------------------------------------------


def r1(t: T) -> None:
    runs = t.call(lambda: list(t.client.runs.list(page_size=1).all_items()))
    ids = [r.run_id for r in runs]
    assert len(ids) == len(set(ids)) == SEED["runs"] == len(t.seen)
    assert t.client.organizations.get_quota()["usage"]["runs"] == len(ids)


def r2(t: T) -> None:
    listed = t.client.runs.list()[1]
    got = t.call(t.client.runs.get, listed.run_id)
    assert got.run_id == listed.run_id and got.spec.flow.name == listed.spec.flow.name
    not_found(t.client.runs.get, "run-doesnotexist")


def r3(t: T) -> None:
    run_id = str(uuid.uuid4())
    run = t.call(t.client.runs.create, flow_spec("E2E run flow", epochs=2), run_id=run_id)
    assert run.run_id == run_id and conditions(run)["Finished"] == "Waiting"
    assert run_id in [r.run_id for r in t.client.runs.list(page_size=100).all_items()]
    t.server.operations.finish_all()
    assert conditions(t.client.runs.get(run_id))["Finished"] == "Reached"
    assert sorted(m.model_id for m in t.client.models(run_id)) == ["ckpt-epoch-1", "ckpt-final"]
    again = t.call(t.client.runs.create, flow_spec("E2E run flow", epochs=2), run_id=run_id)  # idempotent
    assert again.run_id == run_id and t.server.stats.creates["run"] == 1
    t.call(t.client.runs.replace, run_id, {"flow": flow_spec("E2E replaced flow")})
    assert t.client.runs.get(run_id).spec.flow.name == "E2E replaced flow"


def r4(t: T) -> None:
    t.server.operations.delay = 60.0
    run = t.client.runs.create(t.flow())
    killed = t.call(t.client.runs.kill, run.run_id)
    assert killed.spec.killed_at is not None
    t.server.operations.finish_all()
    finished = next(c for c in t.client.runs.get(run.run_id).status.conditions if c.condition == "Finished")
    assert finished.status == "FailedReach" and finished.reason == "Killed"
    assert list(t.client.models(run.run_id)) == []
    t.call(t.client.runs.update, run.run_id, metadata={"note": "e2e"})
    assert t.client.runs.get(run.run_id).metadata.attributes == {"note": "e2e"}


def r5(t: T) -> None:
    run_id = t.finished_run()
    deleted = t.call(t.client.runs.delete, run_id)
    assert deleted.id == run_id
    not_found(t.client.runs.get, run_id)
    not_found(t.client.models.list, run_id)
    assert len(list(t.client.runs.list().all_items())) == SEED["runs"] - 1


def r6(t: T) -> None:
    full = {r.run_id: r.spec.flow.name for r in t.client.runs.list(page_size=100).all_items()}
    simple = t.call(lambda: list(t.client.runs.list_simple(page_size=1).all_items()))
    assert {s["runId"]: s["name"] for s in simple} == full and len(t.seen) == SEED["runs"]


def r7(t: T) -> None:
    run_id = t.finished_run()
    logs = t.call(t.client.runs.get_logs, run_id)
    assert logs["runId"] == run_id
    model_entries = [e for e in logs["entries"] if e["block"] == "model"]
    assert len(model_entries) == len(t.client.models.list(run_id).items)
    only = t.call(t.client.runs.get_logs, run_id, block="model", limit=1)
    assert "block=model" in t.seen[-1].query and "limit=1" in t.seen[-1].query
    assert only["entries"] == model_entries[-1:]


def m1(t: T) -> None:
    run_id = t.finished_run()
    models = t.call(lambda: list(t.client.models.list(run_id, page_size=1).all_items()))
    assert sorted(m.model_id for m in models) == ["ckpt-epoch-2", "ckpt-final"] and len(t.seen) == 2
    assert all("intent=sdkLocalDeploy" in r.query and "?" not in r.query for r in t.seen)
    assert all(m.run_id == run_id for m in models)


def m2(t: T) -> None:
    run_id = t.finished_run()
    model = t.call(t.client.models.get, run_id, "ckpt-epoch-2")
    assert model.model_id == "ckpt-epoch-2" and model.run_id == run_id
    assert "intent=sdkLocalDeploy" in t.seen[-1].query
    latest = t.call(t.client.models.get, run_id)
    assert latest.model_id == "ckpt-final"
    not_found(t.client.models.get, run_id, "ckpt-missing")
