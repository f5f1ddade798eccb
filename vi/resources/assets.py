"""Assets (PROTOCOL §7.3): the files of a dataset and their metadata.

Listing keeps every filter on every page (the official client loses them after page 1,
PROTOCOL §16.14), because the continuation re-sends the query built here, not the kwargs.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from marshmallow import fields

from .. import fields as f
from ..checks import check_choice, check_id, check_optional_bool, check_optional_str, check_str
from ..documents import Document, strip_org_prefix
from ..errors import ViInvalidParameterError, ViResponseError, ViValidationError
from ..fields import StrictInt
from ..pagination import Page, PaginationArg, PaginationParams
from ..waiters import DEFAULT_POLL_INTERVAL
from .bodies import filter_text
from .embedded import Contents

if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.uploads import AssetUploadResult
from ._base import DEFAULT_ASSET_SOURCE, AssetSourceArg, DeletedResource, Resource, query_bool, query_yn, verb
from .uploads import (
    FAILURE_MODES,
    RETENTION_MODES,
    AssetIngestionSession,
    MultipartUpload,
    PartSignedUrl,
    UploadedAssetMetadata,
)

__all__ = [
    "Asset",
    "AssetMetadata",
    "AssetGenerations",
    "AssetAnnotations",
    "AssetDimensions",
    "AssetPixelRatio",
    "AssetHash",
    "AssetContents",
    "Contents",
    "AssetSortCriterion",
    "DeletedResource",
    "Assets",
    "SORT_CRITERIA",
    "SORT_ORDERS",
]

#: ``sortBy`` values the service knows (PROTOCOL §7.3.1).
SORT_CRITERIA = ("default", "assetId", "filename", "lastModified.contents", "metadata.fileSize")
#: ``o`` values for assets (folders use ``a``/``d``; assets do not).
SORT_ORDERS = ("asc", "desc")


if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.downloads import AssetDownloadResult


class AssetGenerations(Document):
    _repr_fields = ("asset",)

    asset: str = f.string()
    thumbnail: str = f.string()


class AssetAnnotations(Document):
    _repr_fields = ("total",)

    with_tag: Dict[str, int] = f.dict_of(StrictInt())
    total: int = f.integer()


class AssetDimensions(Document):
    _repr_fields = ("width", "height", "depth")

    height: int = f.integer()
    width: int = f.integer()
    depth: Optional[int] = f.integer(optional=True)


class AssetPixelRatio(Document):
    _repr_fields = ("width", "height", "depth")

    height: int = f.integer()
    width: int = f.integer()
    depth: Optional[int] = f.integer(optional=True)


class AssetHash(Document):
    _repr_fields = ("algorithm", "contents")

    algorithm: str = f.string()
    contents: str = f.string()


class AssetMetadata(Document):
    _repr_fields = ("mime_type", "width", "height")

    generations: AssetGenerations = f.nested(AssetGenerations)
    inserted_by: str = f.string()
    annotations: AssetAnnotations = f.nested(AssetAnnotations)
    frames: int = f.integer()
    cohorts: List[str] = f.list_of(fields.String())
    file_size: int = f.integer()
    height: int = f.integer()
    width: int = f.integer()
    mime_type: str = f.string()
    source: str = f.string()
    status: str = f.string()
    upload_status: str = f.string()
    visibility: str = f.string()
    user_defined: Dict[str, Any] = f.dict_of()
    custom_metadata: Dict[str, Union[str, int, float, bool]] = f.dict_of(fields.Raw())
    dimensions: AssetDimensions = f.nested(AssetDimensions)
    pixel_ratio: AssetPixelRatio = f.nested(AssetPixelRatio)
    comments: int = f.integer()
    custom_metadata_count: int = f.integer()
    hash: AssetHash = f.nested(AssetHash)
    contents_from: str = f.string()
    frames_change: Dict[str, int] = f.dict_of(StrictInt())
    time_created: int = f.integer()
    last_updated: int = f.integer()
    contents_last_updated: int = f.integer()


class AssetContents(Document):
    _repr_fields = ("asset", "thumbnail")

    asset: Optional[Contents] = f.nested(Contents, optional=True)
    thumbnail: Optional[Contents] = f.nested(Contents, optional=True)


class Asset(Document):
    _repr_fields = ("asset_id", "filename")

    asset_id: str = f.identifier()
    dataset_id: str = f.identifier()
    organization_id: str = f.identifier("workspaceId")
    filename: str = f.string()
    kind: str = f.string()
    owner: str = f.string()
    metadata: AssetMetadata = f.nested(AssetMetadata)
    self_link: str = f.string()
    etag: str = f.string()
    contents: Optional[AssetContents] = f.nested(AssetContents, optional=True)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AssetSortCriterion:
    """How ``assets.list`` orders its results: ``criterion`` → ``sortBy``, ``order`` → ``o``."""

    __slots__ = ("criterion", "order")

    def __init__(self, criterion: str = "default", order: str = "asc") -> None:
        self.criterion = check_choice("sort_by.criterion", criterion, SORT_CRITERIA)
        self.order = check_choice("sort_by.order", order, SORT_ORDERS)

    @classmethod
    def coerce(cls, value: Union["AssetSortCriterion", Mapping[str, Any]]) -> "AssetSortCriterion":
        """Accept the object or ``{"criterion": …, "order": …}`` (the official client's dict
        form always fails, PROTOCOL §16.16; here it works)."""
        if isinstance(value, AssetSortCriterion):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in ("criterion", "order"))
            if unknown:
                raise ViInvalidParameterError(
                    "sort_by",
                    "sort_by accepts only the keys 'criterion' and 'order', got %s"
                    % ", ".join(repr(k) for k in unknown),
                )
            if "criterion" not in value:
                raise ViInvalidParameterError("sort_by", "sort_by needs a 'criterion'")
            return cls(value["criterion"], value.get("order", "asc"))
        raise ViInvalidParameterError(
            "sort_by",
            "sort_by must be an AssetSortCriterion or a dict, got %s" % type(value).__name__,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetSortCriterion):
            return NotImplemented
        return (self.criterion, self.order) == (other.criterion, other.order)

    def __repr__(self) -> str:
        return "AssetSortCriterion(criterion=%r, order=%r)" % (self.criterion, self.order)


class Assets(Resource):
    """``client.assets``: call it with a dataset id to walk every asset of that dataset."""

    def list(
        self,
        dataset_id: str,
        pagination: PaginationArg = None,
        filter_criteria: Union[str, Mapping[str, Any], None] = None,
        contents: Optional[bool] = None,
        sort_by: Union[AssetSortCriterion, Mapping[str, Any], None] = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict_query: Optional[bool] = None,
        page_after: Optional[bool] = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Asset]:
        """The first page of a dataset's assets (A1); later pages re-send the same query.

        ``filter_criteria`` may be the service's filter string, or a dict, which is sent as
        compact JSON text (see :func:`~vi.resources.common.filter_text` for why not Python ``repr``). ``contents``
        asks for pre-signed URLs in ``Asset.contents``. Booleans follow the typed-list
        encoding: ``y`` when true, omitted otherwise."""
        path = self._ds(dataset_id, "assets")
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        sort = None if sort_by is None else AssetSortCriterion.coerce(sort_by)
        query: Dict[str, Any] = {}
        if sort is not None:
            query["o"] = sort.order
            query["sortBy"] = sort.criterion
        query["filter"] = filter_text(filter_criteria)
        query["contents"] = query_bool(check_optional_bool("contents", contents))
        query["metadataQuery"] = check_optional_str("metadata_query", metadata_query)
        query["ruleQuery"] = check_optional_str("rule_query", rule_query)
        query["pageAfter"] = query_bool(check_optional_bool("page_after", page_after))
        query["strictQuery"] = query_bool(check_optional_bool("strict_query", strict_query))
        return self._list(
            path,
            Asset,
            "asset",
            page_size=paging.page_size,
            page_token=paging.page_token,
            params={k: v for k, v in query.items() if v is not None},
        )

    def upload(
        self,
        dataset_id: str,
        paths: Any = None,
        assets_bytes: Optional[Sequence[Any]] = None,
        *,
        pattern: str = "*",
        recursive: bool = True,
        relative_names: bool = False,
        failure_mode: str = "FailAfterOne",
        on_asset_overwritten: str = "RemoveLinkedResource",
        max_workers: int = 8,
        wait: bool = True,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        raise_on_failure: bool = False,
        resume: Any = None,
        show_progress: bool = False,
        progress: Any = None,
        multipart_threshold: Optional[int] = None,
    ) -> "AssetUploadResult":
        """Upload files, folders (``pattern``, ``recursive``) or ``(name, bytes)`` pairs (§9.1).

        Unlike the official client, a file that fails is reported in ``result.failed`` with its
        reason (or raised as ``ViUploadError`` with ``raise_on_failure=True``), and ``resume=``
        names a manifest so that a rerun skips what already arrived. See ``docs/transfers``."""
        options: Dict[str, Any] = {}
        if multipart_threshold is not None:
            options["multipart_threshold"] = multipart_threshold
        return self._workflows().upload_assets(
            self,
            dataset_id,
            paths,
            assets_bytes,
            pattern=pattern,
            recursive=recursive,
            relative_names=relative_names,
            failure_mode=failure_mode,
            on_asset_overwritten=on_asset_overwritten,
            max_workers=max_workers,
            wait=wait,
            timeout=timeout,
            poll_interval=poll_interval,
            raise_on_failure=raise_on_failure,
            resume=resume,
            show_progress=show_progress,
            progress=progress,
            **options,
        )

    def download(
        self,
        dataset_id: str,
        save_dir: Any = "~/.datature/vi/assets",
        overwrite: bool = False,
        show_progress: bool = True,
        *,
        max_workers: int = 8,
        progress: Any = None,
        raise_on_failure: bool = False,
    ) -> "AssetDownloadResult":
        """Download every asset of a dataset (every page, unlike the official client) into
        ``save_dir/<dataset_id>``: names sanitised, collisions kept, files written atomically and
        verified, identical files skipped, failures reported per file. See ``docs/transfers``."""
        return self._workflows().download_assets(
            self,
            dataset_id,
            save_dir,
            overwrite=overwrite,
            max_workers=max_workers,
            show_progress=show_progress,
            progress=progress,
            raise_on_failure=raise_on_failure,
        )

    def get(self, dataset_id: str, asset_id: str, contents: Optional[bool] = None) -> Asset:
        """One asset (A2); ``contents=True`` includes pre-signed URLs to fetch it."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id))
        flag = query_bool(check_optional_bool("contents", contents))
        params = {"contents": flag} if flag else None
        return self._get_one(path, Asset, "asset", params=params)

    def delete(self, dataset_id: str, asset_id: str) -> DeletedResource:
        """Delete one asset (A3). Returns ``DeletedResource(id=asset_id)``; unlike the official
        client, a non-empty success body is not an error."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id))
        return self._delete(path, asset_id)

    def count(
        self,
        dataset_id: str,
        filter_criteria: Union[str, Mapping[str, Any], None] = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict_query: Optional[bool] = None,
    ) -> int:
        """How many assets match (A4). Filters as in :meth:`list`, except that ``strict_query``
        is sent as ``y``/``n`` here, as the official client does. The answer may be
        ``{"count": n}`` or a bare integer."""
        path = self._ds(dataset_id, verb("assets", "count"))
        query = {
            "filter": filter_text(filter_criteria),
            "metadataQuery": check_optional_str("metadata_query", metadata_query),
            "ruleQuery": check_optional_str("rule_query", rule_query),
            "strictQuery": query_yn(check_optional_bool("strict_query", strict_query)),
        }
        body = self._call("GET", path, params={k: v for k, v in query.items() if v is not None})
        value = body.get("count") if isinstance(body, dict) else body
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ViResponseError("Malformed asset count in response: expected a non-negative integer")
        return value

    def rename(
        self,
        dataset_id: str,
        new_name: str,
        asset_id: Optional[str] = None,
        filename: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Rename an asset, found by id (A5) or by its current file name (A6); exactly one of
        the two. The body is ``{"filename": new_name}``. The file name is percent-encoded as one
        path segment (the official client inserts it raw, so ``?``, ``#`` or ``/`` break the
        URL). A non-object answer is wrapped as ``{"data": …}``."""
        check_str("new_name", new_name, allow_empty=False)
        if (asset_id is None) == (filename is None):
            raise ViValidationError(
                "Pass exactly one of asset_id or filename", details={"parameter": "asset_id"}
            )
        if asset_id is not None:
            path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id), "name")
        else:
            name = check_str("filename", filename, allow_empty=False)
            if name in (".", ".."):
                raise ViInvalidParameterError("filename", "filename must not be '.' or '..'")
            path = self._ds(dataset_id, "assetFiles", name, "name")
        return self._get_dict(path, "asset rename", method="POST", json={"filename": new_name}, wrap=True)

    # -- ingestion sessions (A7-A9): the calls under assets.upload ------------------------
    def create_ingestion_session(
        self,
        dataset_id: str,
        assets: Sequence[Union[UploadedAssetMetadata, Mapping[str, Any]]],
        failure_mode: str = "FailAfterOne",
        on_asset_overwritten: str = "RemoveLinkedResource",
        *,
        source: AssetSourceArg = DEFAULT_ASSET_SOURCE,
    ) -> AssetIngestionSession:
        """Announce files to upload (A7); the answer's ``status.assets`` says where to PUT each.

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
        """One ingestion session (A8), typed (``asset_sources.get_ingestion_session`` gives the dict)."""
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
        """Cancel an ingestion session (A9, body-less POST); the answer as a dict."""
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
        """Poll an ingestion session (A8) until a ``Finished`` condition is ``Reached``.

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

    # -- multipart uploads (A10-A14), for files of 1 GiB and more -------------------------
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
        """Start a multipart upload for one file of an ingestion session (A10); the server
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
        """Where to send part ``part_number`` (1-based) (A11, body ``{}``)."""
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
        """Report one uploaded part (A12): echo the storage response headers the part URL named
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
        """Finish a multipart upload once every part is reported (A13, body-less POST)."""
        mpu = check_id("multipart_upload_id", multipart_upload_id)
        self._call_ignoring_body("POST", self._src(dataset_id, source, "multipartUploads", mpu, "completion"))

    def abort_multipart_upload(
        self, dataset_id: str, multipart_upload_id: str, *, source: AssetSourceArg = DEFAULT_ASSET_SOURCE
    ) -> None:
        """Abandon a multipart upload (A14)."""
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

    def __call__(
        self,
        dataset_id: str,
        pagination: PaginationArg = None,
        filter_criteria: Union[str, Mapping[str, Any], None] = None,
        contents: Optional[bool] = None,
        sort_by: Union[AssetSortCriterion, Mapping[str, Any], None] = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict_query: Optional[bool] = None,
        page_after: Optional[bool] = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Iterator[Asset]:
        """Every asset of a dataset, across pages: ``client.assets(dsid, contents=True)``.

        Arguments are checked and the first page fetched now; later pages as you iterate."""
        return self.list(
            dataset_id,
            pagination,
            filter_criteria,
            contents,
            sort_by,
            metadata_query,
            rule_query,
            strict_query,
            page_after,
            page_size=page_size,
            page_token=page_token,
        ).all_items()

    def __iter__(self) -> Iterator[Asset]:
        raise TypeError("client.assets needs a dataset id: iterate client.assets(dataset_id) instead")


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
    """Ingestion-session file specs in wire order, every key present (PROTOCOL §9.1)."""
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
