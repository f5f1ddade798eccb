"""Every API endpoint of PROTOCOL §6.1 and §6.2, end to end: the client method against the local
server (in-process adapter), one table entry per endpoint id.

Each entry names the endpoint id, the HTTP method and the path (a regex over the raw request
path, query excluded) the server must see, and a callable that prepares state, makes the call
through ``t.call(...)`` and checks that the result reflects server state (created things are
listed, deleted ones 404, counts match, updates show on the next get, listings walk past page
one). Only the requests made inside ``t.call`` are checked against the (method, path) of the
entry; set-up and verification requests are free. The storage interactions S1-S6 belong to the
transfers issue and are not here; where an API call needs bytes to have arrived in storage
(A12/A13, N8), the test puts them into the store directly instead of going through storage.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import uuid
from typing import Any, Callable, List, NamedTuple, Optional

import pytest

import vi
from vi.errors import ViConflictError, ViNotFoundError, ViValidationError
from vi.testing import LocalViServer

# --------------------------------------------------------------------------------------------
# The catalogue (PROTOCOL §6.1 and §6.2), hard-coded: the table below must cover exactly this.
# --------------------------------------------------------------------------------------------

CORE_IDS = (
    [f"O{i}" for i in range(1, 7)]
    + [f"D{i}" for i in range(1, 17)]
    + [f"A{i}" for i in range(1, 15)]
    + [f"N{i}" for i in range(1, 10)]
    + [f"R{i}" for i in range(1, 8)]
    + ["M1", "M2"]
)
PERIPHERAL_IDS = (
    ["P1", "P2"]
    + [f"F{i}" for i in range(1, 7)]
    + [f"L{i}" for i in range(1, 6)]
    + ["I1"]
    + [f"AS{i}" for i in range(1, 6)]
    + ["W1", "W2"]
    + ["X1", "X2", "X3"]
    + [f"T{i}" for i in range(1, 9)]
    + [f"FL{i}" for i in range(1, 11)]
    + [f"DP{i}" for i in range(1, 8)]
    + [f"DJ{i}" for i in range(1, 7)]
    + [f"DE{i}" for i in range(1, 6)]
)
CATALOGUE_IDS = CORE_IDS + PERIPHERAL_IDS

SOURCE = ("managed", "datature", "default")
SEED = {"datasets": 3, "assets_per_dataset": 5, "annotations_per_asset": 2, "runs": 3}


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------


class T:
    """What an entry's callable gets: the server, a client for it, and `call` to record requests."""

    def __init__(self, server: LocalViServer, client: vi.Client) -> None:
        self.server = server
        self.client = client
        self.org = server.organization_id
        self.seen: Optional[list] = None

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run the endpoint call; the requests it made are kept in `self.seen`."""
        stats = self.server.stats
        start = stats.request_count
        result = fn(*args, **kwargs)
        made = stats.request_count - start
        self.seen = stats.requests[-made:] if made else []
        return result

    # -- shared set-up ----------------------------------------------------------------------

    def ds(self, index: int = 0) -> str:
        return self.client.datasets.list()[index].dataset_id

    def assets(self, ds: str) -> list:
        return list(self.client.assets.list(ds, page_size=100).all_items())

    def asset(self, ds: str, index: int = 0) -> Any:
        return self.assets(ds)[index]

    def annotations(self, ds: str, asset_id: str) -> list:
        return list(self.client.annotations.list(ds, asset_id, page_size=100).all_items())

    def finished_run(self) -> str:
        for run in self.client.runs.list(page_size=100).all_items():
            if len(self.client.models.list(run.run_id, page_size=100).items) >= 2:
                return run.run_id
        raise AssertionError("the demo seed has no finished run with two checkpoints")

    def flow(self) -> Any:
        return self.client.flows.list()[0]

    def ingestion(self, ds: str, *files: tuple) -> Any:
        """A7 in set-up: an ingestion session declaring `files` ((filename, mime, size), ...)."""
        assets = [
            {"filename": f, "mime": m, "size": s, "kind": "Video" if m.startswith("video/") else "Image"}
            for f, m, s in files
        ]
        return self.client.assets.create_ingestion_session(ds, assets)

    def import_session(self, ds: str) -> Any:
        return self.client.annotations.create_import_session(ds)

    def short(self, ds: str) -> str:
        return ds[len(self.org) + 1 :] if ds.startswith(self.org + "_") else ds


def not_found(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(ViNotFoundError):
        fn(*args, **kwargs)


def conditions(obj: Any) -> dict:
    return {c.condition: c.status for c in obj.status.conditions}


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), bitwise: enough for the few bytes these tests register."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def crc_b64(data: bytes) -> str:
    return base64.b64encode(struct.pack(">I", crc32c(data))).decode("ascii")


def flow_spec(name: str = "E2E flow", epochs: int = 2) -> dict:
    return {
        "name": name,
        "schema": "v1",
        "tolerations": {"accelerators": ["nvidia-a100-80gb"]},
        "settings": {"advanced": {"seed": 7}},
        "blocks": [
            {
                "block": "model",
                "settings": {"architecture": "florence-2-large", "epochs": epochs},
                "style": {"x": 0, "y": 0},
            }
        ],
    }


CAPTION_SPEC = {
    "tag": 1,
    "aggregation": {"whole": {"id": "grp-e2e"}, "thisPart": {"role": "Caption"}},
    "contents": {"kind": "Caption", "contents": "a replaced caption"},
}


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


def _jsonl(asset_id: str) -> bytes:
    return (json.dumps({"assetId": asset_id, "spec": CAPTION_SPEC}) + "\n").encode("utf-8")


def n7(t: T) -> None:
    ds = t.ds()
    sid = t.import_session(ds).annotation_import_session_id
    data = _jsonl(t.asset(ds).asset_id)
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


def _uploaded_import(t: T, ds: str, asset_id: str) -> str:
    sid = t.import_session(ds).annotation_import_session_id
    data = _jsonl(asset_id)
    t.client.annotations.add_import_files(
        ds, sid, {JSONL_FILE: {"sizeBytes": len(data), "crc32c": crc_b64(data)}}
    )
    # Storage (S5) is the transfers issue: put the file's bytes straight into the store.
    t.server.store.receive_import_file(t.org, t.short(ds), sid, JSONL_FILE, data)
    return sid


def n8(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    sid = _uploaded_import(t, ds, asset.asset_id)
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
    sid = _uploaded_import(t, ds, t.asset(ds).asset_id)
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


# --------------------------------------------------------------------------------------------
# §6.2 Plans (P1-P2), folders (F1-F6), ontologies (L1-L5), IntelliScribe (I1)
# --------------------------------------------------------------------------------------------


def p1(t: T) -> None:
    plans = t.call(lambda: list(t.client.plans.list(page_size=1).all_items()))
    assert [p["planId"] for p in plans] == ["free", "developer", "professional"] and len(t.seen) == 3


def p2(t: T) -> None:
    listed = list(t.client.plans.list().all_items())[1]
    got = t.call(t.client.plans.get, listed["planId"])
    assert got == listed
    not_found(t.client.plans.get, "no-such-plan")


def f1(t: T) -> None:
    ds = t.ds()
    folders = t.call(lambda: list(t.client.folders.list(ds, page_size=1).all_items()))
    assert [f["name"] for f in folders] == ["training", "training/batch 1", "validation"] and len(t.seen) == 3
    by_name = t.call(
        lambda: list(
            t.client.folders.list(ds, filter_criteria="train", sort_by="name", sort_order="desc").all_items()
        )
    )
    assert [f["name"] for f in by_name] == ["training/batch 1", "training"]


def f2(t: T) -> None:
    ds = t.ds()
    got = t.call(t.client.folders.get, ds, "training/batch 1")
    assert t.seen[-1].path.endswith("/folders/training%2Fbatch%201")
    assert got["name"] == "training/batch 1" and got["parent"] == "training"
    filed = [c for c in t.client.folders.children(ds, "training/batch 1", child_type="Asset").all_items()]
    assert got["assetCount"] == len(filed) >= 1


def f3(t: T) -> None:
    ds = t.ds()
    children = t.call(lambda: list(t.client.folders.children(ds, "training", page_size=1).all_items()))
    assert len(t.seen) == len(children) >= 2
    folders = [c["folder"]["name"] for c in children if c["childType"] == "Folder"]
    assets = [c["asset"]["assetId"] for c in children if c["childType"] == "Asset"]
    assert folders == ["training/batch 1"]
    assert len(assets) == t.client.folders.get(ds, "training")["assetCount"] >= 1


def f4(t: T) -> None:
    ds = t.ds()
    created = t.call(t.client.folders.put, ds, "e2e folder")
    assert created["name"] == "e2e folder" and created["owner"] == t.org
    assert t.client.folders.get(ds, "e2e folder")["name"] == "e2e folder"
    assert "e2e folder" in [f["name"] for f in t.client.folders.list(ds).all_items()]


def f5(t: T) -> None:
    ds = t.ds()
    t.call(t.client.folders.delete, ds, "training")
    not_found(t.client.folders.get, ds, "training")
    not_found(t.client.folders.get, ds, "training/batch 1")  # sub-folders go too
    assert [f["name"] for f in t.client.folders.list(ds).all_items()] == ["validation"]


def f6(t: T) -> None:
    ds = t.ds()
    assert t.call(t.client.folders.delete_all, ds) is True
    assert list(t.client.folders.list(ds).all_items()) == []
    not_found(t.client.folders.get, ds, "validation")
    other = t.ds(1)
    assert len(list(t.client.folders.list(other).all_items())) == 3  # other datasets keep theirs


def _ontology(t: T, ds: str) -> dict:
    return list(t.client.ontologies.list(ds).all_items())[0]


def l1(t: T) -> None:
    ds = t.ds()
    seeded = _ontology(t, ds)
    t.client.ontologies.replace(ds, "ont-e2e", {"name": "E2E ontology", "spec": {"classes": []}})
    onts = t.call(lambda: list(t.client.ontologies.list(ds, page_size=1).all_items()))
    assert [o["ontologyId"] for o in onts] == [seeded["ontologyId"], "ont-e2e"] and len(t.seen) == 2
    filtered = t.call(lambda: list(t.client.ontologies.list(ds, filter_criteria="E2E").all_items()))
    assert [o["ontologyId"] for o in filtered] == ["ont-e2e"]


def l2(t: T) -> None:
    ds = t.ds()
    listed = _ontology(t, ds)
    got = t.call(t.client.ontologies.get, ds, listed["ontologyId"])
    assert got == listed
    not_found(t.client.ontologies.get, ds, "ont-missing")


def l3(t: T) -> None:
    ds = t.ds()
    body = {
        "name": "E2E ontology",
        "description": "made by PUT",
        "spec": {"classes": [{"name": "car", "tag": 0}]},
    }
    put = t.call(t.client.ontologies.replace, ds, "ont-e2e", body)
    assert put["ontologyId"] == "ont-e2e"
    got = t.client.ontologies.get(ds, "ont-e2e")
    assert (got["name"], got["description"], got["spec"]) == ("E2E ontology", "made by PUT", body["spec"])


def l4(t: T) -> None:
    ds = t.ds()
    ont = _ontology(t, ds)
    t.call(t.client.ontologies.update, ds, ont["ontologyId"], {"description": "patched"})
    got = t.client.ontologies.get(ds, ont["ontologyId"])
    assert got["description"] == "patched" and got["name"] == ont["name"] and got["spec"] == ont["spec"]


def l5(t: T) -> None:
    ds = t.ds()
    ont = _ontology(t, ds)
    spec = {"classes": [{"name": "e2e", "tag": 0}]}
    version = t.call(t.client.ontologies.create_version, ds, ont["ontologyId"], {"note": "v2", "spec": spec})
    assert version["version"] == len(ont["versions"]) + 1 and version["note"] == "v2"
    got = t.client.ontologies.get(ds, ont["ontologyId"])
    assert len(got["versions"]) == len(ont["versions"]) + 1 and got["spec"] == spec


def i1(t: T) -> None:
    ds = t.ds()
    ids = [a.asset_id for a in t.assets(ds)[:2]]
    generations = t.call(t.client.intelliscribe.generate, ds, {"assetIds": ids, "maxLength": 40})
    assert [g["assetId"] for g in generations] == ids
    assert all(len(g["caption"]) <= 40 for g in generations)
    with pytest.raises(ViNotFoundError):
        t.client.intelliscribe.generate(ds, {"assetIds": ["ast-missing"]})


# --------------------------------------------------------------------------------------------
# §6.2 Asset sources (AS1-AS5), assets with objects (W1-W2), annotation import extras (X1-X3)
# --------------------------------------------------------------------------------------------


def as1(t: T) -> None:
    ds = t.ds()
    t.ingestion(ds, ("e2e_as1.jpg", "image/jpeg", 10))
    sources = t.call(lambda: list(t.client.asset_sources.list(ds, page_size=1).all_items()))
    assert [(s["assetSourceClass"], s["assetSourceProvider"], s["assetSourceId"]) for s in sources] == [
        SOURCE
    ]
    assert sources[0]["ingestionSessionCount"] == 1


def as2(t: T) -> None:
    ds = t.ds()
    got = t.call(t.client.asset_sources.get, ds, *SOURCE)
    assert (got["assetSourceClass"], got["assetSourceProvider"], got["assetSourceId"]) == SOURCE
    assert got == list(t.client.asset_sources.list(ds).all_items())[0]


def as3(t: T) -> None:
    ds = t.ds()
    sample = t.call(t.client.asset_sources.sample, ds, *SOURCE)
    assert sample["total"] == t.client.assets.count(ds)
    assert {s["filename"] for s in sample["sample"]} <= {a.filename for a in t.assets(ds)}


def as4(t: T) -> None:
    ds = t.ds()
    sid = t.ingestion(ds, ("e2e_as4.jpg", "image/jpeg", 10)).asset_ingestion_session_id
    deleted = t.call(t.client.asset_sources.delete, ds, *SOURCE)
    assert deleted.id == SOURCE[2]
    not_found(t.client.asset_sources.get, ds, *SOURCE)
    not_found(t.client.assets.get_ingestion_session, ds, sid)
    assert list(t.client.asset_sources.list(ds).all_items()) == []
    assert t.client.assets.count(ds) == SEED["assets_per_dataset"]  # assets stay


def as5(t: T) -> None:
    ds = t.ds()
    made = [
        t.ingestion(ds, (f"e2e_as5_{i}.jpg", "image/jpeg", 10)).asset_ingestion_session_id for i in range(3)
    ]
    sessions = t.call(
        lambda: list(t.client.asset_sources.list_ingestion_sessions(ds, *SOURCE, page_size=1).all_items())
    )
    assert [s["assetIngestionSessionId"] for s in sessions] == made and len(t.seen) == 3


def w1(t: T) -> None:
    ds = t.ds()
    items = t.call(lambda: list(t.client.assets_with_objects.list(ds, page_size=2).all_items()))
    assert [i["assetId"] for i in items] == [a.asset_id for a in t.assets(ds)] and len(t.seen) == 3
    for item in items:
        assert sorted(o["annotationId"] for o in item["objects"]) == sorted(
            a.annotation_id for a in t.annotations(ds, item["assetId"])
        )


def w2(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    t.client.annotations.delete(ds, asset.asset_id, t.annotations(ds, asset.asset_id)[0].annotation_id)
    got = t.call(t.client.assets_with_objects.get, ds, asset.asset_id)
    assert got["assetId"] == asset.asset_id
    assert [o["annotationId"] for o in got["objects"]] == [
        a.annotation_id for a in t.annotations(ds, asset.asset_id)
    ]
    assert len(got["objects"]) == SEED["annotations_per_asset"] - 1


def x1(t: T) -> None:
    ds = t.ds()
    made = [t.import_session(ds).annotation_import_session_id for _ in range(3)]
    sessions = t.call(lambda: list(t.client.annotation_import_sessions.list(ds, page_size=1).all_items()))
    assert [s["annotationImportSessionId"] for s in sessions] == made and len(t.seen) == 3


def x2(t: T) -> None:
    ds = t.ds()
    asset = t.asset(ds)
    sid = _uploaded_import(t, ds, asset.asset_id)
    sample = t.call(t.client.annotation_import_sessions.get_files_sample, ds, sid)
    assert sample["annotationImportSessionId"] == sid
    (entry,) = sample["files"]
    assert entry["name"] == JSONL_FILE and entry["uploaded"] is True
    assert entry["sample"] == [_jsonl(asset.asset_id).decode("utf-8").strip()]


def x3(t: T) -> None:
    ds = t.ds()
    sid = _uploaded_import(t, ds, t.asset(ds).asset_id)
    before = t.call(t.client.annotation_import_sessions.get_logs, ds, sid)
    assert before["annotationImportSessionId"] == sid
    assert [e["message"] for e in before["entries"]] == ["Session created", "FilesInserted: Waiting"]
    t.client.annotation_import_sessions.update_status(
        ds,
        sid,
        {
            "status": {
                "conditions": [
                    {
                        "condition": "FilesInserted",
                        "status": "FailedReach",
                        "lastTransitionTime": 1733900000000,
                        "reason": "UserUploadErrored",
                    }
                ]
            }
        },
    )
    after = t.client.annotation_import_sessions.get_logs(ds, sid)
    assert any(
        e["level"] == "ERROR" and "FilesInserted: FailedReach" in e["message"] for e in after["entries"]
    )


# --------------------------------------------------------------------------------------------
# §6.2 Training projects (T1-T8)
# --------------------------------------------------------------------------------------------


def t1(t: T) -> None:
    t.client.training_projects.create({"name": "E2E listed project", "type": "phrase-grounding"})
    projects = t.call(lambda: list(t.client.training_projects.list(page_size=1).all_items()))
    ids = [p.training_project_id for p in projects]
    assert len(ids) == len(set(ids)) == len(t.seen) >= 3
    assert "E2E listed project" in [p.spec.name for p in projects]
    assert t.client.organizations.get_quota()["usage"]["trainingProjects"] == len(ids)


def t2(t: T) -> None:
    listed = t.client.training_projects.list()[0]
    got = t.call(t.client.training_projects.get, listed.training_project_id)
    assert got.training_project_id == listed.training_project_id and got.spec.name == listed.spec.name
    not_found(t.client.training_projects.get, "tp-missing")


def t3(t: T) -> None:
    spec = {"name": "E2E project", "description": "made by the e2e suite", "type": "phrase-grounding"}
    created = t.call(
        t.client.training_projects.create, spec, training_project_id="tp-e2e", metadata={"k": "v"}
    )
    assert created.training_project_id == "tp-e2e"
    got = t.client.training_projects.get("tp-e2e")
    assert (got.spec.name, got.spec.description) == ("E2E project", "made by the e2e suite")
    assert "tp-e2e" in [p.training_project_id for p in t.client.training_projects.list().all_items()]


def t4(t: T) -> None:
    project = t.client.training_projects.list()[0]
    t.call(t.client.training_projects.update, project.training_project_id, spec={"description": "patched"})
    got = t.client.training_projects.get(project.training_project_id)
    assert got.spec.description == "patched" and got.spec.name == project.spec.name
    t.call(t.client.training_projects.update, project.training_project_id, metadata={"a": "1", "b": "2"})
    assert t.client.training_projects.get(project.training_project_id).metadata.attributes == {
        "a": "1",
        "b": "2",
    }
    # PROTOCOL §8.8: metadata values may be None on T4 (and §1.5: explicit nulls must be accepted)
    t.call(t.client.training_projects.update, project.training_project_id, metadata={"a": None})
    attributes = t.client.training_projects.get(project.training_project_id).metadata.attributes
    assert attributes.get("a") is None and attributes["b"] == "2"


def t5(t: T) -> None:
    project = t.client.training_projects.list()[0]
    deleted = t.call(t.client.training_projects.delete, project.training_project_id)
    assert deleted.id == project.training_project_id
    not_found(t.client.training_projects.get, project.training_project_id)
    assert project.training_project_id not in [
        p.training_project_id for p in t.client.training_projects.list().all_items()
    ]


def t6(t: T) -> None:
    project = t.client.training_projects.list()[0].training_project_id
    before = t.call(t.client.training_projects.get_aggregation_insights, project)
    assert before.payload is None and before.pending_operation is None
    t.client.training_projects.generate_aggregation_insights(project)
    t.server.operations.finish_all()
    after = t.call(t.client.training_projects.get_aggregation_insights, project)
    runs = [r for r in t.client.runs.list(page_size=100).all_items() if r.spec.training_project == project]
    assert after.payload is not None and after.payload.results["runCount"] == len(runs)


def t7(t: T) -> None:
    project = t.client.training_projects.list()[0].training_project_id
    t.server.operations.delay = 60.0
    assert t.call(t.client.training_projects.generate_aggregation_insights, project) is None
    assert t.client.training_projects.get_aggregation_insights(project).pending_operation.status == "Running"
    t.server.operations.finish_all()
    done = t.client.training_projects.get_aggregation_insights(project)
    assert done.pending_operation is None and done.payload is not None


def t8(t: T) -> None:
    existing = t.client.training_projects.list()[0]
    taken = t.call(t.client.training_projects.dry_run_create, existing.training_project_id, "Some new name")
    assert [e.kind for e in taken.errors] == ["IdAlreadyExists"]
    clash = t.call(t.client.training_projects.dry_run_create, "tp-fresh", existing.spec.name)
    assert [e.kind for e in clash.errors] == ["NameAlreadyExists"]
    fine = t.call(t.client.training_projects.dry_run_create, "tp-fresh", "A brand new name")
    assert fine.errors == []
    not_found(t.client.training_projects.get, "tp-fresh")  # a dry run creates nothing


# --------------------------------------------------------------------------------------------
# §6.2 Flows (FL1-FL10)
# --------------------------------------------------------------------------------------------


def fl1(t: T) -> None:
    created = t.client.flows.create(flow_spec("E2E listed flow"))
    flows = t.call(lambda: list(t.client.flows.list(page_size=1).all_items()))
    ids = [f.flow_id for f in flows]
    assert len(ids) == len(set(ids)) == len(t.seen) >= 2 and created.flow_id in ids
    assert t.client.organizations.get_quota()["usage"]["flows"] == len(ids)


def fl2(t: T) -> None:
    listed = t.client.flows.list()[0]
    got = t.call(t.client.flows.get, listed.flow_id)
    assert got.flow_id == listed.flow_id and got.spec.name == listed.spec.name
    not_found(t.client.flows.get, "flw-missing")


def fl3(t: T) -> None:
    created = t.call(t.client.flows.create, flow_spec("E2E created flow"), metadata={"k": "v"})
    got = t.client.flows.get(created.flow_id)
    assert got.spec.name == "E2E created flow" and [b.block for b in got.spec.blocks] == ["model"]
    t.call(t.client.flows.replace, created.flow_id, flow_spec("E2E replaced flow"))
    assert t.client.flows.get(created.flow_id).spec.name == "E2E replaced flow"


def fl4(t: T) -> None:
    flow = t.flow()
    t.call(t.client.flows.update, flow.flow_id, spec={"name": "E2E patched flow"})
    got = t.client.flows.get(flow.flow_id)
    assert got.spec.name == "E2E patched flow" and len(got.spec.blocks) == len(flow.spec.blocks)


def fl5(t: T) -> None:
    flow = t.flow()
    deleted = t.call(t.client.flows.delete, flow.flow_id)
    assert deleted.id == flow.flow_id
    not_found(t.client.flows.get, flow.flow_id)
    assert flow.flow_id not in [f.flow_id for f in t.client.flows.list().all_items()]


def fl6(t: T) -> None:
    full = {
        f.flow_id: (f.spec.name, len(f.spec.blocks)) for f in t.client.flows.list(page_size=100).all_items()
    }
    simple = t.call(lambda: list(t.client.flows.list_simple(page_size=1).all_items()))
    assert {s["flowId"]: (s["name"], s["blockCount"]) for s in simple} == full and len(t.seen) == len(
        full
    ) >= 2


def fl7(t: T) -> None:
    flow = t.flow()
    assert t.call(t.client.flows.get_aggregation_statistics, flow.flow_id)["payload"] is None
    t.client.flows.generate_aggregation_statistics(flow.flow_id)
    t.server.operations.finish_all()
    stats = t.call(t.client.flows.get_aggregation_statistics, flow.flow_id)
    results = stats["payload"]["results"]
    assert stats["flowId"] == flow.flow_id and results["blockCount"] == len(flow.spec.blocks)
    runs = [r for r in t.client.runs.list(page_size=100).all_items() if r.spec.flow.name == flow.spec.name]
    assert results["runCount"] == len(runs)


def fl8(t: T) -> None:
    flow = t.flow()
    t.server.operations.delay = 60.0
    assert t.call(t.client.flows.generate_aggregation_statistics, flow.flow_id) is None
    assert t.client.flows.get_aggregation_statistics(flow.flow_id)["pendingOperation"]["status"] == "Running"
    t.server.operations.finish_all()
    assert t.client.flows.get_aggregation_statistics(flow.flow_id)["payload"] is not None


def fl9(t: T) -> None:
    flow = t.flow()
    accelerators = t.call(t.client.flows.get_accelerators, flow.flow_id)
    assert accelerators.flow_id == flow.flow_id
    names = [i.accelerator.training_accelerator_id for i in accelerators.items]
    assert names == flow.spec.tolerations["accelerators"]


def fl10(t: T) -> None:
    flow = t.flow()
    name = flow.spec.tolerations["accelerators"][0]
    body = {
        "items": [
            {
                "trainingAcceleratorId": name,
                "configurations": [
                    {"count": 1, "action": "Allow"},
                    {"count": 8, "action": "Deny", "reason": "Quota exceeded"},
                ],
            }
        ]
    }
    answer = t.call(t.client.flows.update_accelerators, flow.flow_id, body)
    assert answer.flow_id == flow.flow_id
    item = next(
        i
        for i in t.client.flows.get_accelerators(flow.flow_id).items
        if i.accelerator.training_accelerator_id == name
    )
    assert [(c.count, c.action, c.reason) for c in item.configurations] == [
        (1, "Allow", None),
        (8, "Deny", "Quota exceeded"),
    ]


# --------------------------------------------------------------------------------------------
# §6.2 Deployments (DP1-DP7), deployment projects (DJ1-DJ6), deployment endpoints (DE1-DE5)
# --------------------------------------------------------------------------------------------

_COLLECTIONS = {
    "DP": ("deployments", "deploymentId"),
    "DJ": ("deployment_projects", "deploymentProjectId"),
    "DE": ("deployment_endpoints", "deploymentEndpointId"),
}


def _docs(t: T, prefix: str) -> tuple:
    attr, id_field = _COLLECTIONS[prefix]
    return getattr(t.client, attr), id_field


def _doc_list(prefix: str) -> Callable[[T], None]:
    def check(t: T) -> None:
        resource, id_field = _docs(t, prefix)
        resource.replace("e2e-doc", {"name": "E2E document", "spec": {"n": 1}})
        docs = t.call(lambda: list(resource.list(page_size=1).all_items()))
        ids = [d[id_field] for d in docs]
        assert len(ids) == len(set(ids)) == len(t.seen) == 3 and ids[-1] == "e2e-doc"
        filtered = t.call(lambda: list(resource.list(filter_criteria="e2e").all_items()))
        assert [d[id_field] for d in filtered] == ["e2e-doc"]

    return check


def _doc_get(prefix: str) -> Callable[[T], None]:
    def check(t: T) -> None:
        resource, id_field = _docs(t, prefix)
        listed = list(resource.list().all_items())[1]
        got = t.call(resource.get, listed[id_field])
        assert got == listed
        not_found(resource.get, "missing-doc")

    return check


def _doc_replace(prefix: str) -> Callable[[T], None]:
    def check(t: T) -> None:
        resource, id_field = _docs(t, prefix)
        created = t.call(resource.replace, "e2e-doc", {"name": "E2E document", "spec": {"replicas": 2}})
        assert created[id_field] == "e2e-doc"
        existing = list(resource.list().all_items())[0][id_field]
        t.call(resource.replace, existing, {"name": "E2E replaced", "description": "by PUT"})
        got = resource.get(existing)
        assert (got["name"], got["description"], got["spec"]) == ("E2E replaced", "by PUT", {})
        assert resource.get("e2e-doc")["spec"] == {"replicas": 2}

    return check


def _doc_update(prefix: str) -> Callable[[T], None]:
    def check(t: T) -> None:
        resource, id_field = _docs(t, prefix)
        doc = list(resource.list().all_items())[0]
        t.call(resource.update, doc[id_field], {"description": "patched", "spec": {"e2e": True}})
        got = resource.get(doc[id_field])
        assert got["description"] == "patched" and got["name"] == doc["name"]
        assert got["spec"] == dict(doc["spec"], e2e=True)
        not_found(resource.update, "missing-doc", {"description": "x"})

    return check


def _doc_delete(prefix: str) -> Callable[[T], None]:
    def check(t: T) -> None:
        resource, id_field = _docs(t, prefix)
        doc_id = list(resource.list().all_items())[0][id_field]
        deleted = t.call(resource.delete, doc_id)
        assert deleted.id == doc_id
        not_found(resource.get, doc_id)
        assert [d[id_field] for d in resource.list().all_items()] != [] and doc_id not in [
            d[id_field] for d in resource.list().all_items()
        ]

    return check


def dp6(t: T) -> None:
    deployment = list(t.client.deployments.list().all_items())[0]["deploymentId"]
    stats = t.call(t.client.deployments.get_statistics, deployment)
    assert (
        stats["deploymentId"] == deployment and stats["requests"]["total"] >= stats["requests"]["succeeded"]
    )
    t.client.deployments.delete(deployment)
    not_found(t.client.deployments.get_statistics, deployment)


def dp7(t: T) -> None:
    ids = [d["deploymentId"] for d in t.client.deployments.list().all_items()]
    stats = t.call(t.client.deployments.batch_get_statistics, ids)
    assert (
        "deploymentIds=" + "%2C".join(ids) in t.seen[-1].query
        or "deploymentIds=" + ",".join(ids) in t.seen[-1].query
    )
    assert sorted(stats["items"]) == sorted(ids)
    assert stats["items"][ids[0]]["requests"] == t.client.deployments.get_statistics(ids[0])["requests"]


def dj6(t: T) -> None:
    project = list(t.client.deployment_projects.list().all_items())[1]
    kb = t.call(t.client.deployment_projects.get_knowledge_base, project["deploymentProjectId"])
    assert kb["deploymentProjectId"] == project["deploymentProjectId"]
    assert len(kb["documents"]) == project["spec"]["documents"]
    t.client.deployment_projects.update(project["deploymentProjectId"], {"spec": {"documents": 7}})
    assert (
        len(t.client.deployment_projects.get_knowledge_base(project["deploymentProjectId"])["documents"]) == 7
    )


# --------------------------------------------------------------------------------------------
# The table: id, method, path (regex over the raw path; WS/DS/SRC as in PROTOCOL §6), callable
# --------------------------------------------------------------------------------------------


class Entry(NamedTuple):
    id: str
    method: str
    path: str
    run: Callable[[T], None]
    xfail: Optional[str] = None


ID = "[^/:]+"

TABLE: List[Entry] = [
    # §6.1 organizations
    Entry("O1", "GET", "/workspaces", o1),
    Entry("O2", "GET", "WS", o2),
    Entry("O3", "PATCH", "WS", o3),
    Entry("O4", "GET", "WS/collaborators", o4),
    Entry("O5", "DELETE", "WS/collaborators/ID", o5),
    Entry("O6", "GET", "WS/quota", o6),
    # §6.1 datasets
    Entry("D1", "GET", "WS/datasets", d1),
    Entry("D2", "GET", "WS/simpleDatasets", d2),
    Entry("D3", "POST", "WS/datasets", d3),
    Entry("D4", "GET", "DS", d4),
    Entry("D5", "PATCH", "DS", d5),
    Entry("D6", "DELETE", "DS", d6),
    Entry("D7", "GET", "DS/deleteOperation", d7),
    Entry("D8", "GET", "DS/collaborators", d8),
    Entry("D9", "POST", "DS/datasetExports", d9),
    Entry("D10", "GET", "DS/datasetExports", d10),
    Entry("D11", "GET", "DS/datasetExports/ID", d11),
    Entry("D12", "GET", "DS/aggregationStatistics", d12),
    Entry("D13", "POST", "DS/aggregationStatistics:generate", d13),
    Entry("D14", "POST", "DS/deleteManyAssetsSessions", d14),
    Entry("D15", "GET", "DS/deleteManyAssetsSessions", d15),
    Entry("D16", "GET", "DS/deleteManyAssetsSessions/ID", d16),
    # §6.1 assets
    Entry("A1", "GET", "DS/assets", a1),
    Entry("A2", "GET", "DS/assets/ID", a2),
    Entry("A3", "DELETE", "DS/assets/ID", a3),
    Entry("A4", "GET", "DS/assets:count", a4),
    Entry("A5", "POST", "DS/assets/ID/name", a5),
    Entry("A6", "POST", "DS/assetFiles/ID/name", a6),
    Entry("A7", "POST", "SRC/assetIngestionSessions", a7),
    Entry("A8", "GET", "SRC/assetIngestionSessions/ID", a8),
    Entry("A9", "POST", "SRC/assetIngestionSessions/ID:cancel", a9),
    Entry("A10", "POST", "SRC/multipartUploads", a10),
    Entry("A11", "POST", "SRC/multipartUploads/ID/parts/1", a11),
    Entry("A12", "POST", "SRC/multipartUploads/ID/parts/1/completion", a12),
    Entry("A13", "POST", "SRC/multipartUploads/ID/completion", a13),
    Entry("A14", "DELETE", "SRC/multipartUploads/ID", a14),
    # §6.1 annotations
    Entry("N1", "GET", "DS/assets/ID/annotations", n1),
    Entry("N2", "GET", "DS/assets/ID/annotations/ID", n2),
    Entry("N3", "PUT", "DS/assets/ID/annotations/ID", n3),
    Entry("N4", "PATCH", "DS/assets/ID/annotations/ID", n4),
    Entry("N5", "DELETE", "DS/assets/ID/annotations/ID", n5),
    Entry("N6", "POST", "DS/annotationImportSessions", n6),
    Entry("N7", "POST", "DS/annotationImportSessions/ID/files", n7),
    Entry("N8", "PATCH", "DS/annotationImportSessions/ID/status", n8),
    Entry("N9", "GET", "DS/annotationImportSessions/ID", n9),
    # §6.1 runs and models
    Entry("R1", "GET", "WS/runs", r1),
    Entry("R2", "GET", "WS/runs/ID", r2),
    Entry("R3", "PUT", "WS/runs/ID", r3),
    Entry("R4", "PATCH", "WS/runs/ID", r4),
    Entry("R5", "DELETE", "WS/runs/ID", r5),
    Entry("R6", "GET", "WS/simpleRuns", r6),
    Entry("R7", "GET", "WS/runs/ID/logs", r7),
    Entry("M1", "GET", "WS/runs/ID/outputs", m1),
    Entry("M2", "GET", "WS/runs/ID/outputs(/ID)?", m2),
    # §6.2 plans, folders, ontologies, intelliscribe
    Entry("P1", "GET", "/plans", p1),
    Entry("P2", "GET", "/plans/ID", p2),
    Entry("F1", "GET", "DS/folders", f1),
    Entry("F2", "GET", "DS/folders/ID", f2),
    Entry("F3", "GET", "DS/folders/ID/children", f3),
    Entry("F4", "PUT", "DS/folders/ID", f4),
    Entry("F5", "DELETE", "DS/folders/ID", f5),
    Entry("F6", "DELETE", "DS/folders", f6),
    Entry("L1", "GET", "DS/ontologies", l1),
    Entry("L2", "GET", "DS/ontologies/ID", l2),
    Entry("L3", "PUT", "DS/ontologies/ID", l3),
    Entry("L4", "PATCH", "DS/ontologies/ID", l4),
    Entry("L5", "POST", "DS/ontologies/ID/versions", l5),
    Entry("I1", "POST", "DS/intelliscribe/generations", i1),
    # §6.2 asset sources, assets with objects, annotation import extras
    Entry("AS1", "GET", "DS/assetSources", as1),
    Entry("AS2", "GET", "SRC", as2),
    Entry("AS3", "GET", "SRC/sample", as3),
    Entry("AS4", "DELETE", "SRC", as4),
    Entry("AS5", "GET", "SRC/assetIngestionSessions", as5),
    Entry("W1", "GET", "DS/assetsWithObjects", w1),
    Entry("W2", "GET", "DS/assetsWithObjects/ID", w2),
    Entry("X1", "GET", "DS/annotationImportSessions", x1),
    Entry("X2", "GET", "DS/annotationImportSessions/ID/filesSample", x2),
    Entry("X3", "GET", "DS/annotationImportSessions/ID/logs", x3),
    # §6.2 training projects
    Entry("T1", "GET", "WS/trainingProjects", t1),
    Entry("T2", "GET", "WS/trainingProjects/ID", t2),
    Entry("T3", "PUT", "WS/trainingProjects/ID", t3),
    Entry("T4", "PATCH", "WS/trainingProjects/ID", t4),
    Entry("T5", "DELETE", "WS/trainingProjects/ID", t5),
    Entry("T6", "GET", "WS/trainingProjects/ID/aggregationInsights", t6),
    Entry("T7", "POST", "WS/trainingProjects/ID/aggregationInsights:generate", t7),
    Entry("T8", "POST", "/dryRuns/workspaces/ORG/trainingProjects", t8),
    # §6.2 flows
    Entry("FL1", "GET", "WS/flows", fl1),
    Entry("FL2", "GET", "WS/flows/ID", fl2),
    Entry("FL3", "PUT", "WS/flows/ID", fl3),
    Entry("FL4", "PATCH", "WS/flows/ID", fl4),
    Entry("FL5", "DELETE", "WS/flows/ID", fl5),
    Entry("FL6", "GET", "WS/simpleFlows", fl6),
    Entry("FL7", "GET", "WS/flows/ID/aggregationStatistics", fl7),
    Entry("FL8", "POST", "WS/flows/ID/aggregationStatistics:generate", fl8),
    Entry("FL9", "GET", "WS/flows/ID/accelerators", fl9),
    Entry("FL10", "POST", "WS/flows/ID/accelerators", fl10),
    # §6.2 deployments, deployment projects, deployment endpoints
    Entry("DP1", "GET", "WS/deployments", _doc_list("DP")),
    Entry("DP2", "GET", "WS/deployments/ID", _doc_get("DP")),
    Entry("DP3", "PUT", "WS/deployments/ID", _doc_replace("DP")),
    Entry("DP4", "PATCH", "WS/deployments/ID", _doc_update("DP")),
    Entry("DP5", "DELETE", "WS/deployments/ID", _doc_delete("DP")),
    Entry("DP6", "GET", "WS/deployments/ID/statistics", dp6),
    Entry("DP7", "GET", "WS/deploymentStatistics", dp7),
    Entry("DJ1", "GET", "WS/deploymentProjects", _doc_list("DJ")),
    Entry("DJ2", "GET", "WS/deploymentProjects/ID", _doc_get("DJ")),
    Entry("DJ3", "PUT", "WS/deploymentProjects/ID", _doc_replace("DJ")),
    Entry("DJ4", "PATCH", "WS/deploymentProjects/ID", _doc_update("DJ")),
    Entry("DJ5", "DELETE", "WS/deploymentProjects/ID", _doc_delete("DJ")),
    Entry("DJ6", "GET", "WS/deploymentProjects/ID/knowledgeBase", dj6),
    Entry("DE1", "GET", "WS/deploymentEndpoints", _doc_list("DE")),
    Entry("DE2", "GET", "WS/deploymentEndpoints/ID", _doc_get("DE")),
    Entry("DE3", "PUT", "WS/deploymentEndpoints/ID", _doc_replace("DE")),
    Entry("DE4", "PATCH", "WS/deploymentEndpoints/ID", _doc_update("DE")),
    Entry("DE5", "DELETE", "WS/deploymentEndpoints/ID", _doc_delete("DE")),
]


def path_regex(template: str, org: str) -> "re.Pattern[str]":
    """`WS`, `DS`, `SRC` as in PROTOCOL §6 (DS with the composite `{org}_{id}`), `ID` = one segment."""
    org_rx = re.escape(org)
    ws = "/workspaces/" + org_rx
    ds = ws + "/datasets/" + org_rx + "_[A-Za-z0-9_-]+"
    src = ds + "/assetSources/" + "/".join(SOURCE)
    rx = template
    for token, value in (("SRC", src), ("DS", ds), ("WS", ws), ("ORG", org_rx)):
        rx = re.sub(r"(?<![A-Za-z])" + token + r"(?![A-Za-z])", lambda _m, v=value: v, rx)
    rx = re.sub(r"(?<![A-Za-z])ID(?![A-Za-z])", ID, rx)
    return re.compile(rx)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.fixture
def t():
    server = LocalViServer(operation_delay=0.0, **SEED)
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
    )
    with client:
        yield T(server, client)


def _params() -> list:
    out = []
    for entry in TABLE:
        marks = [pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry.xfail else []
        out.append(pytest.param(entry, id=entry.id, marks=marks))
    return out


@pytest.mark.parametrize("entry", _params())
def test_endpoint(entry: Entry, t: T) -> None:
    entry.run(t)
    assert t.seen, "%s: the entry never made its call through t.call" % entry.id
    expected = path_regex(entry.path, t.org)
    for record in t.seen:
        assert (record.method, bool(expected.fullmatch(record.path))) == (entry.method, True), (
            "%s: expected %s %s, the server saw %s %s?%s"
            % (entry.id, entry.method, entry.path, record.method, record.path, record.query)
        )


def test_table_covers_every_catalogue_id() -> None:
    ids = [entry.id for entry in TABLE]
    assert len(ids) == len(set(ids)), "duplicate ids in the table"
    assert len(CORE_IDS) == 54 and len(PERIPHERAL_IDS) == 60  # PROTOCOL §6.1 / §6.2 totals
    assert sorted(ids) == sorted(CATALOGUE_IDS)
    assert not [i for i in ids if i.startswith("S") and i[1:].isdigit()], "storage S1-S6 belong elsewhere"


def test_path_regexes_are_anchored_per_endpoint() -> None:
    """Distinct endpoints sharing a method must not share a path pattern (except same-path pairs)."""
    org = "00000000-0000-4000-8000-000000000000"
    samples = {
        "D4": f"/workspaces/{org}/datasets/{org}_dsabc",
        "A4": f"/workspaces/{org}/datasets/{org}_dsabc/assets:count",
        "A9": f"/workspaces/{org}/datasets/{org}_dsabc/assetSources/managed/datature/default"
        "/assetIngestionSessions/ais-1:cancel",
        "T8": f"/dryRuns/workspaces/{org}/trainingProjects",
    }
    by_id = {entry.id: entry for entry in TABLE}
    for endpoint_id, path in samples.items():
        matching = [
            e.id
            for e in TABLE
            if e.method == by_id[endpoint_id].method and path_regex(e.path, org).fullmatch(path)
        ]
        assert matching == [endpoint_id], (endpoint_id, matching)
