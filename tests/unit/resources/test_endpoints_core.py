"""Each client method of the core families (organizations, datasets, assets, annotations, runs,
models) against a recording requester: the exact method, path, query (in wire order) and body it
sends, and the type it returns."""

from __future__ import annotations

import pytest

from tests.helpers.resource_fakes import (
    DS,
    EMPTY,
    EX,
    SRC,
    WS,
    D,
    FakeRequester,
    case,
    check_endpoint,
)
from vi.resources import (
    Annotation,
    AnnotationImportFilesResponse,
    AnnotationImportSession,
    Annotations,
    AssetIngestionSession,
    Assets,
    BulkAssetDeletionSession,
    DatasetExport,
    DatasetExportSettings,
    Datasets,
    DeletedResource,
    IntelliScribe,
    Model,
    Models,
    MultipartUpload,
    Organizations,
    PartSignedUrl,
    Run,
    Runs,
)
from vi.resources import annotations as annotations_module
from vi.resources import runs as runs_module

CASES = [
    # -- organizations (O4-O6) -------------------------------------------------------------
    case(
        "O4",
        Organizations,
        lambda r: r.list_collaborators(),
        [EMPTY],
        [("GET", WS + "/collaborators", [], None)],
    ),
    case(
        "O4-size",
        Organizations,
        lambda r: r.list_collaborators(page_size=5),
        [EMPTY],
        [("GET", WS + "/collaborators", [("s", "5")], None)],
    ),
    case(
        "O5",
        Organizations,
        lambda r: r.remove_collaborator("usr-1"),
        [None],
        [("DELETE", WS + "/collaborators/usr-1", None, None)],
        True,
    ),
    case("O6", Organizations, lambda r: r.get_quota(), [D], [("GET", WS + "/quota", None, None)], D),
    # -- datasets (D8-D16) -----------------------------------------------------------------
    case(
        "D8",
        Datasets,
        lambda r: r.list_collaborators("dsx9k2m7"),
        [EMPTY],
        [("GET", DS + "/collaborators", [], None)],
    ),
    case(
        "D9-default",
        Datasets,
        lambda r: r.create_export("dsx9k2m7"),
        [EX("datasets-create-export")],
        [
            (
                "POST",
                DS + "/datasetExports",
                None,
                {"spec": {"format": "ViFull", "options": {"normalized": True, "splitRatio": None}}},
            )
        ],
        DatasetExport,
    ),
    case(
        "D9-example",
        Datasets,
        lambda r: r.create_export("dsx9k2m7", {"format": "ViFull", "options": {"split_ratio": 0.8}}),
        [EX("datasets-create-export")],
        [("POST", DS + "/datasetExports", None, EX("datasets-create-export-request"))],
        DatasetExport,
    ),
    case(
        "D9-object",
        Datasets,
        lambda r: r.create_export("dsx9k2m7", DatasetExportSettings("Coco", {"normalized": False})),
        [EX("datasets-create-export")],
        [
            (
                "POST",
                DS + "/datasetExports",
                None,
                {"spec": {"format": "Coco", "options": {"normalized": False, "splitRatio": None}}},
            )
        ],
    ),
    case(
        "D10",
        Datasets,
        lambda r: r.list_exports("dsx9k2m7"),
        [EX("datasets-list-exports")],
        [("GET", DS + "/datasetExports", [], None)],
    ),
    case(
        "D10-paged",
        Datasets,
        lambda r: r.list_exports("dsx9k2m7", 20, "tok"),
        [EMPTY],
        [("GET", DS + "/datasetExports", [("p", "tok"), ("s", "20")], None)],
    ),
    case(
        "D11",
        Datasets,
        lambda r: r.get_export("dsx9k2m7", "exp-5Hq8Zt2W"),
        [EX("datasets-get-export")],
        [("GET", DS + "/datasetExports/exp-5Hq8Zt2W", None, None)],
        DatasetExport,
    ),
    case(
        "D12",
        Datasets,
        lambda r: r.get_aggregation_statistics("dsx9k2m7"),
        [D],
        [("GET", DS + "/aggregationStatistics", None, None)],
        D,
    ),
    case(
        "D13",
        Datasets,
        lambda r: r.generate_aggregation_statistics("dsx9k2m7"),
        [None],
        [("POST", DS + "/aggregationStatistics:generate", None, None)],
        None,
    ),
    case(
        "D14-nowait",
        Datasets,
        lambda r: r.bulk_delete_assets(
            "dsx9k2m7", metadata_query="quality:low", strict_query=True, wait=False
        ),
        [EX("datasets-bulk-delete-assets")],
        [("POST", DS + "/deleteManyAssetsSessions", None, EX("datasets-bulk-delete-assets-request"))],
        BulkAssetDeletionSession,
    ),
    case(
        "D14-dict-filter",
        Datasets,
        lambda r: r.bulk_delete_assets("dsx9k2m7", {"status": "none"}, wait=False),
        [EX("datasets-bulk-delete-assets")],
        [
            (
                "POST",
                DS + "/deleteManyAssetsSessions",
                None,
                {
                    "spec": {
                        "filter": {"status": "none"},
                        "metadataQuery": None,
                        "ruleQuery": None,
                        "strictQuery": None,
                    }
                },
            )
        ],
    ),
    case(
        "D14-wait",
        Datasets,
        lambda r: r.bulk_delete_assets("dsx9k2m7", "x"),
        [EX("datasets-bulk-delete-assets"), EX("datasets-bulk-delete-assets")],
        [
            (
                "POST",
                DS + "/deleteManyAssetsSessions",
                None,
                {"spec": {"filter": "x", "metadataQuery": None, "ruleQuery": None, "strictQuery": None}},
            ),
            ("GET", DS + "/deleteManyAssetsSessions/dmas-3kP9", None, None),
        ],
        BulkAssetDeletionSession,
    ),
    case(
        "D15",
        Datasets,
        lambda r: r.list_bulk_asset_deletion_sessions("dsx9k2m7"),
        [EMPTY],
        [("GET", DS + "/deleteManyAssetsSessions", [], None)],
    ),
    case(
        "D16",
        Datasets,
        lambda r: r.get_bulk_asset_deletion_session("dsx9k2m7", "dmas-3kP9"),
        [EX("datasets-bulk-delete-assets")],
        [("GET", DS + "/deleteManyAssetsSessions/dmas-3kP9", None, None)],
        BulkAssetDeletionSession,
    ),
    # -- assets (A3-A14) -------------------------------------------------------------------
    case(
        "A3",
        Assets,
        lambda r: r.delete("dsx9k2m7", "ast-1"),
        [None],
        [("DELETE", DS + "/assets/ast-1", None, None)],
        DeletedResource("ast-1"),
    ),
    case(
        "A4",
        Assets,
        lambda r: r.count("dsx9k2m7"),
        [EX("assets-count")],
        [("GET", DS + "/assets:count", [], None)],
        2,
    ),
    case(
        "A4-query",
        Assets,
        lambda r: r.count("dsx9k2m7", {"a": True}, "m:1", "r1", strict_query=False),
        [7],
        [
            (
                "GET",
                DS + "/assets:count",
                [
                    ("filter", '{"a":true}'),
                    ("metadataQuery", "m:1"),
                    ("ruleQuery", "r1"),
                    ("strictQuery", "n"),
                ],
                None,
            )
        ],
        7,
    ),
    case(
        "A5",
        Assets,
        lambda r: r.rename("dsx9k2m7", "frame_0001_renamed.jpg", asset_id="ast-1"),
        [D],
        [("POST", DS + "/assets/ast-1/name", None, EX("assets-rename-request"))],
        D,
    ),
    case(
        "A6",
        Assets,
        lambda r: r.rename("dsx9k2m7", "new.jpg", filename="a b/c?.jpg"),
        ["ok"],
        [("POST", DS + "/assetFiles/a%20b%2Fc%3F.jpg/name", None, {"filename": "new.jpg"})],
        {"data": "ok"},
    ),
    case(
        "A7",
        Assets,
        lambda r: r.create_ingestion_session(
            "dsx9k2m7",
            [
                {
                    "filename": "frame_0003.jpg",
                    "mime": "image/jpeg",
                    "size": 481220,
                    "crc32c": -486108541,
                    "kind": "Image",
                },
                {"filename": "flight.mp4", "mime": "video/mp4", "size": 1610612736, "kind": "Video"},
            ],
        ),
        [EX("assets-create-ingestion-session")],
        [("POST", SRC + "/assetIngestionSessions", None, EX("assets-create-ingestion-session-request"))],
        AssetIngestionSession,
    ),
    case(
        "A7-source",
        Assets,
        lambda r: r.create_ingestion_session(
            "dsx9k2m7", [], "FailAfterAll", "KeepLinkedResource", source="external/s3/bucket-1"
        ),
        [EX("assets-create-ingestion-session")],
        [
            (
                "POST",
                DS + "/assetSources/external/s3/bucket-1/assetIngestionSessions",
                None,
                {
                    "spec": {
                        "assets": [],
                        "kind": "Upload",
                        "failureMode": "FailAfterAll",
                        "onAssetOverwritten": "KeepLinkedResource",
                    }
                },
            )
        ],
    ),
    case(
        "A8",
        Assets,
        lambda r: r.get_ingestion_session("dsx9k2m7", "ais-8XcV2n"),
        [EX("assets-get-ingestion-session")],
        [("GET", SRC + "/assetIngestionSessions/ais-8XcV2n", None, None)],
        AssetIngestionSession,
    ),
    case(
        "A9",
        Assets,
        lambda r: r.cancel_ingestion_session("dsx9k2m7", "ais-8XcV2n"),
        [None],
        [("POST", SRC + "/assetIngestionSessions/ais-8XcV2n:cancel", None, None)],
        {"data": ""},
    ),
    case(
        "A10",
        Assets,
        lambda r: r.create_multipart_upload("dsx9k2m7", "ing-41e0a7", "flight.mp4", 1610612736, "video/mp4"),
        [EX("assets-create-multipart-upload")],
        [("POST", SRC + "/multipartUploads", None, EX("assets-create-multipart-upload-request"))],
        MultipartUpload,
    ),
    case(
        "A11",
        Assets,
        lambda r: r.get_multipart_part_url("dsx9k2m7", "mpu-0Zr7", 1),
        [EX("assets-get-multipart-part-url")],
        [
            (
                "POST",
                SRC + "/multipartUploads/mpu-0Zr7/parts/1",
                None,
                EX("assets-get-multipart-part-url-request"),
            )
        ],
        PartSignedUrl,
    ),
    case(
        "A12",
        Assets,
        lambda r: r.complete_multipart_part(
            "dsx9k2m7", "mpu-0Zr7", 3, EX("assets-complete-multipart-part-request")["responseHeaders"]
        ),
        [None],
        [
            (
                "POST",
                SRC + "/multipartUploads/mpu-0Zr7/parts/3/completion",
                None,
                EX("assets-complete-multipart-part-request"),
            )
        ],
        None,
    ),
    case(
        "A12-body",
        Assets,
        lambda r: r.complete_multipart_part("dsx9k2m7", "mpu-0Zr7", 2, {"ETag": "x"}, b"<ok/>"),
        [None],
        [
            (
                "POST",
                SRC + "/multipartUploads/mpu-0Zr7/parts/2/completion",
                None,
                {"responseHeaders": {"ETag": "x"}, "responseBody": "PG9rLz4="},
            )
        ],
    ),
    case(
        "A13",
        Assets,
        lambda r: r.complete_multipart_upload("dsx9k2m7", "mpu-0Zr7"),
        [None],
        [("POST", SRC + "/multipartUploads/mpu-0Zr7/completion", None, None)],
        None,
    ),
    case(
        "A14",
        Assets,
        lambda r: r.abort_multipart_upload("dsx9k2m7", "mpu-0Zr7"),
        [None],
        [("DELETE", SRC + "/multipartUploads/mpu-0Zr7", None, None)],
        None,
    ),
    # -- annotations (N3-N9) ---------------------------------------------------------------
    case(
        "N3",
        Annotations,
        lambda r: r.replace("dsx9k2m7", "ast-1", "ann-0001", {"spec": {"tag": 1}}),
        [EX("annotations-get")],
        [("PUT", DS + "/assets/ast-1/annotations/ann-0001", None, {"spec": {"tag": 1}})],
        Annotation,
    ),
    case(
        "N4",
        Annotations,
        lambda r: r.update("dsx9k2m7", "ast-1", "ann-0001", {"spec": {"tag": 2}}),
        [EX("annotations-get")],
        [("PATCH", DS + "/assets/ast-1/annotations/ann-0001", None, {"spec": {"tag": 2}})],
        Annotation,
    ),
    case(
        "N5",
        Annotations,
        lambda r: r.delete("dsx9k2m7", "ast-1", "ann-0001"),
        [None],
        [("DELETE", DS + "/assets/ast-1/annotations/ann-0001", None, None)],
        DeletedResource("ann-0001"),
    ),
    case(
        "N6",
        Annotations,
        lambda r: r.create_import_session("dsx9k2m7", upload_before=1733903300000),
        [EX("annotations-create-import-session")],
        [("POST", DS + "/annotationImportSessions", None, EX("annotations-create-import-session-request"))],
        AnnotationImportSession,
    ),
    case(
        "N7",
        Annotations,
        lambda r: r.add_import_files(
            "dsx9k2m7", "anis-4Gk2", {"annotations.jsonl": {"size_bytes": 20480, "crc32c": "4waSgw=="}}
        ),
        [EX("annotations-add-import-files")],
        [
            (
                "POST",
                DS + "/annotationImportSessions/anis-4Gk2/files",
                None,
                EX("annotations-add-import-files-request"),
            )
        ],
        AnnotationImportFilesResponse,
    ),
    case(
        "N8",
        Annotations,
        lambda r: r.update_import_status("dsx9k2m7", "anis-4Gk2", last_transition_time=1733900005000),
        [EX("annotations-get-import-session")],
        [
            (
                "PATCH",
                DS + "/annotationImportSessions/anis-4Gk2/status",
                None,
                EX("annotations-patch-import-status-request"),
            )
        ],
        AnnotationImportSession,
    ),
    case(
        "N8-failed",
        Annotations,
        lambda r: r.update_import_status(
            "dsx9k2m7",
            "anis-4Gk2",
            "FailedReach",
            reason="UserUploadErrored",
            last_transition_time=1733900005000,
        ),
        [EX("annotations-get-import-session")],
        [
            (
                "PATCH",
                DS + "/annotationImportSessions/anis-4Gk2/status",
                None,
                EX("annotations-patch-import-status-request-failed"),
            )
        ],
    ),
    case(
        "N9",
        Annotations,
        lambda r: r.get_import_session("dsx9k2m7", "anis-4Gk2"),
        [EX("annotations-get-import-session")],
        [("GET", DS + "/annotationImportSessions/anis-4Gk2", None, None)],
        AnnotationImportSession,
    ),
    # -- runs (R3-R7) ----------------------------------------------------------------------
    case(
        "R3-replace",
        Runs,
        lambda r: r.replace("run-7f3a", {"flow": {}}, {"a": "b"}),
        [EX("runs-get")],
        [
            (
                "PUT",
                WS + "/runs/run-7f3a",
                None,
                {"spec": {"flow": {}}, "metadata": {"attributes": {"a": "b"}}},
            )
        ],
        Run,
    ),
    case(
        "R4",
        Runs,
        lambda r: r.update("run-7f3a", spec={"x": 1}),
        [EX("runs-get")],
        [("PATCH", WS + "/runs/run-7f3a", None, {"spec": {"x": 1}})],
        Run,
    ),
    case(
        "R4-metadata",
        Runs,
        lambda r: r.update("run-7f3a", metadata={"k": "v"}),
        [EX("runs-get")],
        [("PATCH", WS + "/runs/run-7f3a", None, {"metadata": {"attributes": {"k": "v"}}})],
        Run,
    ),
    case(
        "R5",
        Runs,
        lambda r: r.delete("run-7f3a"),
        [None],
        [("DELETE", WS + "/runs/run-7f3a", None, None)],
        DeletedResource("run-7f3a"),
    ),
    case("R6", Runs, lambda r: r.list_simple(), [EMPTY], [("GET", WS + "/simpleRuns", [("s", "10")], None)]),
    case(
        "R7",
        Runs,
        lambda r: r.get_logs("run-7f3a"),
        [D],
        [("GET", WS + "/runs/run-7f3a/logs", None, None)],
        D,
    ),
    case(
        "R7-query",
        Runs,
        lambda r: r.get_logs("run-7f3a", "model", "1", "2", 50),
        [D],
        [
            (
                "GET",
                WS + "/runs/run-7f3a/logs",
                [("block", "model"), ("since", "1"), ("until", "2"), ("limit", "50")],
                None,
            )
        ],
    ),
    # -- models (M1-M2) --------------------------------------------------------------------
    case(
        "M1",
        Models,
        lambda r: r.list("run-7f3a"),
        [EX("models-list")],
        [("GET", WS + "/runs/run-7f3a/outputs", [("intent", "sdkLocalDeploy"), ("s", "10")], None)],
    ),
    case(
        "M2",
        Models,
        lambda r: r.get("run-7f3a"),
        [EX("models-list")],
        [("GET", WS + "/runs/run-7f3a/outputs", [("intent", "sdkLocalDeploy")], None)],
        Model,
    ),
    case(
        "M2-ckpt",
        Models,
        lambda r: r.get("run-7f3a", "ckpt-final", contents=True),
        [EX("models-list")],
        [
            (
                "GET",
                WS + "/runs/run-7f3a/outputs/ckpt-final",
                [("intent", "sdkLocalDeploy"), ("contents", "y")],
                None,
            )
        ],
        Model,
    ),
]


@pytest.mark.parametrize("resource, call, responses, calls, returns", CASES)
def test_endpoint(resource, call, responses, calls, returns):
    check_endpoint(resource, call, responses, calls, returns)


# -- runs.create and kill ---------------------------------------------------------------------
def test_runs_create_with_a_spec_dict_matches_the_example(monkeypatch):
    body = EX("runs-create-request")
    fake = FakeRequester(EX("runs-get"))
    run = Runs(fake).create(body["spec"]["flow"], "tp-2b1f", {"notes": "baseline"}, run_id="run-7f3a")
    assert isinstance(run, Run)
    assert fake.calls == [("PUT", WS + "/runs/run-7f3a", None, body)]


def test_runs_create_generates_a_uuid4_and_a_retry_with_run_id_reuses_it():
    import uuid

    fake = FakeRequester(EX("runs-get"), EX("runs-get"))
    spec = EX("runs-create-request")["spec"]["flow"]
    Runs(fake).create(spec)
    run_id = fake.paths[0].rsplit("/", 1)[1]
    assert uuid.UUID(run_id).version == 4
    assert fake.calls[0][3] == {"spec": {"flow": spec}}
    Runs(fake).create(spec, run_id=run_id)
    assert fake.paths[1] == fake.paths[0]


def test_runs_create_from_a_flow_id_fetches_and_decodes_the_flow_document():
    flow = EX("flows-get")
    fake = FakeRequester(flow, EX("runs-get"))
    Runs(fake).create("flw-9s8d", run_id="run-1")
    assert fake.calls[0] == ("GET", WS + "/flows/flw-9s8d", None, None)
    assert fake.calls[1][:2] == ("PUT", WS + "/runs/run-1")
    assert fake.calls[1][3] == {"spec": {"flow": flow["spec"]}}


def test_runs_create_from_decoded_models_sends_the_spec_as_received():
    from vi.documents import decode
    from vi.resources.flows import Flow

    flow = decode(Flow, EX("flows-get"), "flow")
    fake = FakeRequester(EX("runs-get"), EX("runs-get"))
    Runs(fake).create(flow, run_id="run-1")
    Runs(fake).create(flow.spec, run_id="run-1")
    assert fake.calls[0][3] == fake.calls[1][3] == {"spec": {"flow": EX("flows-get")["spec"]}}


def test_runs_create_from_a_python_built_flow_spec():
    from vi.resources import FlowBlock, FlowSpec

    spec = FlowSpec(
        name="n",
        schema="v1",
        tolerations={},
        settings={},
        training_project=None,
        blocks=[FlowBlock(block="dataset", settings={"a": 1}, style={})],
    )
    fake = FakeRequester(EX("runs-get"))
    Runs(fake).create(spec, run_id="run-1")
    assert fake.calls[0][3]["spec"]["flow"] == {
        "name": "n",
        "schema": "v1",
        "tolerations": {},
        "settings": {},
        "blocks": [{"block": "dataset", "settings": {"a": 1}, "style": {}}],
        "trainingProject": None,
    }


def test_runs_kill_sets_killed_at_now(monkeypatch):
    monkeypatch.setattr(runs_module, "_now_ms", lambda: 1733900450000)
    fake = FakeRequester(EX("runs-get"))
    assert isinstance(Runs(fake).kill("run-7f3a"), Run)
    assert fake.calls == [("PATCH", WS + "/runs/run-7f3a", None, EX("runs-kill-request"))]


def test_runs_start_is_create():
    assert Runs.start is Runs.create


def test_import_session_defaults_upload_before_to_55_minutes(monkeypatch):
    monkeypatch.setattr(annotations_module, "_now_ms", lambda: 1733900000000)
    fake = FakeRequester(EX("annotations-create-import-session"))
    Annotations(fake).create_import_session("dsx9k2m7", failure_policies={"on_bad_file": "Warn"})
    spec = fake.calls[0][3]["spec"]
    assert spec["uploadBefore"] == 1733900000000 + 3300 * 1000
    assert spec["failurePolicies"] == {
        "onBadAnnotation": "RejectSession",
        "onBadFile": "Warn",
        "onOverwritten": "RejectSession",
    }


# -- models.get variants ----------------------------------------------------------------------
def test_models_get_prefers_the_named_checkpoint_and_accepts_a_bare_document():
    body = EX("models-list")
    other = dict(body["items"][0], runOutputId="ckpt-2")
    body["items"].append(other)
    fake = FakeRequester(body, body, body["items"][0])
    models = Models(fake)
    assert models.get("run-7f3a", "ckpt-final").model_id == "ckpt-final"
    assert models.get("run-7f3a").model_id == "ckpt-2"  # the last, as the official client
    assert models.get("run-7f3a", "ckpt-final").model_id == "ckpt-final"


def test_models_get_without_items_is_not_found():
    from vi.errors import ViNotFoundError

    with pytest.raises(ViNotFoundError):
        Models(FakeRequester({"items": []})).get("run-7f3a")


def test_assets_count_rejects_a_broken_answer():
    from vi.errors import ViResponseError

    for body in ({"count": "2"}, {"total": 2}, -1, True, None):
        with pytest.raises(ViResponseError):
            Assets(FakeRequester(body)).count("dsx9k2m7")


def test_intelliscribe_answer_must_be_an_array_and_it_cannot_be_iterated():
    from vi.errors import ViResponseError

    with pytest.raises(ViResponseError):
        IntelliScribe(FakeRequester({"a": 1})).generate("dsx9k2m7", D)
    with pytest.raises(TypeError):
        iter(IntelliScribe(FakeRequester()))


def test_dict_answers_must_be_objects():
    from vi.errors import ViResponseError

    with pytest.raises(ViResponseError):
        Organizations(FakeRequester([1])).get_quota()
