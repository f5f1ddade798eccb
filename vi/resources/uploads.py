"""The documents of the upload workflows (PROTOCOL §7.3.2, §7.4, §9): asset ingestion sessions,
multipart uploads and their part URLs, annotation import sessions and their file URLs.

The workflows themselves (reading files, checksums, storage PUTs) belong to ``vi.transfers``;
these are the typed answers of the API calls ``client.assets`` and ``client.annotations`` make.

Enum-like fields (``failureMode``, ``onAssetOverwritten``, ingestion error codes, failure
policies, condition reasons) are plain strings: the service already answers with spellings the
official client refuses (``KeepLinkedResources``, PROTOCOL §16.18), and new values must not break
a poll in the middle of an upload.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from marshmallow import fields

from .. import fields as f
from ..documents import Document, strip_org_prefix
from ..fields import StrictInt, TaggedUnion
from .embedded import (
    Contents,
    ResourceCondition,
    ResourceMetadata,
    condition_list,
    resource_metadata,
)

__all__ = [
    "FAILURE_MODES",
    "RETENTION_MODES",
    "UploadedAssetMetadata",
    "AssetForUpload",
    "AssetIngestionSessionSpec",
    "AssetIngestionProgressCount",
    "AssetIngestionEventError",
    "AssetIngestionEventProgress",
    "AssetIngestionEvent",
    "AssetIngestionSessionStatus",
    "AssetIngestionSession",
    "MultipartUploadSpec",
    "MultipartUploadStatus",
    "MultipartUpload",
    "PartSignedUrl",
    "AnnotationImportFailurePolicy",
    "AnnotationImportSpec",
    "AnnotationImportSessionCondition",
    "AnnotationFileStatus",
    "AnnotationStatus",
    "AnnotationImportSessionStatus",
    "AnnotationImportSession",
    "AnnotationImportFileUploadUrl",
    "AnnotationImportFilesResponse",
]

#: ``failure_mode`` values a new ingestion session accepts.
FAILURE_MODES = ("FailAfterOne", "FailAfterAll")
#: ``on_asset_overwritten`` values: the official client takes the singular spelling, the service
#: answers with the plural one (PROTOCOL §3, §16.18); both are accepted here.
RETENTION_MODES = ("RemoveLinkedResource", "KeepLinkedResource", "KeepLinkedResources")


# -- asset ingestion sessions (A7-A9) ---------------------------------------------------------
class UploadedAssetMetadata(Document):
    """One file announced to an ingestion session (``crc32c`` is signed 32-bit, PROTOCOL §9.4)."""

    _repr_fields = ("filename", "mime", "size")

    kind: str = f.string()
    filename: str = f.string()
    mime: str = f.string()
    size: int = f.integer()
    crc32c: Optional[int] = f.integer(optional=True)
    custom_metadata: Optional[Dict[str, Union[str, int, float, bool]]] = f.dict_of(
        fields.Raw(), optional=True
    )


class AssetForUpload(Document):
    """Where to PUT one accepted file (``upload`` is a pre-signed :class:`Contents`)."""

    _repr_fields = ("metadata",)

    metadata: UploadedAssetMetadata = f.nested(UploadedAssetMetadata)
    upload: Contents = f.nested(Contents)


class AssetIngestionSessionSpec(Document):
    _repr_fields = ("kind", "failure_mode", "on_asset_overwritten")

    kind: str = f.string()
    failure_mode: str = f.string()
    on_asset_overwritten: str = f.string()
    assets: Optional[List[UploadedAssetMetadata]] = f.nested_list(UploadedAssetMetadata, optional=True)


class AssetIngestionProgressCount(Document):
    _repr_fields = ("total", "succeeded", "errored")

    total: int = f.integer()
    succeeded: int = f.integer()
    errored: int = f.integer()


class AssetIngestionEventError(Document, kind="Error"):
    """Files that failed (filename → error code such as ``ECORRUPT``)."""

    KIND = "Error"
    _repr_fields = ("files",)

    files: Dict[str, str] = f.str_dict()
    corrections: Dict[str, str] = f.str_dict()
    time: int = f.integer()

    @property
    def kind(self) -> str:
        return self.KIND


class AssetIngestionEventProgress(Document, kind="Progress"):
    KIND = "Progress"
    _repr_fields = ("tasks",)

    tasks: Dict[str, Dict[str, int]] = f.dict_of(fields.Dict(keys=fields.String(), values=StrictInt()))

    @property
    def kind(self) -> str:
        return self.KIND


#: An ingestion event: a known model, or the raw dict of a kind this version does not know.
AssetIngestionEvent = Union[AssetIngestionEventError, AssetIngestionEventProgress, Dict[str, Any]]


class AssetIngestionSessionStatus(Document):
    _repr_fields = ("conditions", "progress_count")

    conditions: List[ResourceCondition] = condition_list()
    events: List[AssetIngestionEvent] = f.list_of(
        TaggedUnion(
            {
                "Error": AssetIngestionEventError.wire_schema(),
                "Progress": AssetIngestionEventProgress.wire_schema(),
            }
        )
    )
    progress_count: AssetIngestionProgressCount = f.nested(AssetIngestionProgressCount)
    assets: Optional[List[AssetForUpload]] = f.nested_list(AssetForUpload, optional=True)


class AssetIngestionSession(Document, kind="AssetIngestionSession"):
    """One batch of asset uploads. ``ingestion_id`` is what multipart uploads reference;
    ``asset_ingestion_session_id`` addresses the session itself."""

    _repr_fields = ("asset_ingestion_session_id", "dataset_id")

    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    asset_source_class: str = f.identifier()
    asset_source_provider: str = f.identifier()
    asset_source_id: str = f.identifier()
    asset_ingestion_session_id: str = f.identifier()
    ingestion_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    spec: AssetIngestionSessionSpec = f.nested(AssetIngestionSessionSpec)
    status: AssetIngestionSessionStatus = f.nested(AssetIngestionSessionStatus)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


# -- multipart uploads (A10-A14) ---------------------------------------------------------------
class MultipartUploadSpec(Document):
    _repr_fields = ("filename", "size_bytes")

    ingestion_id: str = f.string()
    filename: str = f.string()
    size_bytes: int = f.integer()
    content_type: Optional[str] = f.string(optional=True)


class MultipartUploadStatus(Document):
    _repr_fields = ("part_count", "conditions")

    conditions: List[ResourceCondition] = condition_list()
    part_count: int = f.integer()


class MultipartUpload(Document, kind="MultipartUpload"):
    """A large file's upload in parts; the server picks ``status.part_count``."""

    _repr_fields = ("multipart_upload_id", "dataset_id")

    # ``organization_id`` (the official client calls it ``workspace_id`` here only).
    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    asset_source_class: str = f.identifier()
    asset_source_provider: str = f.identifier()
    asset_source_id: str = f.identifier()
    multipart_upload_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    spec: MultipartUploadSpec = f.nested(MultipartUploadSpec)
    status: MultipartUploadStatus = f.nested(MultipartUploadStatus)

    @property
    def workspace_id(self) -> str:
        """The official client's name for :attr:`organization_id`."""
        return self.organization_id

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class PartSignedUrl(Document):
    """Where to send one part: ``method`` + ``url`` + ``headers``. ``response_headers`` names the
    storage response headers to echo back on completion; ``response_body`` asks for the body
    too (base64). The repr leaves the signed URL out."""

    _repr_fields = ("method", "expiry")

    method: str = f.string()
    url: str = f.string()
    expiry: int = f.integer()
    response_headers: List[str] = f.list_of(fields.String())
    response_body: bool = f.boolean()
    headers: Optional[Dict[str, str]] = f.str_dict(optional=True)


# -- annotation import sessions (N6-N9) --------------------------------------------------------
class AnnotationImportFailurePolicy(Document):
    _repr_fields = ("on_bad_annotation", "on_bad_file", "on_overwritten")

    on_bad_annotation: str = f.string()
    on_bad_file: str = f.string()
    on_overwritten: str = f.string()


class AnnotationImportSpec(Document):
    _repr_fields = ("upload_before", "source")

    upload_before: int = f.integer()
    failure_policies: AnnotationImportFailurePolicy = f.nested(AnnotationImportFailurePolicy)
    source: str = f.string(default="UploadedIndividualFiles")


class AnnotationImportSessionCondition(Document):
    """Like :class:`ResourceCondition`, but the time may be fractional and there is no message.
    ``reason`` is any string (the official client accepts only two)."""

    _repr_fields = ("condition", "status")

    condition: str = f.string()
    status: str = f.string()
    last_transition_time: Union[int, float] = f.number()
    reason: Optional[str] = f.string(optional=True)
    message: Optional[str] = f.string(optional=True)


class AnnotationFileStatus(Document):
    _repr_fields = ("page_count", "total_size_bytes")

    page_count: int = f.integer()
    total_size_bytes: int = f.integer()
    status_count: Dict[str, int] = f.dict_of(StrictInt())


class AnnotationStatus(Document):
    _repr_fields = ("status_count",)

    status_count: Dict[str, int] = f.dict_of(StrictInt())


class AnnotationImportSessionStatus(Document):
    _repr_fields = ("conditions",)

    conditions: List[AnnotationImportSessionCondition] = f.nested_list(AnnotationImportSessionCondition)
    files: AnnotationFileStatus = f.nested(AnnotationFileStatus)
    annotations: AnnotationStatus = f.nested(AnnotationStatus)
    reason: Optional[str] = f.string(optional=True)


class AnnotationImportSession(Document, kind="AnnotationImportSession"):
    _repr_fields = ("annotation_import_session_id", "dataset_id")

    user: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    annotation_import_session_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    spec: AnnotationImportSpec = f.nested(AnnotationImportSpec)
    status: AnnotationImportSessionStatus = f.nested(AnnotationImportSessionStatus)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AnnotationImportFileUploadUrl(Document):
    """Where to send one annotation file; the repr leaves the signed URL out."""

    _repr_fields = ("method",)

    method: str = f.string()
    url: str = f.string()
    headers: Dict[str, str] = f.str_dict()


class AnnotationImportFilesResponse(Document):
    """Upload URLs keyed by the basenames that were registered."""

    _repr_fields = ("files",)

    files: Dict[str, AnnotationImportFileUploadUrl] = f.dict_of(
        fields.Nested(AnnotationImportFileUploadUrl.wire_schema())
    )
