"""Every client method of PROTOCOL §6.1/§6.2 against a recording requester: the exact method,
path, query (in wire order) and body it sends, and the type it returns."""

from __future__ import annotations

import pytest
from vi_resource_fakes import ORG, FakeRequester, load_example

from vi.resources import (
    AggregationInsightsResult,
    Annotation,
    AnnotationImportFilesResponse,
    AnnotationImportSession,
    AnnotationImportSessions,
    Annotations,
    AssetIngestionSession,
    Assets,
    AssetSources,
    AssetsWithObjects,
    BulkAssetDeletionSession,
    DatasetExport,
    DatasetExportSettings,
    Datasets,
    DeletedResource,
    DeploymentEndpoints,
    DeploymentProjects,
    Deployments,
    DryRunResponse,
    Flow,
    FlowAcceleratorList,
    Flows,
    Folders,
    IntelliScribe,
    Model,
    Models,
    MultipartUpload,
    Ontologies,
    Organizations,
    PartSignedUrl,
    Plans,
    Run,
    Runs,
    TrainingProject,
    TrainingProjects,
)
from vi.resources import annotations as annotations_module
from vi.resources import runs as runs_module

WS = "/workspaces/" + ORG
DS = WS + "/datasets/" + ORG + "_dsx9k2m7"
SRC = DS + "/assetSources/managed/datature/default"
EMPTY = {"items": []}
D = {"a": 1}

EX = load_example


def case(name, resource, call, responses, calls, returns=None):
    return pytest.param(resource, call, responses, calls, returns, id=name)


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
    # -- plans ------------------------------------------------------------------------------
    case("P1", Plans, lambda r: r.list(), [EMPTY], [("GET", "/plans", [], None)]),
    case("P2", Plans, lambda r: r.get("plan-1"), [D], [("GET", "/plans/plan-1", None, None)], D),
    # -- folders ----------------------------------------------------------------------------
    case(
        "F1",
        Folders,
        lambda r: r.list("dsx9k2m7", {"x": 1}, "name", "desc", 5, "t"),
        [EMPTY],
        [
            (
                "GET",
                DS + "/folders",
                [("filter", '{"x":1}'), ("sortBy", "name"), ("o", "d"), ("p", "t"), ("s", "5")],
                None,
            )
        ],
    ),
    case(
        "F1-asc",
        Folders,
        lambda r: r.list("dsx9k2m7", sort_order="a"),
        [EMPTY],
        [("GET", DS + "/folders", [("o", "a")], None)],
    ),
    case(
        "F2",
        Folders,
        lambda r: r.get("dsx9k2m7", "a/b c%"),
        [D],
        [("GET", DS + "/folders/a%2Fb%20c%25", None, None)],
        D,
    ),
    case(
        "F3",
        Folders,
        lambda r: r.children("dsx9k2m7", "top", contents=False),
        [EMPTY],
        [("GET", DS + "/folders/top/children", [("childType", "All"), ("contents", "n")], None)],
    ),
    case(
        "F4",
        Folders,
        lambda r: r.put("dsx9k2m7", "top"),
        [D],
        [("PUT", DS + "/folders/top", None, {"owner": ORG})],
        D,
    ),
    case(
        "F4-owner",
        Folders,
        lambda r: r.put("dsx9k2m7", "top", owner="usr-1"),
        [D],
        [("PUT", DS + "/folders/top", None, {"owner": "usr-1"})],
        D,
    ),
    case(
        "F5",
        Folders,
        lambda r: r.delete("dsx9k2m7", "a/b"),
        [None],
        [("DELETE", DS + "/folders/a%2Fb", None, None)],
        DeletedResource("a/b"),
    ),
    case(
        "F6",
        Folders,
        lambda r: r.delete_all("dsx9k2m7"),
        [None],
        [("DELETE", DS + "/folders", None, None)],
        True,
    ),
    # -- ontologies -------------------------------------------------------------------------
    case(
        "L1",
        Ontologies,
        lambda r: r.list("dsx9k2m7", "kind=x", 3),
        [EMPTY],
        [("GET", DS + "/ontologies", [("filter", "kind=x"), ("s", "3")], None)],
    ),
    case(
        "L2",
        Ontologies,
        lambda r: r.get("dsx9k2m7", "ont-1"),
        [D],
        [("GET", DS + "/ontologies/ont-1", None, None)],
        D,
    ),
    case(
        "L3",
        Ontologies,
        lambda r: r.replace("dsx9k2m7", "ont-1", D),
        [D],
        [("PUT", DS + "/ontologies/ont-1", None, D)],
        D,
    ),
    case(
        "L4",
        Ontologies,
        lambda r: r.update("dsx9k2m7", "ont-1", D),
        [D],
        [("PATCH", DS + "/ontologies/ont-1", None, D)],
        D,
    ),
    case(
        "L5",
        Ontologies,
        lambda r: r.create_version("dsx9k2m7", "ont-1", D),
        [D],
        [("POST", DS + "/ontologies/ont-1/versions", None, D)],
        D,
    ),
    # -- intelliscribe ----------------------------------------------------------------------
    case(
        "I1",
        IntelliScribe,
        lambda r: r.generate("dsx9k2m7", D),
        [[1, 2]],
        [("POST", DS + "/intelliscribe/generations", None, D)],
        [1, 2],
    ),
    # -- asset sources ----------------------------------------------------------------------
    case(
        "AS1", AssetSources, lambda r: r.list("dsx9k2m7"), [EMPTY], [("GET", DS + "/assetSources", [], None)]
    ),
    case(
        "AS2",
        AssetSources,
        lambda r: r.get("dsx9k2m7", "managed", "datature", "default"),
        [D],
        [("GET", SRC, None, None)],
        D,
    ),
    case(
        "AS3",
        AssetSources,
        lambda r: r.sample("dsx9k2m7", "managed", "datature", "default"),
        [D],
        [("GET", SRC + "/sample", None, None)],
        D,
    ),
    case(
        "AS4",
        AssetSources,
        lambda r: r.delete("dsx9k2m7", "managed", "datature", "default"),
        [D],
        [("DELETE", SRC, None, None)],
        DeletedResource("default"),
    ),
    case(
        "AS5",
        AssetSources,
        lambda r: r.list_ingestion_sessions("dsx9k2m7", "managed", "datature", "default"),
        [EMPTY],
        [("GET", SRC + "/assetIngestionSessions", [], None)],
    ),
    case(
        "AS-A8",
        AssetSources,
        lambda r: r.get_ingestion_session("dsx9k2m7", "managed", "datature", "default", "ais-1"),
        [D],
        [("GET", SRC + "/assetIngestionSessions/ais-1", None, None)],
        D,
    ),
    case(
        "AS-A9",
        AssetSources,
        lambda r: r.cancel_ingestion_session("dsx9k2m7", "managed", "datature", "default", "ais-1"),
        [D],
        [("POST", SRC + "/assetIngestionSessions/ais-1:cancel", None, None)],
        D,
    ),
    # -- assets with objects ----------------------------------------------------------------
    case(
        "W1",
        AssetsWithObjects,
        lambda r: r.list("dsx9k2m7", "f", True, "m", "r", False, "af", "recent", 2, "t"),
        [EMPTY],
        [
            (
                "GET",
                DS + "/assetsWithObjects",
                [
                    ("filter", "f"),
                    ("contents", "y"),
                    ("metadataQuery", "m"),
                    ("ruleQuery", "r"),
                    ("strictQuery", "n"),
                    ("annotationFilter", "af"),
                    ("view", "recent"),
                    ("p", "t"),
                    ("s", "2"),
                ],
                None,
            )
        ],
    ),
    case(
        "W2",
        AssetsWithObjects,
        lambda r: r.get("dsx9k2m7", "ast-1", contents=True),
        [D],
        [("GET", DS + "/assetsWithObjects/ast-1", [("contents", "y")], None)],
        D,
    ),
    # -- annotation import sessions ---------------------------------------------------------
    case(
        "X1",
        AnnotationImportSessions,
        lambda r: r.list("dsx9k2m7"),
        [EMPTY],
        [("GET", DS + "/annotationImportSessions", [], None)],
    ),
    case(
        "X-N9",
        AnnotationImportSessions,
        lambda r: r.get("dsx9k2m7", "anis-1"),
        [D],
        [("GET", DS + "/annotationImportSessions/anis-1", None, None)],
        D,
    ),
    case(
        "X2",
        AnnotationImportSessions,
        lambda r: r.get_files_sample("dsx9k2m7", "anis-1"),
        [D],
        [("GET", DS + "/annotationImportSessions/anis-1/filesSample", None, None)],
        D,
    ),
    case(
        "X3",
        AnnotationImportSessions,
        lambda r: r.get_logs("dsx9k2m7", "anis-1"),
        [D],
        [("GET", DS + "/annotationImportSessions/anis-1/logs", None, None)],
        D,
    ),
    case(
        "X-N8",
        AnnotationImportSessions,
        lambda r: r.update_status("dsx9k2m7", "anis-1", D),
        [D],
        [("PATCH", DS + "/annotationImportSessions/anis-1/status", None, D)],
        D,
    ),
    case(
        "X-N7",
        AnnotationImportSessions,
        lambda r: r.add_files("dsx9k2m7", "anis-1", D),
        [D],
        [("POST", DS + "/annotationImportSessions/anis-1/files", None, D)],
        D,
    ),
    # -- training projects ------------------------------------------------------------------
    case(
        "T1",
        TrainingProjects,
        lambda r: r.list(),
        [EMPTY],
        [("GET", WS + "/trainingProjects", [("s", "10")], None)],
    ),
    case(
        "T2",
        TrainingProjects,
        lambda r: r.get("tp-2b1f"),
        [EX("training_projects-get")],
        [("GET", WS + "/trainingProjects/tp-2b1f", None, None)],
        TrainingProject,
    ),
    case(
        "T3",
        TrainingProjects,
        lambda r: r.create(
            {"name": "Drone grounding", "description": "PG models for drones", "type": "phrase-grounding"},
            "tp-2b1f",
            {"team": "cv"},
        ),
        [EX("training_projects-get")],
        [("PUT", WS + "/trainingProjects/tp-2b1f", None, EX("training_projects-create-request"))],
        TrainingProject,
    ),
    case(
        "T4",
        TrainingProjects,
        lambda r: r.update("tp-2b1f", metadata={"a": None}),
        [EX("training_projects-get")],
        [("PATCH", WS + "/trainingProjects/tp-2b1f", None, {"metadata": {"attributes": {"a": None}}})],
    ),
    case(
        "T5",
        TrainingProjects,
        lambda r: r.delete("tp-2b1f"),
        [None],
        [("DELETE", WS + "/trainingProjects/tp-2b1f", None, None)],
        DeletedResource("tp-2b1f"),
    ),
    case(
        "T6",
        TrainingProjects,
        lambda r: r.get_aggregation_insights("tp-2b1f"),
        [EX("training_projects-get-aggregation-insights")],
        [("GET", WS + "/trainingProjects/tp-2b1f/aggregationInsights", None, None)],
        AggregationInsightsResult,
    ),
    case(
        "T7",
        TrainingProjects,
        lambda r: r.generate_aggregation_insights("tp-2b1f"),
        [None],
        [("POST", WS + "/trainingProjects/tp-2b1f/aggregationInsights:generate", None, None)],
        None,
    ),
    case(
        "T8",
        TrainingProjects,
        lambda r: r.dry_run_create("tp-2b1f", "Drone grounding"),
        [EX("training_projects-dry-run-create")],
        [
            (
                "POST",
                "/dryRuns" + WS + "/trainingProjects",
                None,
                EX("training_projects-dry-run-create-request"),
            )
        ],
        DryRunResponse,
    ),
    # -- flows ------------------------------------------------------------------------------
    case("FL1", Flows, lambda r: r.list(), [EX("flows-list")], [("GET", WS + "/flows", [("s", "10")], None)]),
    case(
        "FL2",
        Flows,
        lambda r: r.get("flw-9s8d"),
        [EX("flows-get")],
        [("GET", WS + "/flows/flw-9s8d", None, None)],
        Flow,
    ),
    case(
        "FL3-create",
        Flows,
        lambda r: r.create(EX("flows-create-request")["spec"], {"owner": "alice"}, flow_id="flw-9s8d"),
        [EX("flows-get")],
        [("PUT", WS + "/flows/flw-9s8d", None, EX("flows-create-request"))],
        Flow,
    ),
    case(
        "FL3-replace",
        Flows,
        lambda r: r.replace("flw-9s8d", EX("flows-create-request")["spec"]),
        [EX("flows-get")],
        [("PUT", WS + "/flows/flw-9s8d", None, {"spec": EX("flows-create-request")["spec"]})],
        Flow,
    ),
    case(
        "FL4",
        Flows,
        lambda r: r.update("flw-9s8d", {"name": "x"}),
        [EX("flows-get")],
        [("PATCH", WS + "/flows/flw-9s8d", None, {"spec": {"name": "x"}})],
        Flow,
    ),
    case(
        "FL5",
        Flows,
        lambda r: r.delete("flw-9s8d"),
        [None],
        [("DELETE", WS + "/flows/flw-9s8d", None, None)],
        DeletedResource("flw-9s8d"),
    ),
    case(
        "FL6",
        Flows,
        lambda r: r.list_simple(page_size=3),
        [EMPTY],
        [("GET", WS + "/simpleFlows", [("s", "3")], None)],
    ),
    case(
        "FL7",
        Flows,
        lambda r: r.get_aggregation_statistics("flw-9s8d"),
        [D],
        [("GET", WS + "/flows/flw-9s8d/aggregationStatistics", None, None)],
        D,
    ),
    case(
        "FL8",
        Flows,
        lambda r: r.generate_aggregation_statistics("flw-9s8d"),
        [None],
        [("POST", WS + "/flows/flw-9s8d/aggregationStatistics:generate", None, None)],
        None,
    ),
    case(
        "FL9",
        Flows,
        lambda r: r.get_accelerators("flw-9s8d"),
        [EX("flows-get-accelerators")],
        [("GET", WS + "/flows/flw-9s8d/accelerators", None, None)],
        FlowAcceleratorList,
    ),
    case(
        "FL10",
        Flows,
        lambda r: r.update_accelerators("flw-9s8d", D),
        [EX("flows-get-accelerators")],
        [("POST", WS + "/flows/flw-9s8d/accelerators", None, D)],
        FlowAcceleratorList,
    ),
    # -- deployments ------------------------------------------------------------------------
    case(
        "DP1",
        Deployments,
        lambda r: r.list("status=up"),
        [EMPTY],
        [("GET", WS + "/deployments", [("filter", "status=up")], None)],
    ),
    case(
        "DP2", Deployments, lambda r: r.get("dep-1"), [D], [("GET", WS + "/deployments/dep-1", None, None)], D
    ),
    case(
        "DP3",
        Deployments,
        lambda r: r.replace("dep-1", D),
        [D],
        [("PUT", WS + "/deployments/dep-1", None, D)],
        D,
    ),
    case(
        "DP4",
        Deployments,
        lambda r: r.update("dep-1", D),
        [D],
        [("PATCH", WS + "/deployments/dep-1", None, D)],
        D,
    ),
    case(
        "DP5",
        Deployments,
        lambda r: r.delete("dep-1"),
        [None],
        [("DELETE", WS + "/deployments/dep-1", None, None)],
        DeletedResource("dep-1"),
    ),
    case(
        "DP6",
        Deployments,
        lambda r: r.get_statistics("dep-1"),
        [D],
        [("GET", WS + "/deployments/dep-1/statistics", None, None)],
        D,
    ),
    case(
        "DP7",
        Deployments,
        lambda r: r.batch_get_statistics(["dep-1", "dep-2"]),
        [D],
        [("GET", WS + "/deploymentStatistics", [("deploymentIds", "dep-1,dep-2")], None)],
        D,
    ),
    case(
        "DJ1",
        DeploymentProjects,
        lambda r: r.list(page_size=4),
        [EMPTY],
        [("GET", WS + "/deploymentProjects", [("s", "4")], None)],
    ),
    case(
        "DJ2",
        DeploymentProjects,
        lambda r: r.get("dpj-1"),
        [D],
        [("GET", WS + "/deploymentProjects/dpj-1", None, None)],
        D,
    ),
    case(
        "DJ3",
        DeploymentProjects,
        lambda r: r.replace("dpj-1", D),
        [D],
        [("PUT", WS + "/deploymentProjects/dpj-1", None, D)],
        D,
    ),
    case(
        "DJ4",
        DeploymentProjects,
        lambda r: r.update("dpj-1", D),
        [D],
        [("PATCH", WS + "/deploymentProjects/dpj-1", None, D)],
        D,
    ),
    case(
        "DJ5",
        DeploymentProjects,
        lambda r: r.delete("dpj-1"),
        [None],
        [("DELETE", WS + "/deploymentProjects/dpj-1", None, None)],
        DeletedResource("dpj-1"),
    ),
    case(
        "DJ6",
        DeploymentProjects,
        lambda r: r.get_knowledge_base("dpj-1"),
        [D],
        [("GET", WS + "/deploymentProjects/dpj-1/knowledgeBase", None, None)],
        D,
    ),
    case(
        "DE1",
        DeploymentEndpoints,
        lambda r: r.list(),
        [EMPTY],
        [("GET", WS + "/deploymentEndpoints", [], None)],
    ),
    case(
        "DE2",
        DeploymentEndpoints,
        lambda r: r.get("dep-e1"),
        [D],
        [("GET", WS + "/deploymentEndpoints/dep-e1", None, None)],
        D,
    ),
    case(
        "DE3",
        DeploymentEndpoints,
        lambda r: r.replace("dep-e1", D),
        [D],
        [("PUT", WS + "/deploymentEndpoints/dep-e1", None, D)],
        D,
    ),
    case(
        "DE4",
        DeploymentEndpoints,
        lambda r: r.update("dep-e1", D),
        [D],
        [("PATCH", WS + "/deploymentEndpoints/dep-e1", None, D)],
        D,
    ),
    case(
        "DE5",
        DeploymentEndpoints,
        lambda r: r.delete("dep-e1"),
        [None],
        [("DELETE", WS + "/deploymentEndpoints/dep-e1", None, None)],
        DeletedResource("dep-e1"),
    ),
]


@pytest.mark.parametrize("resource, call, responses, calls, returns", CASES)
def test_endpoint(resource, call, responses, calls, returns):
    fake = FakeRequester(*responses)
    instance = resource(fake)
    instance._sleep = lambda seconds: None
    result = call(instance)
    assert fake.calls == calls
    assert fake.responses == []
    if isinstance(returns, type):
        assert isinstance(result, returns)
    elif returns is not None:
        assert result == returns


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
    from vi.models import decode
    from vi.resources.flows import _FLOW

    flow = decode(_FLOW, EX("flows-get"), "flow")
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
