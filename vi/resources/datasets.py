"""Datasets: the dataset documents and their create/read/update/delete calls.

Dataset ids travel composite (``{org}_{dsid}``) on the wire and short in Python: every method
accepts either form, and every decoded id is the short one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from .. import fields as f
from ..checks import (
    check_choice,
    check_id,
    check_optional_bool,
    check_optional_str,
    check_page_args,
    check_poll_interval,
    check_str,
    check_str_dict,
    check_timeout,
)
from ..documents import Document, strip_org_prefix
from ..errors import ViInvalidParameterError
from ..fields import StrictInt
from ..pagination import Page, PaginationArg, PaginationParams, optional_paging
from ..waiters import DEFAULT_POLL_INTERVAL
from ._base import Resource, verb
from .bodies import flat_update_body
from .embedded import (
    ResourceCondition,
    ResourceMetadata,
    User,
    UserOrName,
    condition_list,
    resource_metadata,
    strip_user_datasets,
)
from .exports import (
    EXPORT_FORMATS,
    DatasetExport,
    DatasetExportDownloadUrl,
    DatasetExportFormat,
    DatasetExportOptions,
    DatasetExportSettings,
    DatasetExportSpec,
    DatasetExportStatus,
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
    "DatasetExportFormat",
    "EXPORT_FORMATS",
    "DatasetExportOptions",
    "DatasetExportSettings",
    "DatasetExport",
    "DatasetExportSpec",
    "DatasetExportStatus",
    "DatasetExportDownloadUrl",
    "BulkAssetDeletionSession",
    "BulkAssetDeletionSpec",
    "BulkAssetDeletionStatus",
]

#: The dataset types the service knows (``DatasetType``).
DATASET_TYPES = ("phrase-grounding", "vqa", "freeform")
DEFAULT_LOCALIZATION = "Datature/Multi"


if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.downloads import DatasetDownloadResult


class DatasetStatistic(Document):
    _repr_fields = ("asset_total", "annotation_total")

    asset_total: int = f.integer()
    annotation_total: int = f.integer()
    tags_count: Dict[str, int] = f.dict_of(StrictInt())
    asset_annotated: int = f.integer()


class DatasetAccess(Document):
    _repr_fields = ("is_public", "is_read_only")

    is_public: Optional[bool] = f.boolean(nullable=True)
    is_read_only: Optional[bool] = f.boolean(nullable=True)
    is_hidden: Optional[bool] = f.boolean(optional=True)


class AssetStatusDetail(Document):
    _repr_fields = ("description", "color")

    description: str = f.string()
    color: str = f.string()
    create_date: Optional[int] = f.integer(optional=True)


class TagDetail(Document):
    _repr_fields = ("description", "color")

    description: Optional[str] = f.string(optional=True)
    color: Optional[str] = f.string(optional=True)


class Dataset(Document, kind="Dataset"):
    _repr_fields = ("dataset_id", "name")

    dataset_id: str = f.identifier()
    name: str = f.string()
    owner: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    type: str = f.string()
    content: str = f.string()
    create_date: int = f.integer()
    statistic: DatasetStatistic = f.nested(DatasetStatistic)
    users: Dict[str, Union[User, str]] = f.dict_of(UserOrName())
    tags: Dict[str, int] = f.dict_of(StrictInt())
    cohorts: List[Any] = f.list_of(fields.Raw())
    status: int = f.integer()
    last_accessed: int = f.integer()
    is_locked: bool = f.boolean()
    access: DatasetAccess = f.nested(DatasetAccess)
    preference: Dict[str, Union[bool, str]] = f.dict_of(fields.Raw())
    asset_statuses: Dict[str, AssetStatusDetail] = f.dict_of(fields.Nested(AssetStatusDetail.wire_schema()))
    self_link: str = f.string()
    etag: str = f.string()
    localization: str = f.string(default=DEFAULT_LOCALIZATION)
    data_localization: str = f.string(default=DEFAULT_LOCALIZATION)
    description: Optional[str] = f.string(optional=True)
    tag_details: Optional[Dict[str, TagDetail]] = f.dict_of(
        fields.Nested(TagDetail.wire_schema()), optional=True
    )
    is_demo_project: bool = f.boolean(default=False)
    delete_op: Optional[str] = f.string(optional=True)
    bypass_quota: bool = f.boolean(default=False)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)
        strip_user_datasets(self.organization_id, self.users)


class DeletedDatasetStatus(Document):
    _repr_fields = ("conditions",)

    conditions: List[ResourceCondition] = condition_list()


class DeletedDataset(Document):
    """The deletion operation of a dataset; deletion runs on the server, poll its conditions."""

    _repr_fields = ("dataset_id", "kind")

    kind: str = f.string()
    user: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    status: DeletedDatasetStatus = f.nested(DeletedDatasetStatus)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class _StrOrDict(fields.Field):
    default_error_messages = {"invalid": "Not a string or an object."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, (str, dict)):
            return value
        raise self.make_error("invalid")


class BulkAssetDeletionSpec(Document):
    _repr_fields = ("filter", "metadata_query")

    filter: Union[str, Dict[str, Any], None] = f.custom(
        _StrOrDict(data_key="filter", load_default=None, allow_none=True)
    )
    metadata_query: Optional[str] = f.string(optional=True)
    rule_query: Optional[str] = f.string(optional=True)
    strict_query: Optional[bool] = f.boolean(optional=True)


class BulkAssetDeletionStatus(Document):
    _repr_fields = ("conditions",)

    conditions: List[ResourceCondition] = condition_list()


class BulkAssetDeletionSession(Document):
    _repr_fields = ("delete_many_assets_session_id", "dataset_id")

    kind: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    delete_many_assets_session_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    spec: BulkAssetDeletionSpec = f.nested(BulkAssetDeletionSpec)
    status: BulkAssetDeletionStatus = f.nested(BulkAssetDeletionStatus)

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


def _check_tags(tags: Any) -> Dict[str, int]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ViInvalidParameterError(
            "tags", "tags must be a dict of str to int, got %s" % type(tags).__name__
        )
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
        """The first page of datasets; the page fetches the rest lazily."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws("datasets"),
            Dataset,
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
        """Lightweight listing. Items stay dicts, exactly as sent: the protocol gives them
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
        """Create a dataset.

        Every argument is checked before the request so a typo costs no round trip; the body
        always carries every key the gateway expects, and ``metadata`` only when given (strict
        gateways may refuse it)."""
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
        return self._get_one(self._ws("datasets"), Dataset, "dataset", method="POST", json=body)

    def download(
        self,
        dataset_id: str,
        dataset_export_id: Optional[str] = None,
        annotations_only: bool = False,
        export_settings: Any = None,
        save_dir: Any = "~/.datature/vi/datasets",
        overwrite: bool = False,
        show_progress: bool = True,
        *,
        timeout: Optional[float] = None,
        poll_interval: Optional[float] = None,
        progress: Any = None,
    ) -> "DatasetDownloadResult":
        """Export (or reuse ``dataset_export_id``), wait at most ``timeout`` seconds, then
        download with ranged parallel requests (206 checked, checksum verified, resumable) and
        extract safely into ``save_dir``. Format/type compatibility is checked
        before any export is created. See ``docs/transfers``."""
        return self._workflows().download_dataset(
            self,
            dataset_id,
            export_id=dataset_export_id,
            annotations_only=annotations_only,
            export_settings=export_settings,
            save_dir=save_dir,
            overwrite=overwrite,
            timeout=timeout,
            poll_interval=poll_interval,
            show_progress=show_progress,
            progress=progress,
        )

    def get(self, dataset_id: str) -> Dataset:
        """One dataset, by short or composite id."""
        return self._get_one(self._ds(dataset_id), Dataset, "dataset")

    def update(
        self,
        dataset_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Dataset:
        """Patch a dataset with the flat body the gateway expects.

        Unlike the official client, which sends ``{}`` when both are ``None``, this refuses
        before any request: an empty PATCH changes nothing and hides a caller's bug."""
        path = self._ds(dataset_id)
        body = flat_update_body(spec, metadata)
        return self._get_one(path, Dataset, "dataset", method="PATCH", json=body)

    def delete(self, dataset_id: str) -> DeletedDataset:
        """Start deleting a dataset; the server finishes asynchronously, so the returned
        operation's conditions say how far it got (poll :meth:`get_deletion_operation`)."""
        return self._get_one(self._ds(dataset_id), DeletedDataset, "deleted dataset", method="DELETE")

    def get_deletion_operation(self, dataset_id: str) -> DeletedDataset:
        """The deletion operation of a dataset, the poll target after :meth:`delete`."""
        return self._get_one(self._ds(dataset_id, "deleteOperation"), DeletedDataset, "deleted dataset")

    def list_collaborators(
        self,
        dataset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """The dataset's collaborators, dict items. Unlike the official client, which returns
        a raw first page, the page walks to the end; ``s`` is sent only when a size is given."""
        path = self._ds(dataset_id, "collaborators")
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list(path, None, "collaborator", page_size=size, page_token=token)

    # -- exports ---------------------------------------------------------------------------
    def create_export(
        self,
        dataset_id: str,
        export_settings: Union[DatasetExportSettings, Mapping[str, Any], None] = None,
    ) -> DatasetExport:
        """Start an export; wait for it with :meth:`wait_for_export`. ``None`` means the
        default settings (``ViFull``, normalized, no split). No spinner, nothing printed."""
        path = self._ds(dataset_id, "datasetExports")
        body = DatasetExportSettings.coerce(export_settings).to_body()
        return self._get_one(path, DatasetExport, "dataset export", method="POST", json=body)

    def list_exports(
        self, dataset_id: str, page_size: Optional[int] = None, page: Optional[str] = None
    ) -> Page[DatasetExport]:
        """A dataset's exports; ``s``/``p`` only when given, and the page walks to the end."""
        path = self._ds(dataset_id, "datasetExports")
        page_size, page = check_page_args(page_size, page)
        return self._list(path, DatasetExport, "dataset export", page_size=page_size, page_token=page)

    def get_export(self, dataset_id: str, dataset_export_id: str) -> DatasetExport:
        """One export; ``status.download_url`` is set once it has finished."""
        path = self._ds(dataset_id, "datasetExports", check_id("dataset_export_id", dataset_export_id))
        return self._get_one(path, DatasetExport, "dataset export")

    def wait_for_export(
        self,
        dataset_id: str,
        dataset_export_id: str,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> DatasetExport:
        """Poll :meth:`get_export` until every condition is ``Reached``; ``FailedReach`` raises
        ``ViOperationError``, ``timeout`` seconds raise ``ViTimeoutError``."""
        self._ds(dataset_id)
        check_id("dataset_export_id", dataset_export_id)
        return self._wait(
            lambda: self.get_export(dataset_id, dataset_export_id),
            lambda export: export.status.conditions,
            "dataset export %s" % dataset_export_id,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def wait_for_deletion(
        self,
        dataset_id: str,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> DeletedDataset:
        """Poll :meth:`get_deletion_operation` until every condition is ``Reached``."""
        self._ds(dataset_id)
        return self._wait(
            lambda: self.get_deletion_operation(dataset_id),
            lambda op: op.status.conditions,
            "deletion of dataset %s" % dataset_id,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def wait_until_done(
        self,
        callback_func: Callable[..., Any],
        *args: Any,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Any:
        """The official client's generic waiter: call ``callback_func(*args)`` until every
        condition of the result's ``status.conditions`` is ``Reached``, e.g.
        ``datasets.wait_until_done(datasets.get_export, dataset_id, export_id)``. Prefer the
        named waiters; this one exists so ported code keeps working (now with a timeout)."""
        if not callable(callback_func):
            raise ViInvalidParameterError("callback_func", "callback_func must be callable")
        return self._wait(
            lambda: callback_func(*args),
            lambda result: result.status.conditions,
            getattr(callback_func, "__name__", "operation"),
            timeout=timeout,
            poll_interval=poll_interval,
        )

    # -- statistics ------------------------------------------------------------------------
    def get_aggregation_statistics(self, dataset_id: str) -> Dict[str, Any]:
        """The dataset's aggregation statistics, as the service sends them."""
        return self._get_dict(self._ds(dataset_id, "aggregationStatistics"), "aggregation statistics")

    def generate_aggregation_statistics(self, dataset_id: str) -> None:
        """Ask the service to recompute them (body-less, fire-and-forget)."""
        self._call_ignoring_body("POST", self._ds(dataset_id, verb("aggregationStatistics", "generate")))

    # -- bulk asset deletion ---------------------------------------------------------------
    def bulk_delete_assets(
        self,
        dataset_id: str,
        filter_criteria: Union[str, Mapping[str, Any], None] = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict_query: Optional[bool] = None,
        *,
        wait: bool = True,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> BulkAssetDeletionSession:
        """Delete every asset matching the filters. Like the official client this blocks
        until every condition is ``Reached`` (the session is polled) — with a ``timeout`` here; ``wait=False``
        returns the session as created. The body always carries all four keys; a dict filter
        goes as a JSON object, since it is a body field."""
        path = self._ds(dataset_id, "deleteManyAssetsSessions")
        if filter_criteria is not None and not isinstance(filter_criteria, (str, Mapping)):
            raise ViInvalidParameterError(
                "filter_criteria",
                "filter_criteria must be a string or a dict, got %s" % type(filter_criteria).__name__,
            )
        spec = {
            "filter": dict(filter_criteria) if isinstance(filter_criteria, Mapping) else filter_criteria,
            "metadataQuery": check_optional_str("metadata_query", metadata_query),
            "ruleQuery": check_optional_str("rule_query", rule_query),
            "strictQuery": check_optional_bool("strict_query", strict_query),
        }
        if not isinstance(wait, bool):
            raise ViInvalidParameterError("wait", "wait must be True or False")
        if wait:  # check the waiter's arguments before anything is deleted
            check_timeout(timeout)
            check_poll_interval(poll_interval)
        session: BulkAssetDeletionSession = self._get_one(
            path, BulkAssetDeletionSession, "bulk asset deletion session", method="POST", json={"spec": spec}
        )
        if not wait:
            return session
        return self.wait_for_bulk_asset_deletion(
            dataset_id, session.delete_many_assets_session_id, timeout=timeout, poll_interval=poll_interval
        )

    def list_bulk_asset_deletion_sessions(
        self, dataset_id: str, page_size: Optional[int] = None, page: Optional[str] = None
    ) -> Page[Dict[str, Any]]:
        """Bulk-deletion sessions, dict items; walks to the end (the official client
        returns a raw first page)."""
        path = self._ds(dataset_id, "deleteManyAssetsSessions")
        page_size, page = check_page_args(page_size, page)
        return self._list(path, None, "bulk asset deletion session", page_size=page_size, page_token=page)

    def get_bulk_asset_deletion_session(
        self, dataset_id: str, delete_many_assets_session_id: str
    ) -> BulkAssetDeletionSession:
        """One bulk-deletion session."""
        sid = check_id("delete_many_assets_session_id", delete_many_assets_session_id)
        path = self._ds(dataset_id, "deleteManyAssetsSessions", sid)
        return self._get_one(path, BulkAssetDeletionSession, "bulk asset deletion session")

    def wait_for_bulk_asset_deletion(
        self,
        dataset_id: str,
        delete_many_assets_session_id: str,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> BulkAssetDeletionSession:
        """Poll :meth:`get_bulk_asset_deletion_session` until every condition is ``Reached``."""
        self._ds(dataset_id)
        check_id("delete_many_assets_session_id", delete_many_assets_session_id)
        return self._wait(
            lambda: self.get_bulk_asset_deletion_session(dataset_id, delete_many_assets_session_id),
            lambda session: session.status.conditions,
            "bulk asset deletion %s" % delete_many_assets_session_id,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    def __iter__(self) -> Iterator[Dataset]:
        return self.list().all_items()
