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

from ..documents import Model, ModelSchema, TaggedModelSchema, strip_org_prefix
from ..fields import IdField, StrictBool, StrictInt, StrictNumber, TaggedUnion
from .embedded import (
    Contents,
    ResourceCondition,
    ResourceMetadata,
    condition_list,
    nested,
    nested_list,
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

_CONTENTS = Contents.wire_schema()


# -- asset ingestion sessions (A7-A9) ---------------------------------------------------------
class UploadedAssetMetadata(Model):
    """One file announced to an ingestion session (``crc32c`` is signed 32-bit, PROTOCOL §9.4)."""

    _repr_fields = ("filename", "mime", "size")

    kind: str
    filename: str
    mime: str
    size: int
    crc32c: Optional[int]
    custom_metadata: Optional[Dict[str, Union[str, int, float, bool]]]


class UploadedAssetMetadataSchema(ModelSchema):
    __model__ = UploadedAssetMetadata

    kind = fields.String(data_key="kind", required=True)
    filename = fields.String(data_key="filename", required=True)
    mime = fields.String(data_key="mime", required=True)
    size = StrictInt(data_key="size", required=True)
    crc32c = StrictInt(data_key="crc32c", load_default=None, allow_none=True)
    custom_metadata = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        data_key="customMetadata",
        load_default=None,
        allow_none=True,
    )


_UPLOADED_ASSET = UploadedAssetMetadataSchema()


class AssetForUpload(Model):
    """Where to PUT one accepted file (``upload`` is a pre-signed :class:`Contents`)."""

    _repr_fields = ("metadata",)

    metadata: UploadedAssetMetadata
    upload: Contents


class AssetForUploadSchema(ModelSchema):
    __model__ = AssetForUpload

    metadata = nested(_UPLOADED_ASSET, data_key="metadata", required=True)
    upload = nested(_CONTENTS, data_key="upload", required=True)


class AssetIngestionSessionSpec(Model):
    _repr_fields = ("kind", "failure_mode", "on_asset_overwritten")

    kind: str
    failure_mode: str
    on_asset_overwritten: str
    assets: Optional[List[UploadedAssetMetadata]]


class AssetIngestionSessionSpecSchema(ModelSchema):
    __model__ = AssetIngestionSessionSpec

    kind = fields.String(data_key="kind", required=True)
    # The official client names these two failureMode/onAssetOverwritten; snake_case here.
    failure_mode = fields.String(data_key="failureMode", required=True)
    on_asset_overwritten = fields.String(data_key="onAssetOverwritten", required=True)
    assets = nested_list(_UPLOADED_ASSET, data_key="assets", load_default=None, allow_none=True)


class AssetIngestionProgressCount(Model):
    _repr_fields = ("total", "succeeded", "errored")

    total: int
    succeeded: int
    errored: int


class AssetIngestionProgressCountSchema(ModelSchema):
    __model__ = AssetIngestionProgressCount

    total = StrictInt(data_key="total", required=True)
    succeeded = StrictInt(data_key="succeeded", required=True)
    errored = StrictInt(data_key="errored", required=True)


class AssetIngestionEventError(Model):
    """Files that failed (filename → error code such as ``ECORRUPT``)."""

    KIND = "Error"
    _repr_fields = ("files",)

    files: Dict[str, str]
    corrections: Dict[str, str]
    time: int

    @property
    def kind(self) -> str:
        return self.KIND


class AssetIngestionEventErrorSchema(TaggedModelSchema):
    __model__ = AssetIngestionEventError
    __kind__ = "Error"

    files = fields.Dict(keys=fields.String(), values=fields.String(), data_key="files", required=True)
    corrections = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="corrections", required=True
    )
    time = StrictInt(data_key="time", required=True)


class AssetIngestionEventProgress(Model):
    KIND = "Progress"
    _repr_fields = ("tasks",)

    tasks: Dict[str, Dict[str, int]]

    @property
    def kind(self) -> str:
        return self.KIND


class AssetIngestionEventProgressSchema(TaggedModelSchema):
    __model__ = AssetIngestionEventProgress
    __kind__ = "Progress"

    tasks = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=StrictInt()),
        data_key="tasks",
        required=True,
    )


#: An ingestion event: a known model, or the raw dict of a kind this version does not know.
AssetIngestionEvent = Union[AssetIngestionEventError, AssetIngestionEventProgress, Dict[str, Any]]


class AssetIngestionSessionStatus(Model):
    _repr_fields = ("conditions", "progress_count")

    conditions: List[ResourceCondition]
    events: List[AssetIngestionEvent]
    progress_count: AssetIngestionProgressCount
    assets: Optional[List[AssetForUpload]]


class AssetIngestionSessionStatusSchema(ModelSchema):
    __model__ = AssetIngestionSessionStatus

    conditions = condition_list(data_key="conditions", required=True)
    events = fields.List(
        TaggedUnion(
            {"Error": AssetIngestionEventErrorSchema(), "Progress": AssetIngestionEventProgressSchema()}
        ),
        data_key="events",
        required=True,
    )
    progress_count = nested(AssetIngestionProgressCountSchema(), data_key="progressCount", required=True)
    assets = nested_list(AssetForUploadSchema(), data_key="assets", load_default=None, allow_none=True)


class AssetIngestionSession(Model):
    """One batch of asset uploads. ``ingestion_id`` is what multipart uploads reference;
    ``asset_ingestion_session_id`` addresses the session itself."""

    _repr_fields = ("asset_ingestion_session_id", "dataset_id")

    organization_id: str
    dataset_id: str
    asset_source_class: str
    asset_source_provider: str
    asset_source_id: str
    asset_ingestion_session_id: str
    ingestion_id: str
    self_link: str
    etag: str
    metadata: ResourceMetadata
    spec: AssetIngestionSessionSpec
    status: AssetIngestionSessionStatus

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AssetIngestionSessionSchema(TaggedModelSchema):
    __model__ = AssetIngestionSession
    __kind__ = "AssetIngestionSession"

    organization_id = IdField("workspaceId")
    dataset_id = IdField("datasetId")
    asset_source_class = IdField("assetSourceClass")
    asset_source_provider = IdField("assetSourceProvider")
    asset_source_id = IdField("assetSourceId")
    asset_ingestion_session_id = IdField("assetIngestionSessionId")
    ingestion_id = IdField("ingestionId")
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    spec = nested(AssetIngestionSessionSpecSchema(), data_key="spec", required=True)
    status = nested(AssetIngestionSessionStatusSchema(), data_key="status", required=True)


# -- multipart uploads (A10-A14) ---------------------------------------------------------------
class MultipartUploadSpec(Model):
    _repr_fields = ("filename", "size_bytes")

    ingestion_id: str
    filename: str
    size_bytes: int
    content_type: Optional[str]


class MultipartUploadSpecSchema(ModelSchema):
    __model__ = MultipartUploadSpec

    ingestion_id = fields.String(data_key="ingestionId", required=True)
    filename = fields.String(data_key="filename", required=True)
    size_bytes = StrictInt(data_key="sizeBytes", required=True)
    content_type = fields.String(data_key="contentType", load_default=None, allow_none=True)


class MultipartUploadStatus(Model):
    _repr_fields = ("part_count", "conditions")

    conditions: List[ResourceCondition]
    part_count: int


class MultipartUploadStatusSchema(ModelSchema):
    __model__ = MultipartUploadStatus

    conditions = condition_list(data_key="conditions", required=True)
    part_count = StrictInt(data_key="partCount", required=True)


class MultipartUpload(Model):
    """A large file's upload in parts; the server picks ``status.part_count``."""

    _repr_fields = ("multipart_upload_id", "dataset_id")

    # ``organization_id`` (the official client calls it ``workspace_id`` here only).
    organization_id: str
    dataset_id: str
    asset_source_class: str
    asset_source_provider: str
    asset_source_id: str
    multipart_upload_id: str
    self_link: str
    etag: str
    metadata: ResourceMetadata
    spec: MultipartUploadSpec
    status: MultipartUploadStatus

    @property
    def workspace_id(self) -> str:
        """The official client's name for :attr:`organization_id`."""
        return self.organization_id

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class MultipartUploadSchema(TaggedModelSchema):
    __model__ = MultipartUpload
    __kind__ = "MultipartUpload"

    organization_id = IdField("workspaceId")
    dataset_id = IdField("datasetId")
    asset_source_class = IdField("assetSourceClass")
    asset_source_provider = IdField("assetSourceProvider")
    asset_source_id = IdField("assetSourceId")
    multipart_upload_id = IdField("multipartUploadId")
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    spec = nested(MultipartUploadSpecSchema(), data_key="spec", required=True)
    status = nested(MultipartUploadStatusSchema(), data_key="status", required=True)


class PartSignedUrl(Model):
    """Where to send one part: ``method`` + ``url`` + ``headers``. ``response_headers`` names the
    storage response headers to echo back on completion; ``response_body`` asks for the body
    too (base64). The repr leaves the signed URL out."""

    _repr_fields = ("method", "expiry")

    method: str
    url: str
    expiry: int
    response_headers: List[str]
    response_body: bool
    headers: Optional[Dict[str, str]]


class PartSignedUrlSchema(ModelSchema):
    __model__ = PartSignedUrl

    method = fields.String(data_key="method", required=True)
    url = fields.String(data_key="url", required=True)
    expiry = StrictInt(data_key="expiry", required=True)
    response_headers = fields.List(fields.String(), data_key="responseHeaders", required=True)
    response_body = StrictBool(data_key="responseBody", required=True)
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="headers", load_default=None, allow_none=True
    )


# -- annotation import sessions (N6-N9) --------------------------------------------------------
class AnnotationImportFailurePolicy(Model):
    _repr_fields = ("on_bad_annotation", "on_bad_file", "on_overwritten")

    on_bad_annotation: str
    on_bad_file: str
    on_overwritten: str


class AnnotationImportFailurePolicySchema(ModelSchema):
    __model__ = AnnotationImportFailurePolicy

    on_bad_annotation = fields.String(data_key="onBadAnnotation", required=True)
    on_bad_file = fields.String(data_key="onBadFile", required=True)
    on_overwritten = fields.String(data_key="onOverwritten", required=True)


class AnnotationImportSpec(Model):
    _repr_fields = ("upload_before", "source")

    upload_before: int
    failure_policies: AnnotationImportFailurePolicy
    source: str


class AnnotationImportSpecSchema(ModelSchema):
    __model__ = AnnotationImportSpec

    upload_before = StrictInt(data_key="uploadBefore", required=True)
    failure_policies = nested(
        AnnotationImportFailurePolicySchema(), data_key="failurePolicies", required=True
    )
    source = fields.String(data_key="source", load_default="UploadedIndividualFiles")


class AnnotationImportSessionCondition(Model):
    """Like :class:`ResourceCondition`, but the time may be fractional and there is no message.
    ``reason`` is any string (the official client accepts only two)."""

    _repr_fields = ("condition", "status")

    condition: str
    status: str
    last_transition_time: Union[int, float]
    reason: Optional[str]
    message: Optional[str]


class AnnotationImportSessionConditionSchema(ModelSchema):
    __model__ = AnnotationImportSessionCondition

    condition = fields.String(data_key="condition", required=True)
    status = fields.String(data_key="status", required=True)
    last_transition_time = StrictNumber(data_key="lastTransitionTime", required=True)
    reason = fields.String(data_key="reason", load_default=None, allow_none=True)
    message = fields.String(data_key="message", load_default=None, allow_none=True)


class AnnotationFileStatus(Model):
    _repr_fields = ("page_count", "total_size_bytes")

    page_count: int
    total_size_bytes: int
    status_count: Dict[str, int]


class AnnotationFileStatusSchema(ModelSchema):
    __model__ = AnnotationFileStatus

    page_count = StrictInt(data_key="pageCount", required=True)
    total_size_bytes = StrictInt(data_key="totalSizeBytes", required=True)
    status_count = fields.Dict(
        keys=fields.String(), values=StrictInt(), data_key="statusCount", required=True
    )


class AnnotationStatus(Model):
    _repr_fields = ("status_count",)

    status_count: Dict[str, int]


class AnnotationStatusSchema(ModelSchema):
    __model__ = AnnotationStatus

    status_count = fields.Dict(
        keys=fields.String(), values=StrictInt(), data_key="statusCount", required=True
    )


class AnnotationImportSessionStatus(Model):
    _repr_fields = ("conditions",)

    conditions: List[AnnotationImportSessionCondition]
    files: AnnotationFileStatus
    annotations: AnnotationStatus
    reason: Optional[str]


class AnnotationImportSessionStatusSchema(ModelSchema):
    __model__ = AnnotationImportSessionStatus

    conditions = nested_list(AnnotationImportSessionConditionSchema(), data_key="conditions", required=True)
    files = nested(AnnotationFileStatusSchema(), data_key="files", required=True)
    annotations = nested(AnnotationStatusSchema(), data_key="annotations", required=True)
    reason = fields.String(data_key="reason", load_default=None, allow_none=True)


class AnnotationImportSession(Model):
    _repr_fields = ("annotation_import_session_id", "dataset_id")

    user: str
    organization_id: str
    dataset_id: str
    annotation_import_session_id: str
    self_link: str
    etag: str
    metadata: ResourceMetadata
    spec: AnnotationImportSpec
    status: AnnotationImportSessionStatus

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AnnotationImportSessionSchema(TaggedModelSchema):
    __model__ = AnnotationImportSession
    __kind__ = "AnnotationImportSession"

    user = fields.String(data_key="user", required=True)
    organization_id = IdField("workspaceId")
    dataset_id = IdField("datasetId")
    annotation_import_session_id = IdField("annotationImportSessionId")
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    spec = nested(AnnotationImportSpecSchema(), data_key="spec", required=True)
    status = nested(AnnotationImportSessionStatusSchema(), data_key="status", required=True)


class AnnotationImportFileUploadUrl(Model):
    """Where to send one annotation file; the repr leaves the signed URL out."""

    _repr_fields = ("method",)

    method: str
    url: str
    headers: Dict[str, str]


class AnnotationImportFileUploadUrlSchema(ModelSchema):
    __model__ = AnnotationImportFileUploadUrl

    method = fields.String(data_key="method", required=True)
    url = fields.String(data_key="url", required=True)
    headers = fields.Dict(keys=fields.String(), values=fields.String(), data_key="headers", required=True)


class AnnotationImportFilesResponse(Model):
    """Upload URLs keyed by the basenames that were registered."""

    _repr_fields = ("files",)

    files: Dict[str, AnnotationImportFileUploadUrl]


class AnnotationImportFilesResponseSchema(ModelSchema):
    __model__ = AnnotationImportFilesResponse

    files = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(AnnotationImportFileUploadUrlSchema()),
        data_key="files",
        required=True,
    )


_ASSET_INGESTION_SESSION = AssetIngestionSessionSchema()
_MULTIPART_UPLOAD = MultipartUploadSchema()
_PART_SIGNED_URL = PartSignedUrlSchema()
_ANNOTATION_IMPORT_SESSION = AnnotationImportSessionSchema()
_ANNOTATION_IMPORT_FILES = AnnotationImportFilesResponseSchema()
