"""Assets: the files of a dataset and their metadata.

Listing keeps every filter on every page (the official client loses them after page 1),
because the continuation re-sends the query built here, not the kwargs.
"""

from __future__ import annotations

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
from ._base import DeletedResource, query_bool, query_yn, verb, wait_argument
from .ingestion import AssetIngestionCalls

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

#: ``sortBy`` values the service knows.
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
        form always fails; here it works)."""
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


class Assets(AssetIngestionCalls):
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
        """The first page of a dataset's assets; later pages re-send the same query.

        ``filter_criteria`` may be the service's filter string, or a dict, which is sent as
        compact JSON text (see :func:`~vi.resources.bodies.filter_text` for why not Python ``repr``). ``contents``
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
        wait: Optional[bool] = None,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        raise_on_failure: bool = False,
        resume: Any = None,
        show_progress: bool = False,
        progress: Any = None,
        multipart_threshold: Optional[int] = None,
        wait_until_done: Optional[bool] = None,
    ) -> "AssetUploadResult":
        """Upload files, folders (``pattern``, ``recursive``) or ``(name, bytes)`` pairs.

        Unlike the official client, a file that fails is reported in ``result.failed`` with its
        reason (or raised as ``ViUploadError`` with ``raise_on_failure=True``), and ``resume=``
        names a manifest so that a rerun skips what already arrived. ``wait`` (default True)
        may be spelled ``wait_until_done`` as in the official client. See ``docs/transfers``."""
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
            wait=wait_argument(wait, wait_until_done),
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
        """One asset; ``contents=True`` includes pre-signed URLs to fetch it."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id))
        flag = query_bool(check_optional_bool("contents", contents))
        params = {"contents": flag} if flag else None
        return self._get_one(path, Asset, "asset", params=params)

    def delete(self, dataset_id: str, asset_id: str) -> DeletedResource:
        """Delete one asset. Returns ``DeletedResource(id=asset_id)``; unlike the official
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
        """How many assets match. Filters as in :meth:`list`, except that ``strict_query``
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
        """Rename an asset, found by id or by its current file name; exactly one of
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
