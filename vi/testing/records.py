"""The server's internal state, kept in plain records rather than wire JSON.

Derived numbers (dataset statistics, per-asset annotation counts, an organization's dataset list)
are not stored here at all: they are computed when rendering, so they cannot drift from the lists.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from .operations import Operation

__all__ = [
    "AnnotationImportRecord",
    "AnnotationRecord",
    "AssetRecord",
    "BulkDeletionRecord",
    "DatasetRecord",
    "DeleteOperationRecord",
    "DocRecord",
    "ExportRecord",
    "FlowRecord",
    "FolderRecord",
    "IngestionRecord",
    "ModelRecord",
    "MultipartRecord",
    "OrganizationRecord",
    "RunRecord",
    "TrainingProjectRecord",
    "now_ms",
]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class AnnotationRecord:
    annotation_id: str
    asset_id: str
    seq: int
    tag: int
    role: str  # "Caption" or "PhraseGroundingBoundingBox"
    group_id: str
    time_created: int
    last_updated: int
    caption: str = ""
    bound: Optional[List[List[float]]] = None
    target: Optional[List[int]] = None
    generation: int = 1
    attributes: Dict[str, str] = field(default_factory=dict)
    #: (order, question, answer) of a VQA interaction (shown through the API as a Caption part)
    qa: Optional[Tuple[int, str, str]] = None


@dataclass
class AssetRecord:
    asset_id: str
    seq: int
    filename: str
    owner_user: str
    file_size: int
    height: int
    width: int
    mime_type: str
    crc32c: str
    time_created: int
    last_updated: int
    custom_metadata: Dict[str, Any] = field(default_factory=dict)
    status: str = "none"
    generation: int = 1
    folder: Optional[str] = None
    data: Optional[bytes] = None  # the file's bytes when held in memory (see contents.py)
    path: Optional[str] = None  # the file, when a large upload was spooled to disk
    annotations: "OrderedDict[str, AnnotationRecord]" = field(default_factory=OrderedDict)


@dataclass
class DatasetRecord:
    org_id: str
    short_id: str
    seq: int
    name: str
    owner_user: str
    create_date: int
    last_accessed: int
    type: str = "phrase-grounding"
    content: str = "Image"
    description: Optional[str] = None
    localization: str = "Datature/Multi"
    data_localization: str = "Datature/Multi"
    status: int = 0
    tags: Dict[str, int] = field(default_factory=dict)
    tag_details: Dict[str, Dict[str, Optional[str]]] = field(default_factory=dict)
    preference: Dict[str, Any] = field(default_factory=dict)
    attributes: Dict[str, str] = field(default_factory=dict)
    generation: int = 1
    assets: "OrderedDict[str, AssetRecord]" = field(default_factory=OrderedDict)
    exports: "OrderedDict[str, ExportRecord]" = field(default_factory=OrderedDict)
    bulk_deletions: "OrderedDict[str, BulkDeletionRecord]" = field(default_factory=OrderedDict)
    ingestions: "OrderedDict[str, IngestionRecord]" = field(default_factory=OrderedDict)
    multiparts: "OrderedDict[str, MultipartRecord]" = field(default_factory=OrderedDict)
    imports: "OrderedDict[str, AnnotationImportRecord]" = field(default_factory=OrderedDict)
    folders: "OrderedDict[str, FolderRecord]" = field(default_factory=OrderedDict)
    ontologies: "OrderedDict[str, DocRecord]" = field(default_factory=OrderedDict)
    #: "{class}/{provider}/{id}" → source document; the managed default exists from creation.
    asset_sources: "OrderedDict[str, DocRecord]" = field(default_factory=OrderedDict)
    aggregation: "Optional[Operation]" = None

    @property
    def composite_id(self) -> str:
        return f"{self.org_id}_{self.short_id}"


@dataclass
class RunRecord:
    run_id: str
    seq: int
    flow: Dict[str, Any]
    conditions: List[Dict[str, Any]]
    time_created: int
    last_updated: int
    training_project: Optional[str] = None
    killed_at: Optional[int] = None
    generation: int = 1
    attributes: Dict[str, str] = field(default_factory=dict)
    #: None for seeded runs (their conditions are fixed); API-created runs advance with this.
    op: "Optional[Operation]" = None
    models: "OrderedDict[str, ModelRecord]" = field(default_factory=OrderedDict)
    #: canonical JSON of the last PUT body, so an identical retried PUT is recognised as a no-op
    fingerprint: Optional[str] = None


@dataclass
class DeleteOperationRecord:
    org_id: str
    dataset_id: str  # composite
    user: str
    time_created: int
    last_updated: int
    generation: int = 1
    op: "Optional[Operation]" = None


@dataclass
class OrganizationRecord:
    org_id: str
    seq: int
    name: str
    owner_user: str
    billing_email: str
    create_date: int
    last_access: int
    tier: str = "Developer"
    attributes: Dict[str, str] = field(default_factory=dict)
    preference: Dict[str, Any] = field(default_factory=dict)
    generation: int = 1
    datasets: "OrderedDict[str, DatasetRecord]" = field(default_factory=OrderedDict)
    runs: "OrderedDict[str, RunRecord]" = field(default_factory=OrderedDict)
    delete_operations: Dict[str, DeleteOperationRecord] = field(default_factory=dict)
    flows: "OrderedDict[str, FlowRecord]" = field(default_factory=OrderedDict)
    training_projects: "OrderedDict[str, TrainingProjectRecord]" = field(default_factory=OrderedDict)
    collaborators: "OrderedDict[str, Dict[str, Any]]" = field(default_factory=OrderedDict)
    deployments: "OrderedDict[str, DocRecord]" = field(default_factory=OrderedDict)
    deployment_projects: "OrderedDict[str, DocRecord]" = field(default_factory=OrderedDict)
    deployment_endpoints: "OrderedDict[str, DocRecord]" = field(default_factory=OrderedDict)


@dataclass
class ModelRecord:
    """A run output (checkpoint); `models.list` addresses these under `WS/runs/{run}/outputs`."""

    run_output_id: str
    seq: int
    epoch: Optional[int]
    metrics: Dict[str, float]
    time_created: int


@dataclass
class FlowRecord:
    flow_id: str
    seq: int
    spec: Dict[str, Any]
    time_created: int
    last_updated: int
    attributes: Dict[str, str] = field(default_factory=dict)
    generation: int = 1
    accelerators: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    requirements: Dict[str, Any] = field(default_factory=dict)
    aggregation: "Optional[Operation]" = None
    fingerprint: Optional[str] = None


@dataclass
class TrainingProjectRecord:
    project_id: str
    seq: int
    spec: Dict[str, Any]
    time_created: int
    last_updated: int
    attributes: Dict[str, str] = field(default_factory=dict)
    generation: int = 1
    insights: "Optional[Operation]" = None
    fingerprint: Optional[str] = None


@dataclass
class ExportRecord:
    export_id: str
    seq: int
    format: str
    normalized: bool
    split_ratio: Optional[float]
    op: "Operation"
    archive: Any = None  # a contents.Blob once the export has finished


@dataclass
class BulkDeletionRecord:
    session_id: str
    seq: int
    spec: Dict[str, Any]
    op: "Operation"
    deleted: int = 0


@dataclass
class IngestionRecord:
    session_id: str
    ingestion_id: str
    seq: int
    source: str  # "{class}/{provider}/{id}"
    failure_mode: str
    on_overwritten: str
    assets: List[Dict[str, Any]]  # UploadedAssetMetadata documents, as accepted
    op: "Operation"
    received: Dict[str, int] = field(default_factory=dict)  # filename → bytes received
    errors: Dict[str, str] = field(default_factory=dict)  # filename → AssetIngestionError
    blobs: Dict[str, Any] = field(default_factory=dict)  # filename → contents.Blob until finished
    succeeded: int = 0
    cancelled: bool = False
    upload_expiry: int = 0


@dataclass
class MultipartRecord:
    upload_id: str
    seq: int
    source: str
    ingestion_id: str
    filename: str
    content_type: Optional[str]
    size_bytes: int
    part_count: int
    time_created: int
    parts: Dict[int, Any] = field(default_factory=dict)  # part → contents.Blob
    part_info: Dict[int, Tuple[int, str]] = field(default_factory=dict)  # part → (size, MD5 hex)
    completed_parts: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    state: str = "Started"  # Started | Completed | Aborted
    generation: int = 1


@dataclass
class AnnotationImportRecord:
    session_id: str
    seq: int
    user: str
    spec: Dict[str, Any]
    attributes: Dict[str, str]
    time_created: int
    op: "Operation"
    conditions: List[Dict[str, Any]] = field(default_factory=list)
    files: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # basename → spec + "data"
    inserted: int = 0
    rejected: int = 0
    generation: int = 1
    reason: Optional[str] = None
    problems: List[str] = field(default_factory=list)  # why lines were rejected (first 100)


@dataclass
class FolderRecord:
    name: str
    seq: int
    owner: str
    time_created: int
    last_updated: int
    generation: int = 1


@dataclass
class DocRecord:
    """A free-form peripheral resource (ontology, deployment, asset source, ...): caller fields in `doc`."""

    doc_id: str
    seq: int
    doc: Dict[str, Any]
    time_created: int
    last_updated: int
    attributes: Dict[str, str] = field(default_factory=dict)
    generation: int = 1
