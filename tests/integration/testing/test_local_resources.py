"""The remaining endpoints of PROTOCOL §6.1/§6.2 on the local Vi API: shapes, relations, paging,
400/404 paths and DELETE conventions (every test runs over sockets and in-process)."""

from urllib.parse import quote

import pytest

from vi.testing import LocalViServer

MODEL = {"kind", "runId", "metadata", "spec", "status", "selfLink", "etag", "workspaceId", "runOutputId"}
FLOW = {"workspaceId", "flowId", "spec", "metadata", "selfLink", "etag"}
FLOW_SPEC = {"name", "schema", "tolerations", "settings", "blocks"}
PROJECT = {"workspaceId", "trainingProjectId", "spec", "status", "metadata", "selfLink", "etag"}
METADATA = {"timeCreated", "lastUpdated", "generation", "attributes"}


def items(api, url, **params):
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def walk_all(api, url, size=1, **params):
    found, query = [], dict(params, s=size)
    while True:
        body = api.get(url, params=query).json()
        found.extend(body["items"])
        if not body["nextPage"]:
            return found
        query = dict(params, s=size, p=body["nextPage"])


def assert_empty_204(response):
    assert response.status_code == 204, response.text
    assert response.content == b""


# -- organizations: collaborators and quota (O4–O6, D8) --------------------------------------------


def test_collaborators_quota_and_removal(api):
    people = items(api, api.ws + "/collaborators")
    roles = {p["userId"]: p["workspaceRole"] for p in people}
    assert sorted(roles.values()) == ["Member", "Owner"]
    member = next(u for u, r in roles.items() if r == "Member")
    owner = next(u for u, r in roles.items() if r == "Owner")
    ds = api.first_dataset_id()
    assert {p["datasetRole"] for p in items(api, api.ds(ds) + "/collaborators")} == {"Owner", "Editor"}
    assert api.request("DELETE", api.ws + "/collaborators/" + owner).status_code == 409
    assert_empty_204(api.request("DELETE", api.ws + "/collaborators/" + member))
    assert api.request("DELETE", api.ws + "/collaborators/" + member).status_code == 404
    quota = api.get(api.ws + "/quota").json()
    assert quota["usage"]["datasets"] == 25 and quota["usage"]["assets"] == 300
    assert quota["usage"]["annotations"] == 600 and quota["usage"]["seats"] == 1


# -- assets: delete, count, filters, sort, rename (A1, A3–A6) ---------------------------------------


def test_asset_delete_removes_annotations_and_updates_counts(api):
    ds = api.first_dataset_id()
    asset = items(api, api.ds(ds) + "/assets", s=1)[0]
    assert_empty_204(api.request("DELETE", api.ds(ds) + "/assets/" + asset["assetId"]))
    assert api.get(api.ds(ds) + "/assets/" + asset["assetId"]).status_code == 404
    assert api.get(api.ds(ds) + "/assets/" + asset["assetId"] + "/annotations").status_code == 404
    assert api.request("DELETE", api.ds(ds) + "/assets/" + asset["assetId"]).status_code == 404
    statistic = api.get(api.ds(ds)).json()["statistic"]
    assert (statistic["assetTotal"], statistic["annotationTotal"]) == (11, 22)
    assert api.get(api.ds(ds) + "/assets:count").json() == {"count": 11}
    assert len(walk_all(api, api.ds(ds) + "/assets", size=4)) == 11


def test_asset_filters_count_and_list_agree(api):
    ds = api.first_dataset_id()
    for params in (
        {"filter": "frame_001"},
        {"filter": "FRAME_0002"},
        {"filter": "{'filename': '_000'}"},
        {"filter": '{"folder": "training"}'},
        {"metadataQuery": "camera:-"},
        {},
    ):
        count = api.get(api.ds(ds) + "/assets:count", params=params).json()["count"]
        assert count == len(walk_all(api, api.ds(ds) + "/assets", size=5, **params)), params
    assert api.get(api.ds(ds) + "/assets:count", params={"filter": "frame_001"}).json()["count"] == 3
    night = api.get(
        api.ds(ds) + "/assets:count", params={"metadataQuery": "night:true", "strictQuery": "y"}
    ).json()
    assets = items(api, api.ds(ds) + "/assets", s=100)
    assert night["count"] == sum(1 for a in assets if a["metadata"]["customMetadata"]["night"] is True)
    for params, field in (
        ({"filter": "{'size': 1}"}, "filter"),
        ({"ruleQuery": "x"}, "ruleQuery"),
        ({"metadataQuery": "nocolon"}, "metadataQuery"),
    ):
        response = api.get(api.ds(ds) + "/assets:count", params=params)
        assert response.status_code == 400 and f"'{field}'" in response.json()["message"]


def test_asset_sorting_pages_consistently(api):
    ds = api.first_dataset_id()
    desc = walk_all(api, api.ds(ds) + "/assets", size=5, sortBy="filename", o="desc")
    names = [a["filename"] for a in desc]
    assert names == sorted(names, reverse=True) and len(names) == 12
    by_size = walk_all(api, api.ds(ds) + "/assets", size=5, sortBy="metadata.fileSize", o="asc")
    sizes = [a["metadata"]["fileSize"] for a in by_size]
    assert sizes == sorted(sizes)
    response = api.get(api.ds(ds) + "/assets", params={"sortBy": "colour"})
    assert response.status_code == 400 and "'sortBy'" in response.json()["message"]


def test_asset_rename_by_id_and_by_filename(api):
    ds = api.first_dataset_id()
    first, second = items(api, api.ds(ds) + "/assets", s=2)
    renamed = api.request(
        "POST", api.ds(ds) + "/assets/" + first["assetId"] + "/name", json={"filename": "a b.jpg"}
    )
    assert renamed.status_code == 200 and renamed.json()["filename"] == "a b.jpg"
    by_file = api.request(
        "POST", api.ds(ds) + "/assetFiles/" + quote("a b.jpg") + "/name", json={"filename": "c.jpg"}
    )
    assert by_file.status_code == 200 and by_file.json()["assetId"] == first["assetId"]
    clash = api.request(
        "POST", api.ds(ds) + "/assets/" + second["assetId"] + "/name", json={"filename": "c.jpg"}
    )
    assert clash.status_code == 409
    bad = api.request("POST", api.ds(ds) + "/assets/" + second["assetId"] + "/name", json={"name": "x.jpg"})
    assert bad.status_code == 400 and "'name'" in bad.json()["message"]
    assert (
        api.request("POST", api.ds(ds) + "/assetFiles/nope.jpg/name", json={"filename": "x.jpg"}).status_code
        == 404
    )


# -- annotations: replace, update, delete (N3–N5) ---------------------------------------------------------

CAPTION_SPEC = {
    "tag": 1,
    "aggregation": {"whole": {"id": "g9"}, "thisPart": {"role": "Caption"}},
    "contents": {"kind": "Caption", "contents": "A replaced caption"},
}


def test_annotation_put_patch_delete(api):
    ds = api.first_dataset_id()
    asset = items(api, api.ds(ds) + "/assets", s=1)[0]
    base = api.ds(ds) + "/assets/" + asset["assetId"] + "/annotations"
    caption, box = items(api, base)
    replaced = api.request("PUT", base + "/" + caption["annotationId"], json={"spec": CAPTION_SPEC})
    assert replaced.status_code == 200, replaced.text
    doc = replaced.json()
    assert doc["spec"]["contents"] == {"kind": "Caption", "contents": "A replaced caption"}
    assert doc["metadata"]["generation"] == caption["metadata"]["generation"] + 1
    round_trip = api.request("PUT", base + "/" + caption["annotationId"], json=dict(doc, metadata=None))
    assert round_trip.status_code == 200  # a GET document PUT back is accepted
    patched = api.request(
        "PATCH",
        base + "/" + box["annotationId"],
        json={
            "spec": {
                "contents": {
                    "kind": "PhraseGroundingBoundingBox",
                    "bound": [[0, 0], [1, 0], [1, 1], [0, 1]],
                    "target": [0, 1],
                }
            }
        },
    )
    assert patched.status_code == 200 and patched.json()["spec"]["contents"]["target"] == [0, 1]
    created = api.request("PUT", base + "/ann-new", json={"spec": CAPTION_SPEC})
    assert created.status_code == 200 and api.server.stats.creates["annotation"] == 1
    assert api.get(api.ds(ds)).json()["statistic"]["annotationTotal"] == 25
    assert_empty_204(api.request("DELETE", base + "/ann-new"))
    assert api.request("DELETE", base + "/ann-new").status_code == 404
    assert api.request("PATCH", base + "/ann-new", json={"spec": {"tag": 1}}).status_code == 404
    assert api.get(api.ds(ds) + "/assets/" + asset["assetId"]).json()["metadata"]["annotations"]["total"] == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"spec": dict(CAPTION_SPEC, tag=-1)}, "spec.tag"),
        ({"spec": dict(CAPTION_SPEC, contents={"kind": "Polygon"})}, "spec.contents.kind"),
        (
            {"spec": dict(CAPTION_SPEC, aggregation={"whole": {"id": "g"}, "thisPart": {"role": "Label"}})},
            "spec.aggregation.thisPart.role",
        ),
        (
            {
                "spec": {
                    "tag": 0,
                    "aggregation": {"whole": {"id": "g"}, "thisPart": {"role": "PhraseGroundingBoundingBox"}},
                    "contents": {"kind": "PhraseGroundingBoundingBox", "bound": [[0, 0]], "target": [0, 1]},
                }
            },
            "spec.contents.bound",
        ),
        ({"spec": CAPTION_SPEC, "annotationId": "other"}, "annotationId"),
        ({"labels": []}, "labels"),
    ],
)
def test_annotation_put_bad_body_is_400(api, body, field):
    ds = api.first_dataset_id()
    asset = items(api, api.ds(ds) + "/assets", s=1)[0]
    ann = items(api, api.ds(ds) + "/assets/" + asset["assetId"] + "/annotations")[0]["annotationId"]
    response = api.request(
        "PUT", api.ds(ds) + "/assets/" + asset["assetId"] + "/annotations/" + ann, json=body
    )
    assert response.status_code == 400
    assert f"'{field}'" in response.json()["message"]


# -- runs extras and models (R6, R7, M1, M2) -----------------------------------------------------------------


def test_simple_runs_and_logs(api):
    runs = items(api, api.ws + "/simpleRuns")
    assert [r["state"] for r in runs] == ["Finished", "Running", "Finished"]
    run_id = runs[0]["runId"]
    logs = api.get(api.ws + f"/runs/{run_id}/logs").json()
    assert logs["runId"] == run_id and logs["entries"]
    assert all(isinstance(e["time"], int) for e in logs["entries"])
    only_model = api.get(api.ws + f"/runs/{run_id}/logs", params={"block": "model", "limit": 1}).json()[
        "entries"
    ]
    assert len(only_model) == 1 and only_model[0]["block"] == "model"
    assert api.get(api.ws + f"/runs/{run_id}/logs", params={"since": "yesterday"}).status_code == 400
    assert api.get(api.ws + "/runs/run-nope/logs").status_code == 404


def test_models_tolerate_the_official_malformed_query(api):
    run_id = items(api, api.ws + "/runs")[0]["runId"]
    base = api.ws + f"/runs/{run_id}/outputs"
    first = api.get(base + "?intent=sdkLocalDeploy?s=1").json()
    assert len(first["items"]) == 1 and first["nextPage"]
    second = api.get(base + "?intent=sdkLocalDeploy?p=" + first["nextPage"] + "&s=1").json()
    assert [m["runOutputId"] for m in first["items"] + second["items"]] == ["ckpt-epoch-2", "ckpt-final"]
    assert second["nextPage"] is None
    model = first["items"][0]
    assert MODEL <= set(model) and METADATA == set(model["metadata"])
    assert model["status"]["contents"] is None
    assert isinstance(model["spec"]["epoch"], int)


def test_model_get_is_an_items_envelope_with_download_url(api):
    run_id = items(api, api.ws + "/runs")[0]["runId"]
    url = api.ws + f"/runs/{run_id}/outputs/ckpt-final"
    body = api.get(url, params={"intent": "sdkLocalDeploy", "contents": "y"}).json()
    assert set(body) >= {"items"} and len(body["items"]) == 1
    download = body["items"][0]["status"]["contents"]["downloadUrl"]
    assert isinstance(download["expiresAt"], int) and "/_storage/models/" in download["url"]
    archive = api.session.get(
        download["url"], headers={"Authorization": None, "Organization-Id": None}, timeout=5
    )
    assert archive.status_code == 200 and archive.content[257:262] == b"ustar"
    assert api.get(api.ws + f"/runs/{run_id}/outputs/ckpt-nope").status_code == 404
    unfinished = items(api, api.ws + "/runs")[1]["runId"]
    assert items(api, api.ws + f"/runs/{unfinished}/outputs") == []
    assert_empty_204(api.request("DELETE", api.ws + f"/runs/{run_id}"))
    assert api.get(url).status_code == 404


# -- flows (FL1–FL10) ------------------------------------------------------------------------------------------


def test_flows_crud_and_idempotent_put(api):
    flows = items(api, api.ws + "/flows")
    assert len(flows) >= 2
    assert FLOW <= set(flows[0]) and FLOW_SPEC <= set(flows[0]["spec"]) and flows[0]["kind"] == "Flow"
    spec = flows[0]["spec"]
    url = api.ws + "/flows/5d1c3f7a-0000-4000-8000-000000000001"
    created = api.request("PUT", url, json={"spec": spec, "metadata": {"attributes": {"owner": "alice"}}})
    assert created.status_code == 200, created.text
    assert (
        api.request("PUT", url, json={"spec": spec, "metadata": {"attributes": {"owner": "alice"}}}).json()
        == created.json()
    )
    assert api.server.stats.creates["flow"] == 1
    patched = api.request("PATCH", url, json={"spec": {"name": "Renamed"}}).json()
    assert patched["spec"]["name"] == "Renamed" and patched["spec"]["blocks"] == spec["blocks"]
    bad = api.request("PATCH", url, json={"spec": {"blocks": "none"}})
    assert bad.status_code == 400 and "'spec.blocks'" in bad.json()["message"]
    simple = items(api, api.ws + "/simpleFlows", s=100)
    assert {"flowId", "name"} <= set(simple[0]) and len(simple) == len(flows) + 1
    assert_empty_204(api.request("DELETE", url))
    assert api.get(url).status_code == 404 and api.request("DELETE", url).status_code == 404


def test_flow_accelerators(api):
    flow_id = items(api, api.ws + "/flows")[0]["flowId"]
    url = api.ws + f"/flows/{flow_id}/accelerators"
    listing = api.get(url).json()
    assert listing["kind"] == "FlowAcceleratorList" and listing["flowId"] == flow_id
    accelerator = listing["items"][0]["accelerator"]
    assert accelerator["kind"] == "TrainingAccelerator" and accelerator["spec"]["enabled"] is True
    update = {
        "items": [
            {
                "trainingAcceleratorId": "nvidia-l4",
                "configurations": [{"count": 2, "action": "Warn", "reason": "slow"}],
            }
        ]
    }
    updated = api.request("POST", url, json=update).json()
    assert {i["accelerator"]["trainingAcceleratorId"] for i in updated["items"]} >= {"nvidia-l4"}
    bad = api.request(
        "POST",
        url,
        json={"items": [{"trainingAcceleratorId": "x", "configurations": [{"count": 1, "action": "Maybe"}]}]},
    )
    assert bad.status_code == 400 and "'items[0].configurations[0].action'" in bad.json()["message"]


# -- training projects (T1–T8) ------------------------------------------------------------------------------------


def test_training_projects_crud_relations_and_dry_run(api):
    projects = items(api, api.ws + "/trainingProjects")
    assert len(projects) >= 2 and PROJECT <= set(projects[0]) and projects[0]["kind"] == "TrainingProject"
    runs = items(api, api.ws + "/runs")
    first = projects[0]
    assert first["status"]["runs"] == [
        r["runId"] for r in runs if r["spec"]["trainingProject"] == first["trainingProjectId"]
    ]
    assert all("/" in output for output in first["status"]["runOutputs"])
    url = api.ws + "/trainingProjects/tp-new"
    body = {"spec": {"name": "Drone grounding v2", "description": None, "type": "phrase-grounding"}}
    created = api.request("PUT", url, json=body)
    assert created.status_code == 200 and api.request("PUT", url, json=body).json() == created.json()
    assert api.server.stats.creates["training_project"] == 1
    patched = api.request(
        "PATCH", url, json={"spec": {"description": "updated"}, "metadata": {"attributes": {"a": "b"}}}
    ).json()
    assert patched["spec"] == {
        "name": "Drone grounding v2",
        "description": "updated",
        "type": "phrase-grounding",
    }
    assert patched["metadata"]["attributes"] == {"a": "b"}
    dry = api.request(
        "POST",
        api.base + f"/dryRuns/workspaces/{api.org}/trainingProjects",
        json={"trainingProjectId": "tp-other", "spec": {"name": "Drone grounding v2"}},
    )
    assert dry.status_code == 200 and dry.json() == {"errors": [{"kind": "NameAlreadyExists"}]}
    fresh = api.request(
        "POST",
        api.base + f"/dryRuns/workspaces/{api.org}/trainingProjects",
        json={"trainingProjectId": "tp-fresh", "spec": {"name": "Unique"}},
    )
    assert fresh.json() == {"errors": []}
    bad = api.request("PUT", url, json={"spec": {"description": "no name"}})
    assert bad.status_code == 400 and "'spec.name'" in bad.json()["message"]
    assert_empty_204(api.request("DELETE", url))
    assert api.get(url).status_code == 404


def test_dry_run_is_org_scoped(api):
    api.server.add_credentials("other", "org-other", seed=False)
    response = api.request(
        "POST",
        api.base + "/dryRuns/workspaces/org-other/trainingProjects",
        json={"trainingProjectId": "t", "spec": {"name": "n"}},
    )
    assert response.status_code == 403


# -- plans, folders, ontologies, intelliscribe (P1–P2, F1–F6, L1–L5, I1) -------------------------------------------


def test_plans(api):
    plans = items(api, api.base + "/plans")
    assert [p["planId"] for p in plans] == ["free", "developer", "professional"]
    assert api.get(api.base + "/plans/free").json()["name"] == "Free"
    assert api.get(api.base + "/plans/nope").status_code == 404
    assert len(walk_all(api, api.base + "/plans", size=2)) == 3


def test_folders_with_encoded_names(api):
    ds = api.first_dataset_id()
    base = api.ds(ds) + "/folders"
    names = [f["name"] for f in items(api, base)]
    assert names == ["training", "training/batch 1", "validation"]
    assert [f["name"] for f in items(api, base, sortBy="name", o="d")] == sorted(names, reverse=True)
    assert [f["name"] for f in items(api, base, filter="BATCH")] == ["training/batch 1"]
    nested = api.get(base + "/" + quote("training/batch 1", safe=""))
    assert nested.status_code == 200 and nested.json()["parent"] == "training"
    children = items(api, base + "/training/children", childType="All", contents="y")
    kinds = [c["childType"] for c in children]
    assert kinds[0] == "Folder" and "Asset" in kinds
    asset_child = next(c for c in children if c["childType"] == "Asset")
    assert "contents" in asset_child["asset"]
    assert all(
        c["childType"] == "Folder" for c in items(api, base + "/training/children", childType="Folder")
    )
    new = base + "/" + quote("new/deep name", safe="")
    put = api.request("PUT", new, json={"owner": api.org})
    assert put.status_code == 200 and put.json()["name"] == "new/deep name"
    assert api.request("PUT", new, json={}).status_code == 400
    assert_empty_204(api.request("DELETE", new))
    assert api.get(new).status_code == 404
    assert_empty_204(api.request("DELETE", base + "/training"))
    assert [f["name"] for f in items(api, base)] == ["validation"]  # sub-folders go too
    assert (
        api.get(api.ds(ds) + "/assets:count", params={"filter": '{"folder": "training"}'}).json()["count"]
        == 0
    )
    assert_empty_204(api.request("DELETE", base))
    assert items(api, base) == []


def test_ontologies(api):
    ds = api.first_dataset_id()
    base = api.ds(ds) + "/ontologies"
    ontology = items(api, base)[0]
    assert ontology["kind"] == "Ontology" and ontology["datasetId"] == ds and ontology["versions"]
    url = base + "/" + ontology["ontologyId"]
    replaced = api.request("PUT", url, json={"name": "New", "spec": {"classes": []}})
    assert replaced.status_code == 200 and replaced.json()["spec"] == {"classes": []}
    patched = api.request("PATCH", url, json={"description": "d"}).json()
    assert (patched["name"], patched["description"]) == ("New", "d")
    version = api.request(
        "POST", url + "/versions", json={"note": "v2", "spec": {"classes": [{"name": "car"}]}}
    )
    assert version.status_code == 200 and version.json()["version"] == 2
    assert api.get(url).json()["spec"] == {"classes": [{"name": "car"}]}
    assert api.request("POST", url + "/versions", json={"note": 3}).status_code == 400
    assert api.request("PUT", url, json={"spec": {}}).status_code == 400  # name required
    assert api.request("PATCH", base + "/ont-nope", json={"name": "x"}).status_code == 404
    assert items(api, base, filter="zzz") == []


def test_intelliscribe_returns_an_array(api):
    ds = api.first_dataset_id()
    asset_id = items(api, api.ds(ds) + "/assets", s=1)[0]["assetId"]
    response = api.request(
        "POST", api.ds(ds) + "/intelliscribe/generations", json={"assetIds": [asset_id], "maxLength": 12}
    )
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and body[0]["assetId"] == asset_id and len(body[0]["caption"]) <= 12
    assert api.request("POST", api.ds(ds) + "/intelliscribe/generations", json={}).status_code == 400
    assert (
        api.request(
            "POST", api.ds(ds) + "/intelliscribe/generations", json={"assetIds": ["ast-nope"]}
        ).status_code
        == 404
    )


# -- asset sources, assets with objects (AS1–AS5, W1–W2) ----------------------------------------------------------


def test_asset_sources(api):
    ds = api.first_dataset_id()
    sources = items(api, api.ds(ds) + "/assetSources")
    assert [(s["assetSourceClass"], s["assetSourceProvider"], s["assetSourceId"]) for s in sources] == [
        ("managed", "datature", "default")
    ]
    src = api.ds(ds) + "/assetSources/managed/datature/default"
    assert api.get(src).json()["ingestionSessionCount"] == 0
    sample = api.get(src + "/sample").json()
    assert len(sample["sample"]) == 5 and sample["total"] == 12
    assert items(api, src + "/assetIngestionSessions") == []
    assert_empty_204(api.request("DELETE", src))
    assert api.get(src).status_code == 404
    assert api.get(api.ds(ds) + "/assetSources/a/b/c/sample").status_code == 404


def test_assets_with_objects(api):
    ds = api.first_dataset_id()
    listing = walk_all(api, api.ds(ds) + "/assetsWithObjects", size=5)
    assert len(listing) == 12 and all(len(a["objects"]) == 2 for a in listing)
    recent = items(api, api.ds(ds) + "/assetsWithObjects", view="recent", s=100, contents="y")
    assert [a["assetId"] for a in recent] == [a["assetId"] for a in reversed(listing)]
    assert "contents" in recent[0]
    word = listing[0]["objects"][0]["spec"]["contents"]["contents"].split()[1]
    filtered = items(api, api.ds(ds) + "/assetsWithObjects", annotationFilter=word, s=100)
    assert listing[0]["assetId"] in [a["assetId"] for a in filtered]
    single = api.get(api.ds(ds) + "/assetsWithObjects/" + listing[0]["assetId"]).json()
    assert single["objects"] == listing[0]["objects"]
    response = api.get(api.ds(ds) + "/assetsWithObjects", params={"view": "oldest"})
    assert response.status_code == 400 and "'view'" in response.json()["message"]


# -- deployments, deployment projects, deployment endpoints (DP, DJ, DE) --------------------------------------------


@pytest.mark.parametrize(
    "collection, id_field",
    [
        ("deployments", "deploymentId"),
        ("deploymentProjects", "deploymentProjectId"),
        ("deploymentEndpoints", "deploymentEndpointId"),
    ],
)
def test_deployment_documents(api, collection, id_field):
    base = api.ws + "/" + collection
    docs = items(api, base)
    assert len(docs) == 2 and all(METADATA == set(d["metadata"]) for d in docs)
    doc_id = docs[0][id_field]
    assert items(api, base, filter=docs[0]["name"][:4].upper())[0][id_field] == doc_id
    url = base + "/" + doc_id
    replaced = api.request("PUT", url, json={"name": "Renamed", "spec": {"replicas": 3}}).json()
    assert (replaced["name"], replaced["spec"]) == ("Renamed", {"replicas": 3})
    patched = api.request("PATCH", url, json={"spec": {"zone": "eu"}}).json()
    assert patched["spec"] == {"replicas": 3, "zone": "eu"}
    bad = api.request("PUT", url, json={"spec": {}})
    assert bad.status_code == 400 and "'name'" in bad.json()["message"]
    assert api.request("PATCH", url, json={"owner": "x"}).status_code == 400
    new = api.request("PUT", base + "/created-1", json={"name": "New"})
    assert new.status_code == 200 and new.json()[id_field] == "created-1"
    assert_empty_204(api.request("DELETE", url))
    assert (
        api.get(url).status_code == 404 and api.request("PATCH", url, json={"name": "x"}).status_code == 404
    )


def test_deployment_statistics_and_knowledge_base(api):
    ids = [d["deploymentId"] for d in items(api, api.ws + "/deployments")]
    one = api.get(api.ws + f"/deployments/{ids[0]}/statistics").json()
    assert one["deploymentId"] == ids[0] and one["requests"]["total"] > 0
    batch = api.get(api.ws + "/deploymentStatistics", params={"deploymentIds": ",".join(ids)}).json()
    assert set(batch["items"]) == set(ids) and batch["items"][ids[0]]["requests"] == one["requests"]
    too_many = api.get(api.ws + "/deploymentStatistics", params={"deploymentIds": ",".join(["d"] * 21)})
    assert too_many.status_code == 400 and "'deploymentIds'" in too_many.json()["message"]
    assert api.get(api.ws + "/deploymentStatistics", params={"deploymentIds": "dep-nope"}).status_code == 404
    project = items(api, api.ws + "/deploymentProjects")[0]["deploymentProjectId"]
    kb = api.get(api.ws + f"/deploymentProjects/{project}/knowledgeBase").json()
    assert kb["deploymentProjectId"] == project and len(kb["documents"]) == 3


# -- every list pages; seeding ------------------------------------------------------------------------------------


def test_every_new_list_endpoint_returns_items_and_pages(api):
    ds = api.first_dataset_id()
    run_id = items(api, api.ws + "/runs")[0]["runId"]
    lists = [
        api.ws + "/collaborators",
        api.ds(ds) + "/collaborators",
        api.ws + "/simpleRuns",
        api.ws + f"/runs/{run_id}/outputs",
        api.ws + "/flows",
        api.ws + "/simpleFlows",
        api.ws + "/trainingProjects",
        api.base + "/plans",
        api.ds(ds) + "/folders",
        api.ds(ds) + "/assetsWithObjects",
        api.ws + "/deployments",
        api.ws + "/deploymentProjects",
        api.ws + "/deploymentEndpoints",
    ]
    for url in lists:
        everything = items(api, url, s=1000)
        assert everything, url
        assert len(walk_all(api, url, size=1)) == len(everything), url
    for url in (api.ds(ds) + "/ontologies", api.ds(ds) + "/assetSources"):
        assert items(api, url)


def test_bulk_seeding_is_listable():
    server = LocalViServer(datasets=1, assets_per_dataset=0, runs=0)
    dataset_id = server.store.seed_demo("org-x", datasets=1, assets_per_dataset=0, runs=0)[0]
    added = server.store.add_assets("org-x", dataset_id, 10000)
    assert len(added) == len(set(added)) == 10000
    page = server.store.list_assets("org-x", dataset_id, 0, 1000)
    assert len(page.items) == 1000 and page.has_more
    assert server.store.get_dataset("org-x", dataset_id)["statistic"]["assetTotal"] == 10000


def test_demo_extras_are_deterministic():
    first, second = LocalViServer(organization_id="org-d"), LocalViServer(organization_id="org-d")
    for attr in ("flows", "training_projects", "deployments", "collaborators"):
        assert list(getattr(first.store._organizations["org-d"], attr)) == list(
            getattr(second.store._organizations["org-d"], attr)
        )
