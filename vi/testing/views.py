"""Records → wire JSON, shaped like the service's documents.

Every required field is always present and only `| null` fields are ever null, because the
official SDK turns any deviation into an opaque "Unexpected response type" error.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any, Dict, Iterable, List

from .records import (
    AnnotationRecord,
    AssetRecord,
    DatasetRecord,
    DeleteOperationRecord,
    DocRecord,
    OrganizationRecord,
    RunRecord,
)

__all__ = [
    "DEFAULT_SOURCE",
    "annotation_json",
    "default_source",
    "asset_json",
    "dataset_json",
    "deleted_dataset_json",
    "organization_json",
    "run_json",
    "simple_dataset_json",
]


def _etag(*parts: Any) -> str:
    return 'W/"{}"'.format("-".join(str(p) for p in parts))


def _users(owner: str, dataset_ids: Iterable[str]) -> Dict[str, Any]:
    return {owner: {"workspaceRole": "Owner", "datasets": {ds: "Owner" for ds in dataset_ids}}}


def _tag_counts(dataset: DatasetRecord, annotations: Iterable[AnnotationRecord]) -> Dict[str, int]:
    names = {index: name for name, index in dataset.tags.items()}
    counts = Counter(names.get(a.tag, str(a.tag)) for a in annotations)
    return dict(sorted(counts.items()))


def organization_json(org: OrganizationRecord) -> Dict[str, Any]:
    datasets = list(org.datasets)
    return {
        "kind": "Workspace",
        "name": org.name,
        "workspaceId": org.org_id,
        "lastAccess": org.last_access,
        "datasets": datasets,
        "billing": {
            "payer": org.owner_user,
            "email": org.billing_email,
            "subscriberId": "sub_" + org.org_id.replace("-", "")[:8],
            "ledger": [],
            "tier": org.tier,
        },
        "users": _users(org.owner_user, datasets),
        "metadata": {"createDate": org.create_date, "isPublic": False},
        "features": {"intelliscribe": True},
        "lockStatus": {"isLocked": False},
        "selfLink": "/workspaces/" + org.org_id,
        "etag": _etag(org.generation),
    }


def dataset_json(ds: DatasetRecord) -> Dict[str, Any]:
    annotations = [a for asset in ds.assets.values() for a in asset.annotations.values()]
    return {
        "kind": "Dataset",
        "datasetId": ds.composite_id,
        "workspaceId": ds.org_id,
        "name": ds.name,
        "owner": ds.org_id,
        "description": ds.description,
        "type": ds.type,
        "content": ds.content,
        "localization": ds.localization,
        "dataLocalization": ds.data_localization,
        "createDate": ds.create_date,
        "lastAccessed": ds.last_accessed,
        "statistic": {
            "assetTotal": len(ds.assets),
            "annotationTotal": len(annotations),
            "tagsCount": _tag_counts(ds, annotations),
            "assetAnnotated": sum(1 for asset in ds.assets.values() if asset.annotations),
        },
        "users": _users(ds.owner_user, [ds.composite_id]),
        "tags": dict(ds.tags),
        "tagDetails": {name: dict(detail) for name, detail in ds.tag_details.items()},
        "cohorts": [],
        "status": ds.status,
        "isLocked": False,
        "access": {"isPublic": False, "isReadOnly": False, "isHidden": False},
        "preference": dict(ds.preference),
        "assetStatuses": {
            "none": {"description": "Not reviewed", "color": "#cccccc", "createDate": ds.create_date},
        },
        "isDemoProject": False,
        "bypassQuota": False,
        "selfLink": f"/workspaces/{ds.org_id}/datasets/{ds.composite_id}",
        "etag": _etag(ds.short_id, ds.generation),
    }


def simple_dataset_json(ds: DatasetRecord) -> Dict[str, Any]:
    return {"datasetId": ds.composite_id, "name": ds.name, "type": ds.type}


def deleted_dataset_json(op: DeleteOperationRecord) -> Dict[str, Any]:
    operation = op.op
    conditions: List[Dict[str, Any]] = (
        operation.conditions()
        if operation is not None
        else [
            {"condition": "Started", "status": "Reached", "lastTransitionTime": op.time_created},
            {"condition": "Finished", "status": "Reached", "lastTransitionTime": op.last_updated},
        ]
    )
    generation = operation.generation if operation is not None else op.generation
    return {
        "kind": "DatasetDeleteOperation",
        "user": op.user,
        "workspaceId": op.org_id,
        "datasetId": op.dataset_id,
        "selfLink": f"/workspaces/{op.org_id}/datasets/{op.dataset_id}/deleteOperation",
        "etag": _etag("del", generation),
        "metadata": {
            "timeCreated": op.time_created,
            "lastUpdated": max(int(c["lastTransitionTime"]) for c in conditions),
            "generation": generation,
            "attributes": {},
        },
        "status": {"conditions": conditions},
    }


#: Every dataset has this asset source; `assets.upload` uses it unless told otherwise.
DEFAULT_SOURCE = "managed/datature/default"


def default_source(created: int) -> DocRecord:
    return DocRecord(DEFAULT_SOURCE, 0, {"name": "Datature managed storage"}, created, created)


def asset_json(ds: DatasetRecord, asset: AssetRecord) -> Dict[str, Any]:
    storage = f"gs://vi-assets/{ds.org_id}/{ds.short_id}/{asset.asset_id}"
    return {
        "kind": "Asset",
        "assetId": asset.asset_id,
        "datasetId": ds.composite_id,
        "workspaceId": ds.org_id,
        "filename": asset.filename,
        "owner": asset.owner_user,
        "metadata": {
            "generations": {"asset": storage, "thumbnail": storage + ".thumb"},
            "insertedBy": asset.owner_user,
            "annotations": {
                "withTag": _tag_counts(ds, asset.annotations.values()),
                "total": len(asset.annotations),
            },
            "frames": 1,
            "cohorts": [],
            "fileSize": asset.file_size,
            "height": asset.height,
            "width": asset.width,
            "mimeType": asset.mime_type,
            "source": "managed/datature/default",
            "status": asset.status,
            "uploadStatus": "Completed",
            "visibility": "Visible",
            "userDefined": {},
            "customMetadata": dict(asset.custom_metadata),
            "dimensions": {"height": asset.height, "width": asset.width},
            "pixelRatio": {"height": 1, "width": 1},
            "comments": 0,
            "customMetadataCount": len(asset.custom_metadata),
            "hash": {"algorithm": "crc32c", "contents": asset.crc32c},
            "contentsFrom": "Upload",
            "framesChange": {},
            "timeCreated": asset.time_created,
            "lastUpdated": asset.last_updated,
            "contentsLastUpdated": asset.time_created,
        },
        "selfLink": f"/workspaces/{ds.org_id}/datasets/{ds.composite_id}/assets/{asset.asset_id}",
        "etag": _etag(asset.asset_id, asset.generation),
    }


def annotation_json(ds: DatasetRecord, ann: AnnotationRecord) -> Dict[str, Any]:
    if ann.role == "Caption":
        contents: Dict[str, Any] = {"kind": "Caption", "contents": ann.caption}
        bound_type = "Caption"
    else:
        contents = {
            "kind": "PhraseGroundingBoundingBox",
            "bound": [list(point) for point in ann.bound or []],
            "target": list(ann.target or [0, 0]),
        }
        bound_type = "Box"
    return {
        "kind": "Annotation",
        "annotationId": ann.annotation_id,
        "assetId": ann.asset_id,
        "workspaceId": ds.org_id,
        "datasetId": ds.composite_id,
        "spec": {
            "boundType": bound_type,
            "tag": ann.tag,
            "aggregation": {"whole": {"id": ann.group_id}, "thisPart": {"role": ann.role}},
            "contents": contents,
        },
        "metadata": {
            "timeCreated": ann.time_created,
            "lastUpdated": ann.last_updated,
            "generation": ann.generation,
            "attributes": dict(ann.attributes),
        },
        "selfLink": f"/workspaces/{ds.org_id}/datasets/{ds.composite_id}/assets/{ann.asset_id}/annotations/{ann.annotation_id}",
        "etag": _etag(ann.annotation_id, ann.generation),
    }


def run_json(org_id: str, run: RunRecord) -> Dict[str, Any]:
    return {
        "kind": "Run",
        "workspaceId": org_id,
        "runId": run.run_id,
        "spec": {
            "flow": copy.deepcopy(run.flow),
            "killedAt": run.killed_at,
            "trainingProject": run.training_project,
        },
        "status": {
            "log": f"/workspaces/{org_id}/runs/{run.run_id}/logs",
            "observedGeneration": run.generation,
            "conditions": [dict(c) for c in run.conditions],
        },
        "metadata": {
            "timeCreated": run.time_created,
            "lastUpdated": run.last_updated,
            "generation": run.generation,
            "attributes": dict(run.attributes),
        },
        "selfLink": f"/workspaces/{org_id}/runs/{run.run_id}",
        "etag": _etag(run.run_id, run.generation),
    }
