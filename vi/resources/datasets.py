"""Datasets (PROTOCOL §7.2): the dataset documents and their create/read/update/delete calls.

Dataset ids travel composite (``{org}_{dsid}``) on the wire and short in Python: every method
accepts either form, and every decoded id is the short one.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from ..errors import ViInvalidParameterError
from ..models import IdField, Model, ModelSchema, strip_org_prefix
from ..pagination import Page
from ._base import Resource
from .common import (
    PaginationArg,
    PaginationParams,
    ResourceCondition,
    ResourceMetadata,
    StrictBool,
    StrictInt,
    TaggedModelSchema,
    User,
    UserOrName,
    check_choice,
    check_str,
    check_str_dict,
    condition_list,
    flat_update_body,
    nested,
    resource_metadata,
    strip_user_datasets,
)

__all__ = [
    "Dataset",
    "DatasetStatistic",
    "DatasetAccess",
    "AssetStatusDetail",
    "TagDetail",
    "DeletedDataset",
    "DeletedDatasetStatus",
    "Datasets",
    "DATASET_TYPES",
]

#: The dataset types the service knows (``DatasetType``, PROTOCOL §3).
DATASET_TYPES = ("phrase-grounding", "vqa", "freeform")
DEFAULT_LOCALIZATION = "Datature/Multi"


class DatasetStatistic(Model):
    _repr_fields = ("asset_total", "annotation_total")

    asset_total: int
    annotation_total: int
    tags_count: Dict[str, int]
    asset_annotated: int


class DatasetStatisticSchema(ModelSchema):
    __model__ = DatasetStatistic

    asset_total = StrictInt(data_key="assetTotal", required=True)
    annotation_total = StrictInt(data_key="annotationTotal", required=True)
    tags_count = fields.Dict(keys=fields.String(), values=StrictInt(), data_key="tagsCount", required=True)
    asset_annotated = StrictInt(data_key="assetAnnotated", required=True)


class DatasetAccess(Model):
    _repr_fields = ("is_public", "is_read_only")

    is_public: Optional[bool]
    is_read_only: Optional[bool]
    is_hidden: Optional[bool]


class DatasetAccessSchema(ModelSchema):
    __model__ = DatasetAccess

    is_public = StrictBool(data_key="isPublic", required=True, allow_none=True)
    is_read_only = StrictBool(data_key="isReadOnly", required=True, allow_none=True)
    is_hidden = StrictBool(data_key="isHidden", load_default=None, allow_none=True)


class AssetStatusDetail(Model):
    _repr_fields = ("description", "color")

    description: str
    color: str
    create_date: Optional[int]


class AssetStatusDetailSchema(ModelSchema):
    __model__ = AssetStatusDetail

    description = fields.String(data_key="description", required=True)
    color = fields.String(data_key="color", required=True)
    create_date = StrictInt(data_key="createDate", load_default=None, allow_none=True)


class TagDetail(Model):
    _repr_fields = ("description", "color")

    description: Optional[str]
    color: Optional[str]


class TagDetailSchema(ModelSchema):
    __model__ = TagDetail

    description = fields.String(data_key="description", load_default=None, allow_none=True)
    color = fields.String(data_key="color", load_default=None, allow_none=True)


class Dataset(Model):
    _repr_fields = ("dataset_id", "name")

    dataset_id: str
    name: str
    owner: str
    organization_id: str
    type: str
    content: str
    create_date: int
    statistic: DatasetStatistic
    users: Dict[str, Union[User, str]]
    tags: Dict[str, int]
    cohorts: List[Any]
    status: int
    last_accessed: int
    is_locked: bool
    access: DatasetAccess
    preference: Dict[str, Union[bool, str]]
    asset_statuses: Dict[str, AssetStatusDetail]
    self_link: str
    etag: str
    localization: str
    data_localization: str
    description: Optional[str]
    tag_details: Optional[Dict[str, TagDetail]]
    is_demo_project: bool
    delete_op: Optional[str]
    bypass_quota: bool

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)
        strip_user_datasets(self.organization_id, self.users)


class DatasetSchema(TaggedModelSchema):
    __model__ = Dataset
    __kind__ = "Dataset"

    dataset_id = IdField("datasetId")
    name = fields.String(data_key="name", required=True)
    owner = fields.String(data_key="owner", required=True)
    organization_id = IdField("workspaceId")
    type = fields.String(data_key="type", required=True)
    content = fields.String(data_key="content", required=True)
    create_date = StrictInt(data_key="createDate", required=True)
    statistic = nested(DatasetStatisticSchema(), data_key="statistic", required=True)
    users = fields.Dict(keys=fields.String(), values=UserOrName(), data_key="users", required=True)
    tags = fields.Dict(keys=fields.String(), values=StrictInt(), data_key="tags", required=True)
    cohorts = fields.List(fields.Raw(), data_key="cohorts", required=True)
    status = StrictInt(data_key="status", required=True)
    last_accessed = StrictInt(data_key="lastAccessed", required=True)
    is_locked = StrictBool(data_key="isLocked", required=True)
    access = nested(DatasetAccessSchema(), data_key="access", required=True)
    preference = fields.Dict(keys=fields.String(), values=fields.Raw(), data_key="preference", required=True)
    asset_statuses = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(AssetStatusDetailSchema()),
        data_key="assetStatuses",
        required=True,
    )
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    localization = fields.String(data_key="localization", load_default=DEFAULT_LOCALIZATION)
    data_localization = fields.String(data_key="dataLocalization", load_default=DEFAULT_LOCALIZATION)
    description = fields.String(data_key="description", load_default=None, allow_none=True)
    tag_details = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(TagDetailSchema()),
        data_key="tagDetails",
        load_default=None,
        allow_none=True,
    )
    is_demo_project = StrictBool(data_key="isDemoProject", load_default=False)
    delete_op = fields.String(data_key="deleteOp", load_default=None, allow_none=True)
    bypass_quota = StrictBool(data_key="bypassQuota", load_default=False)


class DeletedDatasetStatus(Model):
    _repr_fields = ("conditions",)

    conditions: List[ResourceCondition]


class DeletedDatasetStatusSchema(ModelSchema):
    __model__ = DeletedDatasetStatus

    conditions = condition_list(data_key="conditions", required=True)


class DeletedDataset(Model):
    """The deletion operation of a dataset; deletion runs on the server, poll its conditions."""

    _repr_fields = ("dataset_id", "kind")

    kind: str
    user: str
    organization_id: str
    dataset_id: str
    self_link: str
    etag: str
    metadata: ResourceMetadata
    status: DeletedDatasetStatus

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class DeletedDatasetSchema(ModelSchema):
    __model__ = DeletedDataset

    kind = fields.String(data_key="kind", required=True)
    user = fields.String(data_key="user", required=True)
    organization_id = IdField("workspaceId")
    dataset_id = IdField("datasetId")
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    status = nested(DeletedDatasetStatusSchema(), data_key="status", required=True)


_DATASET = DatasetSchema()
_DELETED_DATASET = DeletedDatasetSchema()


def _check_tags(tags: Any) -> Dict[str, int]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ViInvalidParameterError("tags", "tags must be a dict of str to int, got %s" % type(tags).__name__)
    for key, value in tags.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, int):
            raise ViInvalidParameterError(
                "tags", "tags must map tag names to integer ids; %r: %r is not" % (key, value)
            )
    return dict(tags)


class Datasets(Resource):
    """``client.datasets``: iterate it to walk every dataset of the organization."""

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dataset]:
        """The first page of datasets (D1); the page fetches the rest lazily."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws("datasets"),
            _DATASET,
            "dataset",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def list_simple(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """Lightweight listing (D2). Items stay dicts, exactly as sent: the protocol gives them
        no schema, so decoding them into models would invent one."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws("simpleDatasets"),
            None,
            "simple dataset",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def create(
        self,
        name: str,
        dataset_type: str = "phrase-grounding",
        content: str = "Image",
        description: str = "",
        localization: str = DEFAULT_LOCALIZATION,
        data_localization: str = DEFAULT_LOCALIZATION,
        tags: Optional[Mapping[str, int]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Dataset:
        """Create a dataset (D3).

        Every argument is checked before the request so a typo costs no round trip; the body
        always carries every key the gateway expects, and ``metadata`` only when given (strict
        gateways may refuse it, PROTOCOL §7.2)."""
        check_str("name", name, allow_empty=False)
        dataset_type = check_choice("dataset_type", dataset_type, DATASET_TYPES)
        check_str("content", content, allow_empty=False)
        description = "" if description is None else check_str("description", description)
        check_str("localization", localization, allow_empty=False)
        check_str("data_localization", data_localization, allow_empty=False)
        tag_map = _check_tags(tags)
        attributes = None if metadata is None else check_str_dict("metadata", metadata)
        body: Dict[str, Any] = {
            "name": name,
            "owner": self._org,
            "description": description,
            "type": dataset_type,
            "content": content,
            "localization": localization,
            "dataLocalization": data_localization,
            "status": 0,
            "tags": tag_map,
        }
        if attributes is not None:
            body["metadata"] = {"attributes": attributes}
        return self._get_one(  # type: ignore[no-any-return]
            self._ws("datasets"), _DATASET, "dataset", method="POST", json=body
        )

    def get(self, dataset_id: str) -> Dataset:
        """One dataset (D4), by short or composite id."""
        return self._get_one(self._ds(dataset_id), _DATASET, "dataset")  # type: ignore[no-any-return]

    def update(
        self,
        dataset_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Dataset:
        """Patch a dataset (D5) with the flat body the gateway expects.

        Unlike the official client, which sends ``{}`` when both are ``None``, this refuses
        before any request: an empty PATCH changes nothing and hides a caller's bug."""
        path = self._ds(dataset_id)
        body = flat_update_body(spec, metadata)
        return self._get_one(  # type: ignore[no-any-return]
            path, _DATASET, "dataset", method="PATCH", json=body
        )

    def delete(self, dataset_id: str) -> DeletedDataset:
        """Start deleting a dataset (D6); the server finishes asynchronously, so the returned
        operation's conditions say how far it got (poll :meth:`get_deletion_operation`)."""
        return self._get_one(  # type: ignore[no-any-return]
            self._ds(dataset_id), _DELETED_DATASET, "deleted dataset", method="DELETE"
        )

    def get_deletion_operation(self, dataset_id: str) -> DeletedDataset:
        """The deletion operation of a dataset (D7), the poll target after :meth:`delete`."""
        return self._get_one(  # type: ignore[no-any-return]
            self._ds(dataset_id, "deleteOperation"), _DELETED_DATASET, "deleted dataset"
        )

    def __iter__(self) -> Iterator[Dataset]:
        return self.list().all_items()
