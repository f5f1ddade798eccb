"""Wire JSON for exports, bulk deletions, ingestion and import sessions, folders and asset sources.

Shapes follow the service's documents for datasets, assets, annotations and the peripheral resources. Storage URLs are
signed by the app (the store does not know the host a client used), so renderers that hand out
URLs take a `sign(path) -> (url, expiry_ms)` callable.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import quote

from .records import (
    AnnotationImportRecord,
    BulkDeletionRecord,
    DatasetRecord,
    DocRecord,
    ExportRecord,
    FolderRecord,
    IngestionRecord,
    MultipartRecord,
)

__all__ = [
    "Signer",
    "asset_source_json",
    "bulk_deletion_json",
    "export_json",
    "folder_json",
    "folder_link",
    "import_session_json",
    "ingestion_json",
    "multipart_json",
    "storage_path",
]

JSON = Dict[str, Any]
Signer = Callable[[str], Tuple[str, int]]


def _etag(*parts: Any) -> str:
    return 'W/"{}"'.format("-".join(str(p) for p in parts))


def _metadata(
    created: int, updated: int, generation: int, attributes: Optional[Dict[str, str]] = None
) -> JSON:
    return {
        "timeCreated": created,
        "lastUpdated": max(created, updated),
        "generation": generation,
        "attributes": dict(attributes or {}),
    }


def storage_path(*segments: str) -> str:
    """`/_storage/a/b/c`, each segment percent-encoded (filenames may hold spaces or `/`)."""
    return "/_storage/" + "/".join(quote(s, safe="") for s in segments)


def _ds_link(ds: DatasetRecord) -> str:
    return f"/workspaces/{ds.org_id}/datasets/{ds.composite_id}"


def export_json(ds: DatasetRecord, export: ExportRecord, sign: Optional[Signer]) -> JSON:
    op = export.op
    status: JSON = {"conditions": op.conditions()}
    if op.state == "reached" and sign is not None:
        url, expiry = sign(storage_path("exports", ds.org_id, ds.short_id, export.export_id + ".zip"))
        status["downloadUrl"] = {"url": url, "expiresAt": expiry}
    return {
        "kind": "DatasetExport",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "datasetExportId": export.export_id,
        "spec": {
            "format": export.format,
            "options": {"normalized": export.normalized, "splitRatio": export.split_ratio},
        },
        "status": status,
        "metadata": _metadata(op.created_ms, op.finished_ms or op.created_ms, op.generation),
        "selfLink": f"{_ds_link(ds)}/datasetExports/{export.export_id}",
        "etag": _etag(export.export_id, op.generation),
    }


def bulk_deletion_json(ds: DatasetRecord, session: BulkDeletionRecord) -> JSON:
    op = session.op
    return {
        "kind": "DeleteManyAssetsSession",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "deleteManyAssetsSessionId": session.session_id,
        "selfLink": f"{_ds_link(ds)}/deleteManyAssetsSessions/{session.session_id}",
        "etag": _etag(session.session_id, op.generation),
        "metadata": _metadata(op.created_ms, op.finished_ms or op.created_ms, op.generation),
        "spec": dict(session.spec),
        "status": {"conditions": op.conditions(), "deletedCount": session.deleted},
    }


def _source_parts(source: str) -> List[str]:
    return source.split("/", 2)


def ingestion_json(ds: DatasetRecord, session: IngestionRecord, sign: Optional[Signer]) -> JSON:
    op = session.op
    source_class, provider, source_id = _source_parts(session.source)
    total = len(session.assets)
    received = sum(1 for a in session.assets if a["filename"] in session.received)
    events: List[JSON] = [
        {
            "kind": "Progress",
            "tasks": {
                "upload": {"total": total, "done": received},
                "process": {"total": total, "done": session.succeeded + len(session.errors)},
            },
        }
    ]
    if session.errors:
        events.append(
            {
                "kind": "Error",
                "files": dict(session.errors),
                "corrections": {},
                "time": op.finished_ms or op.created_ms,
            }
        )
    status: JSON = {
        "conditions": op.conditions(),
        "events": events,
        "progressCount": {"total": total, "succeeded": session.succeeded, "errored": len(session.errors)},
    }
    if not op.done and sign is not None:
        uploads = []
        for meta in session.assets:
            url, expiry = sign(
                storage_path("uploads", ds.org_id, ds.short_id, session.session_id, meta["filename"])
            )
            headers = {"Content-Type": meta["mime"]}
            uploads.append(
                {
                    "metadata": dict(meta),
                    "upload": {"url": url, "expiry": expiry, "method": "PUT", "headers": headers},
                }
            )
        status["assets"] = uploads
    return {
        "kind": "AssetIngestionSession",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "assetSourceClass": source_class,
        "assetSourceProvider": provider,
        "assetSourceId": source_id,
        "assetIngestionSessionId": session.session_id,
        "ingestionId": session.ingestion_id,
        "selfLink": f"{_ds_link(ds)}/assetSources/{session.source}/assetIngestionSessions/{session.session_id}",
        "etag": _etag(session.session_id, op.generation),
        "metadata": _metadata(op.created_ms, op.finished_ms or op.created_ms, op.generation),
        "spec": {
            "kind": "Upload",
            "failureMode": session.failure_mode,
            "onAssetOverwritten": session.on_overwritten,
            "assets": [dict(a) for a in session.assets],
        },
        "status": status,
    }


def multipart_json(ds: DatasetRecord, upload: MultipartRecord) -> JSON:
    source_class, provider, source_id = _source_parts(upload.source)
    status = "FailedReach" if upload.state == "Aborted" else "Reached"
    conditions = [{"condition": "Started", "status": "Reached", "lastTransitionTime": upload.time_created}]
    if upload.state != "Started":
        conditions.append(
            {"condition": "Finished", "status": status, "lastTransitionTime": upload.time_created}
        )
    return {
        "kind": "MultipartUpload",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "assetSourceClass": source_class,
        "assetSourceProvider": provider,
        "assetSourceId": source_id,
        "multipartUploadId": upload.upload_id,
        "selfLink": f"{_ds_link(ds)}/assetSources/{upload.source}/multipartUploads/{upload.upload_id}",
        "etag": _etag(upload.upload_id, upload.generation),
        "metadata": _metadata(upload.time_created, upload.time_created, upload.generation),
        "spec": {
            "ingestionId": upload.ingestion_id,
            "filename": upload.filename,
            "sizeBytes": upload.size_bytes,
            "contentType": upload.content_type,
        },
        "status": {"conditions": conditions, "partCount": upload.part_count},
    }


def import_session_json(ds: DatasetRecord, session: AnnotationImportRecord) -> JSON:
    files = session.files
    uploaded = [f for f in files.values() if f.get("data") is not None]
    file_status: Dict[str, int] = {}
    if session.op.state == "reached":
        file_status["Parsed"] = len(uploaded)
    elif uploaded:
        file_status["Uploaded"] = len(uploaded)
    if len(files) > len(uploaded):
        file_status["Registered"] = len(files) - len(uploaded)
    annotations: Dict[str, int] = {}
    if session.inserted:
        annotations["Inserted"] = session.inserted
    if session.rejected:
        annotations["Rejected"] = session.rejected
    updated = max([session.time_created] + [c["lastTransitionTime"] for c in session.conditions])
    status: JSON = {
        "conditions": [dict(c) for c in session.conditions],
        "files": {
            "pageCount": len(files),
            "totalSizeBytes": sum(int(f["sizeBytes"]) for f in files.values()),
            "statusCount": file_status,
        },
        "annotations": {"statusCount": annotations},
    }
    if session.reason is not None:
        status["reason"] = session.reason
    return {
        "kind": "AnnotationImportSession",
        "user": session.user,
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "annotationImportSessionId": session.session_id,
        "selfLink": f"{_ds_link(ds)}/annotationImportSessions/{session.session_id}",
        "etag": _etag(session.session_id, session.generation),
        "metadata": _metadata(session.time_created, int(updated), session.generation, session.attributes),
        "spec": dict(session.spec),
        "status": status,
    }


def folder_link(ds: DatasetRecord, name: str) -> str:
    return f"{_ds_link(ds)}/folders/{quote(name, safe='')}"


def folder_json(ds: DatasetRecord, folder: FolderRecord) -> JSON:
    """A folder: `name` is its full path (`/`-separated); `parent` is null at the top level."""
    parent, _, _ = folder.name.rpartition("/")
    return {
        "kind": "Folder",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "name": folder.name,
        "parent": parent or None,
        "owner": folder.owner,
        "assetCount": sum(1 for a in ds.assets.values() if a.folder == folder.name),
        "metadata": _metadata(folder.time_created, folder.last_updated, folder.generation),
        "selfLink": folder_link(ds, folder.name),
        "etag": _etag("folder", folder.seq, folder.generation),
    }


def asset_source_json(ds: DatasetRecord, source: DocRecord) -> JSON:
    """An asset source `{class}/{provider}/{id}` with its ingestion session count."""
    source_class, provider, source_id = _source_parts(source.doc_id)
    sessions = [s for s in ds.ingestions.values() if s.source == source.doc_id]
    return {
        "kind": "AssetSource",
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "assetSourceClass": source_class,
        "assetSourceProvider": provider,
        "assetSourceId": source_id,
        "name": source.doc.get("name"),
        "ingestionSessionCount": len(sessions),
        "metadata": _metadata(source.time_created, source.last_updated, source.generation),
        "selfLink": f"{_ds_link(ds)}/assetSources/{source.doc_id}",
        "etag": _etag("src", source.generation),
    }
