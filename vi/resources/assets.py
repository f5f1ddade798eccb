"""Assets (PROTOCOL §7.3): the files of a dataset and their metadata.

Listing keeps every filter on every page (the official client loses them after page 1,
PROTOCOL §16.14), because the continuation re-sends the query built here, not the kwargs.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from ..errors import ViInvalidParameterError
from ..models import IdField, Model, ModelSchema, strip_org_prefix
from ..pagination import Page
from ._base import Resource, check_id, query_bool
from .common import (
    PaginationArg,
    PaginationParams,
    StrictInt,
    check_choice,
    check_optional_bool,
    check_optional_str,
    nested,
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
    "Assets",
    "SORT_CRITERIA",
    "SORT_ORDERS",
]

#: ``sortBy`` values the service knows (PROTOCOL §7.3.1).
SORT_CRITERIA = ("default", "assetId", "filename", "lastModified.contents", "metadata.fileSize")
#: ``o`` values for assets (folders use ``a``/``d``; assets do not).
SORT_ORDERS = ("asc", "desc")


class AssetGenerations(Model):
    _repr_fields = ("asset",)

    asset: str
    thumbnail: str


class AssetGenerationsSchema(ModelSchema):
    __model__ = AssetGenerations

    asset = fields.String(data_key="asset", required=True)
    thumbnail = fields.String(data_key="thumbnail", required=True)


class AssetAnnotations(Model):
    _repr_fields = ("total",)

    with_tag: Dict[str, int]
    total: int


class AssetAnnotationsSchema(ModelSchema):
    __model__ = AssetAnnotations

    with_tag = fields.Dict(keys=fields.String(), values=StrictInt(), data_key="withTag", required=True)
    total = StrictInt(data_key="total", required=True)


class AssetDimensions(Model):
    _repr_fields = ("width", "height", "depth")

    height: int
    width: int
    depth: Optional[int]


class AssetDimensionsSchema(ModelSchema):
    __model__ = AssetDimensions

    height = StrictInt(data_key="height", required=True)
    width = StrictInt(data_key="width", required=True)
    depth = StrictInt(data_key="depth", load_default=None, allow_none=True)


class AssetPixelRatio(Model):
    _repr_fields = ("width", "height", "depth")

    height: int
    width: int
    depth: Optional[int]


class AssetPixelRatioSchema(ModelSchema):
    __model__ = AssetPixelRatio

    height = StrictInt(data_key="height", required=True)
    width = StrictInt(data_key="width", required=True)
    depth = StrictInt(data_key="depth", load_default=None, allow_none=True)


class AssetHash(Model):
    _repr_fields = ("algorithm", "contents")

    algorithm: str
    contents: str


class AssetHashSchema(ModelSchema):
    __model__ = AssetHash

    algorithm = fields.String(data_key="algorithm", required=True)
    contents = fields.String(data_key="contents", required=True)


class AssetMetadata(Model):
    _repr_fields = ("mime_type", "width", "height")

    generations: AssetGenerations
    inserted_by: str
    annotations: AssetAnnotations
    frames: int
    cohorts: List[str]
    file_size: int
    height: int
    width: int
    mime_type: str
    source: str
    status: str
    upload_status: str
    visibility: str
    user_defined: Dict[str, Any]
    custom_metadata: Dict[str, Union[str, int, float, bool]]
    dimensions: AssetDimensions
    pixel_ratio: AssetPixelRatio
    comments: int
    custom_metadata_count: int
    hash: AssetHash
    contents_from: str
    frames_change: Dict[str, int]
    time_created: int
    last_updated: int
    contents_last_updated: int


class AssetMetadataSchema(ModelSchema):
    __model__ = AssetMetadata

    generations = nested(AssetGenerationsSchema(), data_key="generations", required=True)
    inserted_by = fields.String(data_key="insertedBy", required=True)
    annotations = nested(AssetAnnotationsSchema(), data_key="annotations", required=True)
    frames = StrictInt(data_key="frames", required=True)
    cohorts = fields.List(fields.String(), data_key="cohorts", required=True)
    file_size = StrictInt(data_key="fileSize", required=True)
    height = StrictInt(data_key="height", required=True)
    width = StrictInt(data_key="width", required=True)
    mime_type = fields.String(data_key="mimeType", required=True)
    source = fields.String(data_key="source", required=True)
    status = fields.String(data_key="status", required=True)
    upload_status = fields.String(data_key="uploadStatus", required=True)
    visibility = fields.String(data_key="visibility", required=True)
    user_defined = fields.Dict(keys=fields.String(), data_key="userDefined", required=True)
    custom_metadata = fields.Dict(
        keys=fields.String(), values=fields.Raw(), data_key="customMetadata", required=True
    )
    dimensions = nested(AssetDimensionsSchema(), data_key="dimensions", required=True)
    pixel_ratio = nested(AssetPixelRatioSchema(), data_key="pixelRatio", required=True)
    comments = StrictInt(data_key="comments", required=True)
    custom_metadata_count = StrictInt(data_key="customMetadataCount", required=True)
    hash = nested(AssetHashSchema(), data_key="hash", required=True)
    contents_from = fields.String(data_key="contentsFrom", required=True)
    frames_change = fields.Dict(
        keys=fields.String(), values=StrictInt(), data_key="framesChange", required=True
    )
    time_created = StrictInt(data_key="timeCreated", required=True)
    last_updated = StrictInt(data_key="lastUpdated", required=True)
    contents_last_updated = StrictInt(data_key="contentsLastUpdated", required=True)


class Contents(Model):
    """A pre-signed storage URL. Its query string is a credential of sorts, so the repr shows
    only the expiry, never the URL."""

    _repr_fields = ("expiry",)

    url: str
    expiry: int
    headers: Optional[Dict[str, str]]
    method: Optional[str]


class ContentsSchema(ModelSchema):
    __model__ = Contents

    url = fields.String(data_key="url", required=True)
    expiry = StrictInt(data_key="expiry", required=True)
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="headers", load_default=None, allow_none=True
    )
    method = fields.String(data_key="method", load_default=None, allow_none=True)


_CONTENTS = ContentsSchema()


class AssetContents(Model):
    _repr_fields = ("asset", "thumbnail")

    asset: Optional[Contents]
    thumbnail: Optional[Contents]


class AssetContentsSchema(ModelSchema):
    __model__ = AssetContents

    asset = nested(_CONTENTS, data_key="asset", load_default=None, allow_none=True)
    thumbnail = nested(_CONTENTS, data_key="thumbnail", load_default=None, allow_none=True)


class Asset(Model):
    _repr_fields = ("asset_id", "filename")

    asset_id: str
    dataset_id: str
    organization_id: str
    filename: str
    kind: str
    owner: str
    metadata: AssetMetadata
    self_link: str
    etag: str
    contents: Optional[AssetContents]

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AssetSchema(ModelSchema):
    __model__ = Asset

    asset_id = IdField("assetId")
    dataset_id = IdField("datasetId")
    organization_id = IdField("workspaceId")
    filename = fields.String(data_key="filename", required=True)
    kind = fields.String(data_key="kind", required=True)
    owner = fields.String(data_key="owner", required=True)
    metadata = nested(AssetMetadataSchema(), data_key="metadata", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    contents = nested(AssetContentsSchema(), data_key="contents", load_default=None, allow_none=True)


_ASSET = AssetSchema()


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

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "AssetSortCriterion(criterion=%r, order=%r)" % (self.criterion, self.order)


def _filter_text(filter_criteria: Any) -> Optional[str]:
    """A dict filter is sent as JSON text, not the Python ``repr`` the official client sends
    (PROTOCOL §2.5, §16.11): JSON is what a gateway can parse (``true``/``null``, double
    quotes), and the bulk-delete body already carries dict filters as JSON."""
    if filter_criteria is None:
        return None
    if isinstance(filter_criteria, str):
        return filter_criteria
    if isinstance(filter_criteria, Mapping):
        try:
            return json.dumps(dict(filter_criteria), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ViInvalidParameterError(
                "filter_criteria", "filter_criteria dict must be JSON-serialisable: %s" % exc
            ) from None
    raise ViInvalidParameterError(
        "filter_criteria",
        "filter_criteria must be a string or a dict, got %s" % type(filter_criteria).__name__,
    )


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
        compact JSON text (see :func:`_filter_text` for why not Python ``repr``). ``contents``
        asks for pre-signed URLs in ``Asset.contents``. Booleans follow the typed-list
        encoding: ``y`` when true, omitted otherwise."""
        path = self._ds(dataset_id, "assets")
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        sort = None if sort_by is None else AssetSortCriterion.coerce(sort_by)
        query: Dict[str, Any] = {}
        if sort is not None:
            query["o"] = sort.order
            query["sortBy"] = sort.criterion
        query["filter"] = _filter_text(filter_criteria)
        query["contents"] = query_bool(check_optional_bool("contents", contents))
        query["metadataQuery"] = check_optional_str("metadata_query", metadata_query)
        query["ruleQuery"] = check_optional_str("rule_query", rule_query)
        query["pageAfter"] = query_bool(check_optional_bool("page_after", page_after))
        query["strictQuery"] = query_bool(check_optional_bool("strict_query", strict_query))
        return self._list(
            path,
            _ASSET,
            "asset",
            page_size=paging.page_size,
            page_token=paging.page_token,
            params={k: v for k, v in query.items() if v is not None},
        )

    def get(self, dataset_id: str, asset_id: str, contents: Optional[bool] = None) -> Asset:
        """One asset (A2); ``contents=True`` includes pre-signed URLs to fetch it."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id))
        flag = query_bool(check_optional_bool("contents", contents))
        params = {"contents": flag} if flag else None
        return self._get_one(path, _ASSET, "asset", params=params)  # type: ignore[no-any-return]

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
        raise TypeError(
            "client.assets needs a dataset id: iterate client.assets(dataset_id) instead"
        )
