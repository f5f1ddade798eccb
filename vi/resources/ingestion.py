"""The documents of the upload workflows: asset ingestion sessions,
multipart uploads and their part URLs, annotation import sessions and their file URLs.

The workflows themselves (reading files, checksums, storage PUTs) belong to ``vi.transfers``;
these are the typed answers of the API calls ``client.assets`` and ``client.annotations`` make.

Enum-like fields (``failureMode``, ``onAssetOverwritten``, ingestion error codes, failure
policies, condition reasons) are plain strings: the service already answers with spellings the
official client refuses (``KeepLinkedResources``), and new values must not break
a poll in the middle of an upload.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

from marshmallow import fields

from .. import fields as f
from ..checks import check_choice, check_id, check_optional_str, check_str
from ..documents import Document, strip_org_prefix
from ..errors import ViInvalidParameterError
from ..fields import StrictInt, TaggedUnion
from ..waiters import DEFAULT_POLL_INTERVAL
from .embedded import (
    Contents,
    ResourceCondition,
    ResourceMetadata,
    condition_list,
    resource_metadata,
)

if TYPE_CHECKING:  # pragma: no cover
    pass
from ._base import DEFAULT_ASSET_SOURCE, AssetSourceArg, Resource, verb

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
#: answers with the plural one; both are accepted here.
RETENTION_MODES = ("RemoveLinkedResource", "KeepLinkedResource", "KeepLinkedResources")


# -- asset ingestion sessions ---------------------------------------------------------
class UploadedAssetMetadata(Document):
    """One file announced to an ingestion session (``crc32c`` is signed 32-bit)."""

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


# -- multipart uploads ---------------------------------------------------------------
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


# -- annotation import sessions --------------------------------------------------------
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


class AssetIngestionCalls(Resource):
    """The typed calls under ``assets.upload``: ingestion sessions and multipart uploads.
    Methods of ``client.assets`` (:class:`vi.resources.Assets` inherits them)."""

    # -- ingestion sessions: the calls under assets.upload ------------------------
    def create_ingestion_session(
        self,
        dataset_id: str,
        assets: Sequence[Union[UploadedAssetMetadata, Mapping[str, Any]]],
        failure_mode: str = "FailAfterOne",
        on_asset_overwritten: str = "RemoveLinkedResource",
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> AssetIngestionSession:
        """Announce files to upload; the answer's ``status.assets`` says where to PUT each.

        ``assets`` are :class:`~vi.resources.UploadedAssetMetadata` or dicts with ``filename``,
        ``mime``, ``size``, ``kind`` (``Image``/``Video``) and optionally ``crc32c`` (signed
        32-bit) and ``custom_metadata``/``customMetadata``. Every key goes on the wire, unset
        ones as ``null``. A low-level call: ``assets.upload`` (transfers) builds on it."""
        check_choice("failure_mode", failure_mode, FAILURE_MODES)
        check_choice("on_asset_overwritten", on_asset_overwritten, RETENTION_MODES)
        specs = _asset_specs(assets)
        path = self._src(dataset_id, source, "assetIngestionSessions")
        body = {
            "spec": {
                "assets": specs,
                "kind": "Upload",
                "failureMode": getattr(failure_mode, "value", failure_mode),
                "onAssetOverwritten": getattr(on_asset_overwritten, "value", on_asset_overwritten),
            }
        }
        return self._get_one(path, AssetIngestionSession, "asset ingestion session", method="POST", json=body)

    def get_ingestion_session(
        self,
        dataset_id: str,
        asset_ingestion_session_id: str,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> AssetIngestionSession:
        """One ingestion session, typed (``asset_sources.get_ingestion_session`` gives the dict)."""
        sid = check_id("asset_ingestion_session_id", asset_ingestion_session_id)
        path = self._src(dataset_id, source, "assetIngestionSessions", sid)
        return self._get_one(path, AssetIngestionSession, "asset ingestion session")

    def cancel_ingestion_session(
        self,
        dataset_id: str,
        asset_ingestion_session_id: str,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> Dict[str, Any]:
        """Cancel an ingestion session (body-less POST); the answer as a dict."""
        sid = check_id("asset_ingestion_session_id", asset_ingestion_session_id)
        path = self._src(dataset_id, source, "assetIngestionSessions", verb(sid, "cancel"))
        return self._get_dict(path, "ingestion session cancellation", method="POST", wrap=True)

    def wait_until_done(
        self,
        dataset_id: str,
        asset_ingestion_session_id: str,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> AssetIngestionSession:
        """Poll an ingestion session until a ``Finished`` condition is ``Reached``.

        A ``FailedReach`` condition raises ``ViOperationError``; ``timeout`` seconds without
        finishing raise ``ViTimeoutError`` (the official waiter has no timeout)."""
        sid = check_id("asset_ingestion_session_id", asset_ingestion_session_id)
        self._src(dataset_id, source)  # validate before the first poll
        return self._wait(
            lambda: self.get_ingestion_session(dataset_id, sid, source=source),
            lambda s: s.status.conditions,
            "asset ingestion session %s" % sid,
            timeout=timeout,
            poll_interval=poll_interval,
            finished_condition="Finished",
        )

    # -- multipart uploads, for files of 1 GiB and more -------------------------
    def create_multipart_upload(
        self,
        dataset_id: str,
        ingestion_id: str,
        filename: str,
        size_bytes: int,
        content_type: Optional[str] = None,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> MultipartUpload:
        """Start a multipart upload for one file of an ingestion session; the server
        picks ``status.part_count``. ``ingestion_id`` is the session's ``ingestion_id``."""
        check_id("ingestion_id", ingestion_id)
        check_str("filename", filename, allow_empty=False)
        _check_size("size_bytes", size_bytes)
        check_optional_str("content_type", content_type)
        path = self._src(dataset_id, source, "multipartUploads")
        body = {
            "spec": {
                "ingestionId": ingestion_id,
                "filename": filename,
                "contentType": content_type,
                "sizeBytes": size_bytes,
            }
        }
        return self._get_one(path, MultipartUpload, "multipart upload", method="POST", json=body)

    def get_multipart_part_url(
        self,
        dataset_id: str,
        multipart_upload_id: str,
        part_number: int,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> PartSignedUrl:
        """Where to send part ``part_number`` (1-based) (body ``{}``)."""
        path = self._part_path(dataset_id, multipart_upload_id, part_number, source)
        return self._get_one(path, PartSignedUrl, "part signed URL", method="POST", json={})

    def complete_multipart_part(
        self,
        dataset_id: str,
        multipart_upload_id: str,
        part_number: int,
        response_headers: Mapping[str, str],
        response_body: Optional[bytes] = None,
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> None:
        """Report one uploaded part: echo the storage response headers the part URL named
        (``PartSignedUrl.response_headers``) and, when it asked for it, the response body, which
        is sent base64-encoded (omitted when ``None`` or empty)."""
        headers = _check_header_map("response_headers", response_headers)
        if response_body is not None and not isinstance(response_body, (bytes, bytearray)):
            raise ViInvalidParameterError(
                "response_body", "response_body must be bytes or None, got %s" % type(response_body).__name__
            )
        path = self._part_path(dataset_id, multipart_upload_id, part_number, source, "completion")
        body: Dict[str, Any] = {"responseHeaders": headers}
        if response_body:
            body["responseBody"] = base64.b64encode(bytes(response_body)).decode("ascii")
        self._call_ignoring_body("POST", path, json=body)

    def complete_multipart_upload(
        self, dataset_id: str, multipart_upload_id: str, *, source: AssetSourceArg = DEFAULT_ASSET_SOURCE
    ) -> None:
        """Finish a multipart upload once every part is reported (body-less POST)."""
        mpu = check_id("multipart_upload_id", multipart_upload_id)
        self._call_ignoring_body("POST", self._src(dataset_id, source, "multipartUploads", mpu, "completion"))

    def abort_multipart_upload(
        self, dataset_id: str, multipart_upload_id: str, *, source: AssetSourceArg = DEFAULT_ASSET_SOURCE
    ) -> None:
        """Abandon a multipart upload."""
        mpu = check_id("multipart_upload_id", multipart_upload_id)
        self._call_ignoring_body("DELETE", self._src(dataset_id, source, "multipartUploads", mpu))

    def _part_path(
        self, dataset_id: str, multipart_upload_id: str, part_number: int, source: AssetSourceArg, *rest: str
    ) -> str:
        mpu = check_id("multipart_upload_id", multipart_upload_id)
        if isinstance(part_number, bool) or not isinstance(part_number, int) or part_number < 1:
            raise ViInvalidParameterError(
                "part_number", "part_number must be an integer >= 1, got %r" % (part_number,)
            )
        return self._src(dataset_id, source, "multipartUploads", mpu, "parts", str(part_number), *rest)


_ASSET_SPEC_KEYS = {
    "filename": "filename",
    "mime": "mime",
    "size": "size",
    "crc32c": "crc32c",
    "custom_metadata": "customMetadata",
    "customMetadata": "customMetadata",
    "kind": "kind",
}


def _asset_specs(assets: Any) -> List[Dict[str, Any]]:
    """Ingestion-session file specs in wire order, every key present."""
    if isinstance(assets, (str, bytes)) or not isinstance(assets, Sequence):
        raise ViInvalidParameterError("assets", "assets must be a list, got %s" % type(assets).__name__)
    out = []
    for index, item in enumerate(assets):
        name = "assets[%d]" % index
        if isinstance(item, UploadedAssetMetadata):
            values: Dict[str, Any] = {
                "filename": item.filename,
                "mime": item.mime,
                "size": item.size,
                "crc32c": item.crc32c,
                "customMetadata": item.custom_metadata,
                "kind": item.kind,
            }
        elif isinstance(item, Mapping):
            unknown = sorted(str(k) for k in item if k not in _ASSET_SPEC_KEYS)
            if unknown:
                raise ViInvalidParameterError(name, "%s has unknown keys: %s" % (name, ", ".join(unknown)))
            values = {_ASSET_SPEC_KEYS[k]: v for k, v in item.items()}
        else:
            raise ViInvalidParameterError(
                name, "%s must be an UploadedAssetMetadata or a dict, got %s" % (name, type(item).__name__)
            )
        for key in ("filename", "mime", "kind"):
            check_str("%s.%s" % (name, key), values.get(key), allow_empty=False)
        _check_size("%s.size" % name, values.get("size"))
        crc = values.get("crc32c")
        if crc is not None and (
            isinstance(crc, bool) or not isinstance(crc, int) or not -(2**31) <= crc < 2**31
        ):
            raise ViInvalidParameterError(
                name + ".crc32c", "%s.crc32c must be a signed 32-bit integer or None, got %r" % (name, crc)
            )
        custom = values.get("customMetadata")
        if custom is not None and not (
            isinstance(custom, Mapping)
            and all(isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in custom.items())
        ):
            raise ViInvalidParameterError(
                name + ".custom_metadata",
                "%s.custom_metadata must map strings to str/int/float/bool values" % name,
            )
        out.append(
            {
                "filename": values["filename"],
                "mime": values["mime"],
                "size": values["size"],
                "crc32c": crc,
                "customMetadata": None if custom is None else dict(custom),
                "kind": values["kind"],
            }
        )
    return out


def _check_size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ViInvalidParameterError(name, "%s must be a non-negative integer, got %r" % (name, value))
    return value


def _check_header_map(name: str, value: Any) -> Dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ViInvalidParameterError(name, "%s must map header names to string values" % name)
    return dict(value)
