"""Annotations, addressed under their asset.

``Annotation.spec.contents`` is a union tagged by ``kind``: a :class:`Caption` or a
:class:`PhraseGroundingBoundingBox`. A kind this version does not know stays a plain ``dict``
(the service may add annotation types; one new type must not break a whole listing).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields, validate

from .. import fields as f
from ..checks import (
    check_body,
    check_choice,
    check_id,
    check_optional_int,
    check_optional_str,
    check_str,
    check_str_dict,
)
from ..documents import Document, strip_org_prefix
from ..errors import ViInvalidParameterError
from ..fields import StrictInt, StrictNumber
from ..pagination import Page, PaginationArg, PaginationParams
from ..waiters import DEFAULT_POLL_INTERVAL
from .embedded import ResourceMetadata, resource_metadata

if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.uploads import AnnotationUploadResult
from ._base import DeletedResource, Resource, wait_argument
from .ingestion import (
    AnnotationImportFilesResponse,
    AnnotationImportSession,
)

__all__ = [
    "Annotation",
    "AnnotationSpec",
    "AnnotationAggregation",
    "AnnotationContents",
    "Whole",
    "ThisPart",
    "Caption",
    "PhraseGroundingBoundingBox",
    "Annotations",
    "FAILURE_POLICIES",
    "IMPORT_CONDITION_STATUSES",
]

#: ``failure_policies`` values of an annotation import session.
FAILURE_POLICIES = ("Warn", "RejectFile", "RejectSession")
#: Statuses a client may report for an import condition.
IMPORT_CONDITION_STATUSES = ("Waiting", "Reached", "FailedReach")
#: How long an import session accepts uploads, as the official uploader sets it (55 minutes).
DEFAULT_UPLOAD_WINDOW_MS = 3300 * 1000


if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.downloads import DatasetDownloadResult


class Caption(Document, kind="Caption"):
    """The caption text that bounding boxes point into by character span."""

    KIND = "Caption"
    _repr_fields = ("contents",)

    contents: str = f.string(default="")

    @property
    def kind(self) -> str:
        return self.KIND


class PhraseGroundingBoundingBox(Document, kind="PhraseGroundingBoundingBox"):
    """A box (four ``[x, y]`` corners) grounding the phrase at ``target`` = ``[start, end]``."""

    KIND = "PhraseGroundingBoundingBox"
    _repr_fields = ("target", "bound")

    bound: List[List[float]] = f.list_of(fields.List(StrictNumber()))
    target: List[int] = f.list_of(StrictInt(), validate=validate.Length(equal=2))

    @property
    def kind(self) -> str:
        return self.KIND


#: What ``AnnotationSpec.contents`` holds: a known model, or the raw dict of an unknown kind.
AnnotationContents = Union[Caption, PhraseGroundingBoundingBox, Dict[str, Any]]


class Whole(Document):
    _repr_fields = ("id",)

    id: str = f.string()


class ThisPart(Document):
    _repr_fields = ("role",)

    role: str = f.string()


class AnnotationAggregation(Document):
    """Groups the parts (caption, boxes) of one phrase-grounding annotation."""

    _repr_fields = ("whole", "this_part")

    whole: Whole = f.nested(Whole)
    this_part: ThisPart = f.nested(ThisPart)


class AnnotationSpec(Document):
    _repr_fields = ("bound_type", "tag")

    bound_type: str = f.string()
    tag: int = f.integer()
    aggregation: AnnotationAggregation = f.nested(AnnotationAggregation)
    contents: AnnotationContents = f.union(
        {"Caption": Caption, "PhraseGroundingBoundingBox": PhraseGroundingBoundingBox}
    )


class Annotation(Document, kind="Annotation"):
    _repr_fields = ("annotation_id", "asset_id")

    annotation_id: str = f.identifier()
    asset_id: str = f.identifier()
    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    spec: AnnotationSpec = f.nested(AnnotationSpec)
    metadata: ResourceMetadata = resource_metadata()
    self_link: str = f.string()
    etag: str = f.string()

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Annotations(Resource):
    """``client.annotations``: call it with dataset and asset ids to walk every annotation."""

    def list(
        self,
        dataset_id: str,
        asset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Annotation]:
        """The first page of an asset's annotations. ``asset_id`` may be passed by
        position or keyword; both spellings appear in the resource-management guide."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id), "annotations")
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            path,
            Annotation,
            "annotation",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def upload(
        self,
        dataset_id: str,
        paths: Any,
        *,
        pattern: str = "*",
        recursive: bool = True,
        kind: str = "Unknown",
        failure_policies: Optional[Mapping[str, str]] = None,
        upload_before: Optional[int] = None,
        max_workers: int = 8,
        wait: Optional[bool] = None,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        raise_on_failure: bool = False,
        show_progress: bool = False,
        progress: Any = None,
        wait_until_done: Optional[bool] = None,
    ) -> "AnnotationUploadResult":
        """Import annotation files through one import session: register, upload, mark
        ``FilesInserted``, then (``wait``) poll until every condition is reached, at most
        ``timeout`` seconds. Failed files are reported, never swallowed. ``wait`` (default True)
        may be spelled ``wait_until_done`` as in the official client. See ``docs/transfers``."""
        return self._workflows().upload_annotations(
            self,
            dataset_id,
            paths,
            pattern=pattern,
            recursive=recursive,
            kind=kind,
            failure_policies=failure_policies,
            upload_before=upload_before,
            max_workers=max_workers,
            wait=wait_argument(wait, wait_until_done),
            timeout=timeout,
            poll_interval=poll_interval,
            raise_on_failure=raise_on_failure,
            show_progress=show_progress,
            progress=progress,
        )

    def download(
        self,
        dataset_id: str,
        dataset_export_id: Optional[str] = None,
        save_dir: Any = "~/.datature/vi/datasets",
        overwrite: bool = False,
        show_progress: bool = True,
        *,
        export_settings: Any = None,
        export_format: Optional[str] = None,
        export_id: Optional[str] = None,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        progress: Any = None,
    ) -> "DatasetDownloadResult":
        """Export and download the annotations of a dataset in an annotations-only format
        (checked before any export is created).

        As in the official client, the second argument is an existing export
        (``dataset_export_id``, downloaded in its own format); ``export_settings=`` or
        ``export_format=`` (default ``ViJsonl``, the short form of
        ``export_settings={"format": ...}``) describe a new one. A format name in second place
        (this method's earlier order) is read as ``export_format``. ``export_settings`` is
        keyword-only here (the official client takes it third, where this method takes
        ``save_dir``): settings passed in that place are refused with a clear error."""
        from .datasets import Datasets  # the annotations of a dataset come as an export of it

        if isinstance(save_dir, Mapping) or type(save_dir).__name__ == "DatasetExportSettings":
            raise ViInvalidParameterError(
                "save_dir",
                "The third argument of annotations.download is save_dir; pass export settings as "
                "export_settings=... (the official client takes them third)",
            )

        if dataset_export_id is not None and _is_annotation_format(dataset_export_id):
            if export_format is not None:
                raise ViInvalidParameterError(
                    "dataset_export_id",
                    "%r is an export format; export_format= is given too" % dataset_export_id,
                )
            dataset_export_id, export_format = None, dataset_export_id
        if dataset_export_id is not None and export_id is not None and dataset_export_id != export_id:
            raise ViInvalidParameterError(
                "export_id", "dataset_export_id and export_id name different exports"
            )
        existing = dataset_export_id if dataset_export_id is not None else export_id
        datasets = Datasets(self._requester, self._transfers)
        if export_settings is not None or existing is not None:
            if export_settings is not None and export_format is not None:
                raise ViInvalidParameterError(
                    "export_format", "Pass export_settings or export_format, not both"
                )
            return self._workflows().download_dataset(
                datasets,
                dataset_id,
                export_id=existing,
                annotations_only=True,
                export_settings=export_settings
                if export_settings is not None
                else {"format": export_format or "ViJsonl"},
                save_dir=save_dir,
                overwrite=overwrite,
                timeout=timeout,
                poll_interval=poll_interval,
                show_progress=show_progress,
                progress=progress,
            )
        return self._workflows().download_annotations(
            datasets,
            dataset_id,
            export_format=export_format or "ViJsonl",
            save_dir=save_dir,
            overwrite=overwrite,
            timeout=timeout,
            poll_interval=poll_interval,
            show_progress=show_progress,
            progress=progress,
        )

    def get(self, dataset_id: str, asset_id: str, annotation_id: str) -> Annotation:
        """One annotation; unlike the official client, ``asset_id`` is validated too."""
        path = self._ds(
            dataset_id,
            "assets",
            check_id("asset_id", asset_id),
            "annotations",
            check_id("annotation_id", annotation_id),
        )
        return self._get_one(path, Annotation, "annotation")

    def replace(
        self, dataset_id: str, asset_id: str, annotation_id: str, body: Mapping[str, Any]
    ) -> Annotation:
        """Replace an annotation with ``body`` (a PUT), forwarded verbatim (a full document)."""
        path = self._annotation_path(dataset_id, asset_id, annotation_id)
        payload = check_body("body", body)
        return self._get_one(path, Annotation, "annotation", method="PUT", json=payload)

    def update(
        self, dataset_id: str, asset_id: str, annotation_id: str, body: Mapping[str, Any]
    ) -> Annotation:
        """Patch an annotation with ``body``, forwarded verbatim (a partial document)."""
        path = self._annotation_path(dataset_id, asset_id, annotation_id)
        payload = check_body("body", body)
        return self._get_one(path, Annotation, "annotation", method="PATCH", json=payload)

    def delete(self, dataset_id: str, asset_id: str, annotation_id: str) -> DeletedResource:
        """Delete an annotation; ``DeletedResource(id=annotation_id)``. A non-empty success
        body is accepted (the official client fails on one)."""
        return self._delete(self._annotation_path(dataset_id, asset_id, annotation_id), annotation_id)

    def _annotation_path(self, dataset_id: str, asset_id: str, annotation_id: str) -> str:
        return self._ds(
            dataset_id,
            "assets",
            check_id("asset_id", asset_id),
            "annotations",
            check_id("annotation_id", annotation_id),
        )

    # -- import sessions: the calls under annotations.upload ------------------------
    def create_import_session(
        self,
        dataset_id: str,
        upload_before: Optional[int] = None,
        failure_policies: Optional[Mapping[str, str]] = None,
        source: str = "UploadedIndividualFiles",
        metadata: Optional[Mapping[str, str]] = None,
    ) -> AnnotationImportSession:
        """Open an annotation import session. ``upload_before`` is epoch ms (default: now
        + 55 minutes, as the official uploader); ``failure_policies`` may set any of
        ``on_bad_annotation``, ``on_bad_file``, ``on_overwritten`` (each ``Warn``,
        ``RejectFile`` or ``RejectSession``; default ``RejectSession``). A low-level call:
        ``annotations.upload`` (transfers) builds on it."""
        path = self._ds(dataset_id, "annotationImportSessions")
        deadline = check_optional_int("upload_before", upload_before, minimum=0)
        policies = _failure_policies(failure_policies)
        check_str("source", source, allow_empty=False)
        attributes = {} if metadata is None else check_str_dict("metadata", metadata)
        body = {
            "spec": {
                "uploadBefore": _now_ms() + DEFAULT_UPLOAD_WINDOW_MS if deadline is None else deadline,
                "failurePolicies": policies,
                "source": source,
            },
            "metadata": {"attributes": attributes},
        }
        return self._get_one(
            path, AnnotationImportSession, "annotation import session", method="POST", json=body
        )

    def add_import_files(
        self, dataset_id: str, annotation_import_session_id: str, files: Mapping[str, Mapping[str, Any]]
    ) -> AnnotationImportFilesResponse:
        """Register files with an import session and get their upload URLs.

        ``files`` maps each basename to ``{"sizeBytes": n, "crc32c": "<base64>", "kind":
        "Unknown"}`` (snake_case ``size_bytes`` is accepted too); sent as ``{"files": …}``."""
        path = self._import_path(dataset_id, annotation_import_session_id, "files")
        body = {"files": _import_files(files)}
        return self._get_one(
            path, AnnotationImportFilesResponse, "annotation import files", method="POST", json=body
        )

    def update_import_status(
        self,
        dataset_id: str,
        annotation_import_session_id: str,
        status: str = "Reached",
        condition: str = "FilesInserted",
        reason: Optional[str] = None,
        last_transition_time: Optional[int] = None,
    ) -> AnnotationImportSession:
        """Report the client's side of an import: by default ``FilesInserted`` ``Reached``;
        after a failed upload ``status="FailedReach", reason="UserUploadErrored"`` (or
        ``"CancelledByUser"``). ``last_transition_time`` defaults to now (epoch ms)."""
        path = self._import_path(dataset_id, annotation_import_session_id, "status")
        check_choice("status", status, IMPORT_CONDITION_STATUSES)
        check_str("condition", condition, allow_empty=False)
        check_optional_str("reason", reason)
        when = check_optional_int("last_transition_time", last_transition_time, minimum=0)
        entry: Dict[str, Any] = {
            "condition": condition,
            "status": status,
            "lastTransitionTime": _now_ms() if when is None else when,
        }
        if reason is not None:
            entry["reason"] = reason
        return self._get_one(
            path,
            AnnotationImportSession,
            "annotation import session",
            method="PATCH",
            json={"status": {"conditions": [entry]}},
        )

    def get_import_session(
        self, dataset_id: str, annotation_import_session_id: str
    ) -> AnnotationImportSession:
        """One import session, typed (``annotation_import_sessions.get`` gives the dict)."""
        path = self._import_path(dataset_id, annotation_import_session_id)
        return self._get_one(path, AnnotationImportSession, "annotation import session")

    def wait_until_done(
        self,
        dataset_id: str,
        annotation_import_session_id: str,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> AnnotationImportSession:
        """Poll an import session until every condition is ``Reached`` (including the
        client-written ``FilesInserted``); ``FailedReach`` raises ``ViOperationError``,
        ``timeout`` seconds raise ``ViTimeoutError``."""
        self._import_path(dataset_id, annotation_import_session_id)
        return self._wait(
            lambda: self.get_import_session(dataset_id, annotation_import_session_id),
            lambda session: session.status.conditions,
            "annotation import session %s" % annotation_import_session_id,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def _import_path(self, dataset_id: str, session_id: str, *rest: str) -> str:
        sid = check_id("annotation_import_session_id", session_id)
        return self._ds(dataset_id, "annotationImportSessions", sid, *rest)

    def __call__(
        self,
        dataset_id: str,
        asset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Iterator[Annotation]:
        """Every annotation of an asset, across pages (first page fetched now)."""
        return self.list(
            dataset_id, asset_id, pagination, page_size=page_size, page_token=page_token
        ).all_items()

    def __iter__(self) -> Iterator[Annotation]:
        raise TypeError(
            "client.annotations needs ids: iterate client.annotations(dataset_id, asset_id) instead"
        )


def _is_annotation_format(value: Any) -> bool:
    """Whether a value is an export format's name (an export id never is: ids have no capitals
    in these words, and the names are a closed set)."""
    from .exports import EXPORT_FORMATS

    return isinstance(value, str) and value in EXPORT_FORMATS


_POLICY_KEYS = {
    "on_bad_annotation": "onBadAnnotation",
    "onBadAnnotation": "onBadAnnotation",
    "on_bad_file": "onBadFile",
    "onBadFile": "onBadFile",
    "on_overwritten": "onOverwritten",
    "onOverwritten": "onOverwritten",
}


def _failure_policies(value: Any) -> Dict[str, str]:
    policies = {
        "onBadAnnotation": "RejectSession",
        "onBadFile": "RejectSession",
        "onOverwritten": "RejectSession",
    }
    if value is None:
        return policies
    if not isinstance(value, Mapping):
        raise ViInvalidParameterError(
            "failure_policies", "failure_policies must be a dict, got %s" % type(value).__name__
        )
    for key, policy in value.items():
        if key not in _POLICY_KEYS:
            raise ViInvalidParameterError(
                "failure_policies",
                "failure_policies keys are on_bad_annotation, on_bad_file, on_overwritten; got %r" % (key,),
            )
        policies[_POLICY_KEYS[key]] = check_choice("failure_policies.%s" % key, policy, FAILURE_POLICIES)
    return policies


def _import_files(files: Any) -> Dict[str, Dict[str, Any]]:
    if not isinstance(files, Mapping) or not files:
        raise ViInvalidParameterError("files", "files must be a non-empty dict of basename -> file spec")
    out: Dict[str, Dict[str, Any]] = {}
    for name, spec in files.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ViInvalidParameterError("files", "file names must be non-empty basenames, got %r" % (name,))
        if not isinstance(spec, Mapping):
            raise ViInvalidParameterError("files", "files[%r] must be a dict" % name)
        values = dict(spec)
        if "size_bytes" in values:
            values["sizeBytes"] = values.pop("size_bytes")
        size = values.get("sizeBytes")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ViInvalidParameterError(
                "files", "files[%r].sizeBytes must be a non-negative integer" % name
            )
        if not isinstance(values.get("crc32c"), str):
            raise ViInvalidParameterError(
                "files", "files[%r].crc32c must be the base64 CRC-32C string" % name
            )
        values.setdefault("kind", "Unknown")
        out[name] = values
    return out
