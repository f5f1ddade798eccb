"""Every listing walks to its last page (PROTOCOL §16 items 14-16 fixed), keeping its query; every
method refuses bad arguments before any request; the new documents decode from the examples."""

from __future__ import annotations

import copy
import pickle

import pytest

from tests.helpers.resource_fakes import ORG, FakeRequester, load_example
from vi.documents import decode
from vi.errors import ViInvalidParameterError, ViResponseError, ViValidationError
from vi.resources import (
    AnnotationImportSessions,
    Annotations,
    Assets,
    AssetSources,
    AssetsWithObjects,
    DatasetExportOptions,
    DatasetExportSettings,
    Datasets,
    DeploymentEndpoints,
    DeploymentProjects,
    Deployments,
    Flows,
    Folders,
    IntelliScribe,
    Models,
    Ontologies,
    Organizations,
    Plans,
    Runs,
    TrainingProjects,
)
from vi.resources.datasets import BulkAssetDeletionSession, DatasetExport
from vi.resources.flows import Flow, FlowAcceleratorList
from vi.resources.ingestion import AnnotationImportSession, AssetIngestionSession, MultipartUpload
from vi.resources.models import Model
from vi.resources.training_projects import TrainingProject

WS = "/workspaces/" + ORG
DS = WS + "/datasets/" + ORG + "_dsx9k2m7"
SRC = DS + "/assetSources/managed/datature/default"


def dict_pages():
    return [
        {"items": [{"n": 1}], "nextPage": "tok2"},
        {"items": [{"n": 2}], "nextPage": "tok3"},
        {"items": [{"n": 3}], "nextPage": None},
    ]


def typed_pages(example):
    first = load_example(example)
    item = first["items"][0]
    return [{"items": [item], "nextPage": "tok2"}, {"items": [item], "nextPage": "tok3"}, {"items": [item]}]


LISTS = [
    ("O4", Organizations, lambda r: r.list_collaborators(), None, WS + "/collaborators", []),
    ("D8", Datasets, lambda r: r.list_collaborators("dsx9k2m7"), None, DS + "/collaborators", []),
    (
        "D10",
        Datasets,
        lambda r: r.list_exports("dsx9k2m7", 2),
        "datasets-list-exports",
        DS + "/datasetExports",
        [("s", "2")],
    ),
    (
        "D15",
        Datasets,
        lambda r: r.list_bulk_asset_deletion_sessions("dsx9k2m7"),
        None,
        DS + "/deleteManyAssetsSessions",
        [],
    ),
    ("R6", Runs, lambda r: r.list_simple(), None, WS + "/simpleRuns", [("s", "10")]),
    (
        "M1",
        Models,
        lambda r: r.list("run-7f3a", page_size=1),
        "models-list",
        WS + "/runs/run-7f3a/outputs",
        [("intent", "sdkLocalDeploy"), ("s", "1")],
    ),
    ("P1", Plans, lambda r: r.list(), None, "/plans", []),
    (
        "F1",
        Folders,
        lambda r: r.list("dsx9k2m7", "name=x", "name", "d"),
        None,
        DS + "/folders",
        [("filter", "name=x"), ("sortBy", "name"), ("o", "d")],
    ),
    (
        "F3",
        Folders,
        lambda r: r.children("dsx9k2m7", "top", "Asset", True),
        None,
        DS + "/folders/top/children",
        [("childType", "Asset"), ("contents", "y")],
    ),
    ("L1", Ontologies, lambda r: r.list("dsx9k2m7", "k"), None, DS + "/ontologies", [("filter", "k")]),
    ("AS1", AssetSources, lambda r: r.list("dsx9k2m7"), None, DS + "/assetSources", []),
    (
        "AS5",
        AssetSources,
        lambda r: r.list_ingestion_sessions("dsx9k2m7", "managed", "datature", "default"),
        None,
        SRC + "/assetIngestionSessions",
        [],
    ),
    (
        "W1",
        AssetsWithObjects,
        lambda r: r.list("dsx9k2m7", view="default", strict_query=True),
        None,
        DS + "/assetsWithObjects",
        [("strictQuery", "y"), ("view", "default")],
    ),
    (
        "X1",
        AnnotationImportSessions,
        lambda r: r.list("dsx9k2m7"),
        None,
        DS + "/annotationImportSessions",
        [],
    ),
    (
        "T1",
        TrainingProjects,
        lambda r: r.list(),
        "training_projects-get",
        WS + "/trainingProjects",
        [("s", "10")],
    ),
    ("FL1", Flows, lambda r: r.list(), "flows-list", WS + "/flows", [("s", "10")]),
    ("FL6", Flows, lambda r: r.list_simple(), None, WS + "/simpleFlows", [("s", "10")]),
    ("DP1", Deployments, lambda r: r.list({"a": 1}), None, WS + "/deployments", [("filter", '{"a":1}')]),
    ("DJ1", DeploymentProjects, lambda r: r.list(), None, WS + "/deploymentProjects", []),
    ("DE1", DeploymentEndpoints, lambda r: r.list(), None, WS + "/deploymentEndpoints", []),
]


def _pages(example):
    if example is None:
        return dict_pages()
    if example == "training_projects-get":
        item = load_example(example)
        return [
            {"items": [item], "nextPage": "tok2"},
            {"items": [item], "nextPage": "tok3"},
            {"items": [item]},
        ]
    return typed_pages(example)


@pytest.mark.parametrize("name, resource, call, example, path, query", LISTS, ids=[x[0] for x in LISTS])
def test_every_list_walks_to_the_end_keeping_its_query(name, resource, call, example, path, query):
    fake = FakeRequester(*_pages(example))
    first = call(resource(fake))
    assert len(fake.calls) == 1
    items = list(first.all_items())
    assert len(items) == 3
    assert fake.paths == [path] * 3

    def without_paging(params):
        return [(k, v) for k, v in params if k != "p"]

    assert without_paging(fake.calls[0][2]) == query
    # the walk asks for the largest pages after the first unless a page size was chosen (D10, M1)
    chosen = dict(query).get("s") not in (None, "10")
    walked = dict(query) if chosen else dict(query, s="1000")
    assert [dict(without_paging(c[2])) for c in fake.calls[1:]] == [walked] * 2
    assert [dict(c[2]).get("p") for c in fake.calls] == [None, "tok2", "tok3"]


# -- validation before any I/O ----------------------------------------------------------------
BAD_ID = "../x"
FLOW_SPEC = load_example("flows-create-request")["spec"]

INVALID = [
    # organizations
    (Organizations, lambda r: r.remove_collaborator(BAD_ID)),
    (Organizations, lambda r: r.remove_collaborator("")),
    (Organizations, lambda r: r.list_collaborators(page_size=0)),
    (Organizations, lambda r: r.list_collaborators(page_token="")),
    # datasets
    (Datasets, lambda r: r.list_collaborators(BAD_ID)),
    (Datasets, lambda r: r.create_export(BAD_ID)),
    (Datasets, lambda r: r.create_export("ds", {"format": "Parquet"})),
    (Datasets, lambda r: r.create_export("ds", {"fmt": "ViFull"})),
    (Datasets, lambda r: r.create_export("ds", {"options": {"split_ratio": 1.5}})),
    (Datasets, lambda r: r.create_export("ds", {"options": {"split_ratio": True}})),
    (Datasets, lambda r: r.create_export("ds", {"options": {"normalized": "yes"}})),
    (Datasets, lambda r: r.create_export("ds", {"options": {"ratio": 0.5}})),
    (Datasets, lambda r: r.create_export("ds", "ViFull")),
    (Datasets, lambda r: r.list_exports("ds", 0)),
    (Datasets, lambda r: r.list_exports("ds", None, "")),
    (Datasets, lambda r: r.get_export("ds", BAD_ID)),
    (Datasets, lambda r: r.get_export(BAD_ID, "e")),
    (Datasets, lambda r: r.get_aggregation_statistics(BAD_ID)),
    (Datasets, lambda r: r.generate_aggregation_statistics(None)),
    (Datasets, lambda r: r.bulk_delete_assets(BAD_ID)),
    (Datasets, lambda r: r.bulk_delete_assets("ds", 5)),
    (Datasets, lambda r: r.bulk_delete_assets("ds", metadata_query=1)),
    (Datasets, lambda r: r.bulk_delete_assets("ds", strict_query="y")),
    (Datasets, lambda r: r.bulk_delete_assets("ds", poll_interval=0)),
    (Datasets, lambda r: r.list_bulk_asset_deletion_sessions("ds", page_size=5000)),
    (Datasets, lambda r: r.get_bulk_asset_deletion_session("ds", "a/b")),
    # assets
    (Assets, lambda r: r.delete("ds", BAD_ID)),
    (Assets, lambda r: r.delete(BAD_ID, "a")),
    (Assets, lambda r: r.count("ds", filter_criteria=3)),
    (Assets, lambda r: r.count("ds", strict_query="n")),
    (Assets, lambda r: r.rename("ds", "", asset_id="a")),
    (Assets, lambda r: r.rename("ds", "new")),
    (Assets, lambda r: r.rename("ds", "new", asset_id="a", filename="f")),
    (Assets, lambda r: r.rename("ds", "new", asset_id=BAD_ID)),
    (Assets, lambda r: r.rename("ds", "new", filename="")),
    (Assets, lambda r: r.rename("ds", "new", filename="..")),
    (Assets, lambda r: r.create_ingestion_session("ds", [], failure_mode="FailNever")),
    (Assets, lambda r: r.create_ingestion_session("ds", [], on_asset_overwritten="Keep")),
    (Assets, lambda r: r.create_ingestion_session("ds", "a.jpg")),
    (
        Assets,
        lambda r: r.create_ingestion_session("ds", [{"filename": "a", "mime": "image/png", "kind": "Image"}]),
    ),
    (
        Assets,
        lambda r: r.create_ingestion_session(
            "ds", [{"filename": "a", "mime": "image/png", "kind": "Image", "size": 1, "crc32c": 2**31}]
        ),
    ),
    (
        Assets,
        lambda r: r.create_ingestion_session(
            "ds", [{"filename": "a", "mime": "image/png", "kind": "Image", "size": 1, "extra": 1}]
        ),
    ),
    (
        Assets,
        lambda r: r.create_ingestion_session(
            "ds",
            [
                {
                    "filename": "a",
                    "mime": "image/png",
                    "kind": "Image",
                    "size": 1,
                    "custom_metadata": {"a": []},
                }
            ],
        ),
    ),
    (Assets, lambda r: r.create_ingestion_session("ds", [], source="managed/datature")),
    (Assets, lambda r: r.create_ingestion_session("ds", [], source=("a", "b", "../c"))),
    (Assets, lambda r: r.get_ingestion_session("ds", BAD_ID)),
    (Assets, lambda r: r.cancel_ingestion_session("ds", "")),
    (Assets, lambda r: r.create_multipart_upload("ds", BAD_ID, "f", 1)),
    (Assets, lambda r: r.create_multipart_upload("ds", "ing", "", 1)),
    (Assets, lambda r: r.create_multipart_upload("ds", "ing", "f", -1)),
    (Assets, lambda r: r.create_multipart_upload("ds", "ing", "f", 1.5)),
    (Assets, lambda r: r.create_multipart_upload("ds", "ing", "f", 1, content_type=5)),
    (Assets, lambda r: r.get_multipart_part_url("ds", "mpu", 0)),
    (Assets, lambda r: r.get_multipart_part_url("ds", "mpu", True)),
    (Assets, lambda r: r.get_multipart_part_url("ds", BAD_ID, 1)),
    (Assets, lambda r: r.complete_multipart_part("ds", "mpu", 1, {"ETag": 5})),
    (Assets, lambda r: r.complete_multipart_part("ds", "mpu", 1, {}, "text")),
    (Assets, lambda r: r.complete_multipart_upload("ds", BAD_ID)),
    (Assets, lambda r: r.abort_multipart_upload("ds", None)),
    # annotations
    (Annotations, lambda r: r.replace("ds", "a", "n", {})),
    (Annotations, lambda r: r.replace("ds", "a", "n", [1])),
    (Annotations, lambda r: r.update("ds", BAD_ID, "n", {"a": 1})),
    (Annotations, lambda r: r.update("ds", "a", "n", {"a": object()})),
    (Annotations, lambda r: r.delete("ds", "a", BAD_ID)),
    (Annotations, lambda r: r.create_import_session("ds", upload_before=1.5)),
    (Annotations, lambda r: r.create_import_session("ds", failure_policies={"on_bad_file": "Ignore"})),
    (Annotations, lambda r: r.create_import_session("ds", failure_policies={"onBad": "Warn"})),
    (Annotations, lambda r: r.create_import_session("ds", metadata={"a": 1})),
    (Annotations, lambda r: r.add_import_files("ds", "s", {})),
    (Annotations, lambda r: r.add_import_files("ds", "s", {"a/b.json": {"sizeBytes": 1, "crc32c": "x"}})),
    (Annotations, lambda r: r.add_import_files("ds", "s", {"a.json": {"sizeBytes": -1, "crc32c": "x"}})),
    (Annotations, lambda r: r.add_import_files("ds", "s", {"a.json": {"sizeBytes": 1, "crc32c": 5}})),
    (Annotations, lambda r: r.add_import_files("ds", BAD_ID, {"a.json": {"sizeBytes": 1, "crc32c": "x"}})),
    (Annotations, lambda r: r.update_import_status("ds", "s", "Done")),
    (Annotations, lambda r: r.update_import_status("ds", "s", condition="")),
    (Annotations, lambda r: r.update_import_status("ds", "s", reason=3)),
    (Annotations, lambda r: r.get_import_session("ds", BAD_ID)),
    # runs
    (Runs, lambda r: r.create(FLOW_SPEC, run_id=BAD_ID)),
    (Runs, lambda r: r.create(FLOW_SPEC, training_project="a b")),
    (Runs, lambda r: r.create(FLOW_SPEC, metadata={"a": 1})),
    (Runs, lambda r: r.create({"name": "x"})),
    (Runs, lambda r: r.create(dict(FLOW_SPEC, blocks="none"))),
    (Runs, lambda r: r.create(5)),
    (Runs, lambda r: r.create("flw/1")),
    (Runs, lambda r: r.create("flw-1", metadata={"a": None})),
    (Runs, lambda r: r.replace(BAD_ID, {"a": 1})),
    (Runs, lambda r: r.replace("r", [])),
    (Runs, lambda r: r.update("r")),
    (Runs, lambda r: r.update("r", spec="x")),
    (Runs, lambda r: r.kill(BAD_ID)),
    (Runs, lambda r: r.delete("")),
    (Runs, lambda r: r.list_simple(page_size=0)),
    (Runs, lambda r: r.get_logs("r", limit=0)),
    (Runs, lambda r: r.get_logs("r", since=5)),
    # models
    (Models, lambda r: r.list(BAD_ID)),
    (Models, lambda r: r.list("r", page_size=-1)),
    (Models, lambda r: r.get("r", BAD_ID)),
    (Models, lambda r: r.get("r", contents="y")),
    # peripheral
    (Plans, lambda r: r.get("")),
    (Plans, lambda r: r.list(page_size=0)),
    (Folders, lambda r: r.list("ds", sort_order="up")),
    (Folders, lambda r: r.list("ds", filter_criteria=1)),
    (Folders, lambda r: r.list("ds", page=5)),
    (Folders, lambda r: r.get("ds", "")),
    (Folders, lambda r: r.get("ds", "..")),
    (Folders, lambda r: r.get("ds", None)),
    (Folders, lambda r: r.children("ds", "f", child_type="")),
    (Folders, lambda r: r.children("ds", "f", contents="y")),
    (Folders, lambda r: r.put("ds", "f", owner="")),
    (Folders, lambda r: r.delete(BAD_ID, "f")),
    (Folders, lambda r: r.delete_all(BAD_ID)),
    (Ontologies, lambda r: r.get("ds", BAD_ID)),
    (Ontologies, lambda r: r.replace("ds", "o", {})),
    (Ontologies, lambda r: r.create_version("ds", "o", None)),
    (IntelliScribe, lambda r: r.generate("ds", {})),
    (IntelliScribe, lambda r: r.generate(BAD_ID, {"a": 1})),
    (AssetSources, lambda r: r.get("ds", "managed", "datature", BAD_ID)),
    (AssetSources, lambda r: r.sample("ds", "", "datature", "default")),
    (AssetSources, lambda r: r.get_ingestion_session("ds", "m", "d", "x", BAD_ID)),
    (AssetsWithObjects, lambda r: r.list("ds", view="old")),
    (AssetsWithObjects, lambda r: r.list("ds", contents=1)),
    (AssetsWithObjects, lambda r: r.get("ds", BAD_ID)),
    (AnnotationImportSessions, lambda r: r.update_status("ds", "s", {})),
    (AnnotationImportSessions, lambda r: r.add_files("ds", "s", "x")),
    (AnnotationImportSessions, lambda r: r.get_logs("ds", BAD_ID)),
    (TrainingProjects, lambda r: r.create({"description": "no name"})),
    (TrainingProjects, lambda r: r.create("name")),
    (TrainingProjects, lambda r: r.create({"name": "x"}, training_project_id=BAD_ID)),
    (TrainingProjects, lambda r: r.update("tp")),
    (TrainingProjects, lambda r: r.update("tp", metadata={"a": 1})),
    (TrainingProjects, lambda r: r.dry_run_create(BAD_ID, "n")),
    (TrainingProjects, lambda r: r.dry_run_create("tp", "")),
    (TrainingProjects, lambda r: r.get_aggregation_insights(BAD_ID)),
    (Flows, lambda r: r.create({"name": "x"})),
    (Flows, lambda r: r.create(FLOW_SPEC, flow_id=BAD_ID)),
    (Flows, lambda r: r.replace("f", None)),
    (Flows, lambda r: r.update("f")),
    (Flows, lambda r: r.update_accelerators("f", {})),
    (Flows, lambda r: r.get_accelerators(BAD_ID)),
    (Deployments, lambda r: r.batch_get_statistics([])),
    (Deployments, lambda r: r.batch_get_statistics(["d%d" % i for i in range(21)])),
    (Deployments, lambda r: r.batch_get_statistics("d1,d2")),
    (Deployments, lambda r: r.batch_get_statistics(["ok", BAD_ID])),
    (Deployments, lambda r: r.get(BAD_ID)),
    (Deployments, lambda r: r.replace("d", {})),
    (Deployments, lambda r: r.list(page_size=0)),
    (DeploymentProjects, lambda r: r.get_knowledge_base("")),
    (DeploymentEndpoints, lambda r: r.update("e", [])),
]


@pytest.mark.parametrize("resource, call", INVALID)
def test_bad_arguments_are_refused_before_io(resource, call):
    fake = FakeRequester()
    with pytest.raises(ViValidationError):
        call(resource(fake))
    assert fake.calls == []


def test_invalid_parameter_errors_name_the_parameter():
    with pytest.raises(ViInvalidParameterError) as info:
        Assets(FakeRequester()).get_multipart_part_url("ds", "mpu", 0)
    assert info.value.parameter_name == "part_number"


def test_export_settings_objects():
    assert DatasetExportSettings() == DatasetExportSettings.coerce(None)
    s = DatasetExportSettings.coerce({"format": "ViJsonl", "options": {"splitRatio": 0.7}})
    assert s.to_body() == {"spec": {"format": "ViJsonl", "options": {"normalized": True, "splitRatio": 0.7}}}
    opts = DatasetExportOptions(normalized=False, split_ratio=None)
    assert DatasetExportSettings("ViTfrecord", opts).options == opts
    assert "ViTfrecord" in repr(DatasetExportSettings("ViTfrecord"))


# -- decoding the new documents ---------------------------------------------------------------
def test_dataset_export_decodes_and_keeps_unknown_formats():
    export = decode(DatasetExport, load_example("datasets-get-export"), "dataset export")
    assert export.dataset_id == "dsx9k2m7"
    assert export.spec.options.split_ratio == 0.8
    assert export.status.download_url.expires_at == 1733904050000
    assert "Signature" not in repr(export.status.download_url)
    body = load_example("datasets-create-export")
    body["spec"]["format"] = "YoloDarknet"
    assert decode(DatasetExport, body, "dataset export").spec.format == "YoloDarknet"
    assert decode(DatasetExport, body, "dataset export").status.download_url is None
    body["kind"] = "Dataset"
    with pytest.raises(ViResponseError):
        decode(DatasetExport, body, "dataset export")


def test_bulk_deletion_session_decodes():
    session = decode(BulkAssetDeletionSession, load_example("datasets-bulk-delete-assets"), "bulk")
    assert session.delete_many_assets_session_id == "dmas-3kP9"
    assert session.spec.filter is None and session.spec.strict_query is True
    body = load_example("datasets-bulk-delete-assets")
    body["spec"]["filter"] = {"a": 1}
    assert decode(BulkAssetDeletionSession, body, "bulk").spec.filter == {"a": 1}
    del body["deleteManyAssetsSessionId"]
    with pytest.raises(ViResponseError):
        decode(BulkAssetDeletionSession, body, "bulk")


def test_asset_ingestion_session_decodes_events_and_upload_descriptors():
    created = decode(AssetIngestionSession, load_example("assets-create-ingestion-session"), "s")
    assert created.ingestion_id == "ing-41e0a7" and created.dataset_id == "dsx9k2m7"
    assert created.status.assets[0].metadata.filename == "frame_0003.jpg"
    assert created.status.assets[0].upload.method == "PUT"
    finished = decode(AssetIngestionSession, load_example("assets-get-ingestion-session"), "s")
    progress, error = finished.status.events
    assert progress.kind == "Progress" and progress.tasks["upload"]["done"] == 2
    assert error.kind == "Error" and error.files == {"flight.mp4": "ECORRUPT"}
    assert finished.status.assets is None


def test_asset_ingestion_session_is_lenient_where_the_server_grows():
    body = load_example("assets-get-ingestion-session")
    body["spec"]["onAssetOverwritten"] = "KeepLinkedResources"
    body["spec"]["failureMode"] = "FailAfterSome"
    body["status"]["events"].append({"kind": "Warning", "text": "new"})
    body["status"]["events"][1]["files"]["x.jpg"] = "ENEWCODE"
    body["newField"] = 1
    session = decode(AssetIngestionSession, body, "s")
    assert session.spec.on_asset_overwritten == "KeepLinkedResources"
    assert session.status.events[2] == {"kind": "Warning", "text": "new"}
    assert session.raw["newField"] == 1
    body["status"]["events"].append({"files": {}})
    with pytest.raises(ViResponseError):
        decode(AssetIngestionSession, body, "s")


def test_multipart_and_import_documents_decode_and_pickle():
    mpu = decode(MultipartUpload, load_example("assets-create-multipart-upload"), "m")
    assert mpu.status.part_count == 24 and mpu.workspace_id == ORG
    imp = decode(AnnotationImportSession, load_example("annotations-get-import-session"), "i")
    assert [c.condition for c in imp.status.conditions] == ["FilesInserted", "FilesParsed", "Complete"]
    assert imp.spec.failure_policies.on_bad_file == "RejectSession"
    body = copy.deepcopy(load_example("annotations-get-import-session"))
    body["status"]["conditions"][0]["reason"] = "SomethingNew"
    body["status"]["conditions"][0]["lastTransitionTime"] = 1733900005000.5
    assert decode(AnnotationImportSession, body, "i").status.conditions[0].reason == "SomethingNew"
    for obj in (mpu, imp):
        assert pickle.loads(pickle.dumps(obj)) == obj


def test_flow_training_project_model_documents_decode():
    flow = decode(Flow, load_example("flows-get"), "flow")
    assert flow.flow_id == "flw-9s8d" and flow.spec.blocks[1].settings["epochs"] == 3
    acc = decode(FlowAcceleratorList, load_example("flows-get-accelerators"), "acc")
    assert acc.items[0].accelerator.spec.resources == {"gpuMemoryGiB": 80.0}
    assert acc.items[0].configurations[1].reason == "Quota exceeded"
    tp = decode(TrainingProject, load_example("training_projects-get"), "tp")
    assert tp.status.run_outputs == ["run-7f3a/ckpt-final"]
    minimal = load_example("training_projects-get")
    minimal["status"] = {}
    minimal["spec"] = {"name": "x"}
    tp = decode(TrainingProject, minimal, "tp")
    assert tp.status.runs == [] and tp.spec.type == ""
    model = decode(Model, load_example("models-list")["items"][0], "model")
    assert model.model_id == "ckpt-final" and model.spec.epoch == 3
    assert "Signature" not in repr(model.status.contents)
