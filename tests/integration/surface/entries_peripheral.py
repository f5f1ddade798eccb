"""Surface entries for plans, folders, ontologies, asset sources, training projects, flows, deployments."""

from __future__ import annotations

from typing import Callable

import pytest

from vi.errors import ViNotFoundError

from .entries_core import JSONL_FILE, jsonl_line, uploaded_import
from .harness import SEED, SOURCE, T, flow_spec, not_found

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
    sid = uploaded_import(t, ds, asset.asset_id)
    sample = t.call(t.client.annotation_import_sessions.get_files_sample, ds, sid)
    assert sample["annotationImportSessionId"] == sid
    (entry,) = sample["files"]
    assert entry["name"] == JSONL_FILE and entry["uploaded"] is True
    assert entry["sample"] == [jsonl_line(asset.asset_id).decode("utf-8").strip()]


def x3(t: T) -> None:
    ds = t.ds()
    sid = uploaded_import(t, ds, t.asset(ds).asset_id)
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
