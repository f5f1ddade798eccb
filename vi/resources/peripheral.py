"""Peripheral resources: plain-dict APIs.

The protocol types these answers as ``dict``, so they stay dicts: decoding them into models
would invent a schema. What they share is written once: :class:`_WorkspaceCollection` is the
list/get/replace/update/delete of the three deployment collections; the rest are a few lines
each. Every listing walks to the end (``plans.list``, ``asset_sources.list`` and
``asset_sources.list_ingestion_sessions`` stop at page 1 in the official client), and ``s``/``p``
are sent only when given, as the official methods do.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Union

from ..checks import (
    check_body,
    check_choice,
    check_id,
    check_optional_bool,
    check_optional_str,
    check_page_args,
    check_str,
)
from ..errors import ViInvalidParameterError, ViResponseError, ViValidationError
from ..pagination import Page, PaginationArg, optional_paging
from ._base import DeletedResource, Resource, query_yn, segment, verb
from .bodies import filter_text

__all__ = [
    "Plans",
    "Folders",
    "Ontologies",
    "IntelliScribe",
    "AssetSources",
    "AssetsWithObjects",
    "AnnotationImportSessions",
    "Deployments",
    "DeploymentProjects",
    "DeploymentEndpoints",
    "FOLDER_SORT_ORDERS",
    "ASSETS_WITH_OBJECTS_VIEWS",
]

Filter = Union[str, Mapping[str, Any], None]
Dict_ = Dict[str, Any]

#: Folder sort orders as accepted here → as sent (``o=a``/``o=d``; assets use ``asc``/``desc``).
FOLDER_SORT_ORDERS = {"a": "a", "asc": "a", "ascending": "a", "d": "d", "desc": "d", "descending": "d"}
ASSETS_WITH_OBJECTS_VIEWS = ("default", "recent")
MAX_BATCH_DEPLOYMENTS = 20


class Plans(Resource):
    """``client.plans``: subscription plans (outside any organization: ``/plans``)."""

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict_]:
        """Every plan, dict items; walks past page 1 (the official client cannot)."""
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list("/plans", None, "plan", page_size=size, page_token=token)

    def get(self, plan_id: str) -> Dict_:
        """One plan."""
        return self._get_dict("/plans/" + segment(check_id("plan_id", plan_id)), "plan")


def _folder(folder_name: Any) -> str:
    """Folder names are free text, sent as one fully percent-encoded segment (``/`` too)."""
    check_str("folder_name", folder_name, allow_empty=False)
    if folder_name in (".", ".."):
        # Percent-encoding leaves dots alone, and HTTP stacks collapse dot segments.
        raise ViInvalidParameterError("folder_name", "folder_name must not be '.' or '..'")
    return folder_name


class Folders(Resource):
    """``client.folders``: the folder tree of a dataset."""

    def list(
        self,
        dataset_id: str,
        filter_criteria: Filter = None,
        sort_by: Optional[str] = None,
        sort_order: Optional[str] = None,
        page_size: Optional[int] = None,
        page: Optional[str] = None,
    ) -> Page[Dict_]:
        """A dataset's folders. ``sort_order`` is ``a``/``d`` on the wire; ``asc``,
        ``desc``, ``ascending`` and ``descending`` are accepted too (anything else is refused,
        where the official client sends ``a``). A dict filter goes as JSON text."""
        path = self._ds(dataset_id, "folders")
        order = None
        if sort_order is not None:
            key = sort_order.lower() if isinstance(sort_order, str) else sort_order
            if key not in FOLDER_SORT_ORDERS:
                raise ViInvalidParameterError(
                    "sort_order", "sort_order must be 'a'/'asc' or 'd'/'desc', got %r" % (sort_order,)
                )
            order = FOLDER_SORT_ORDERS[key]
        params = {
            "filter": filter_text(filter_criteria),
            "sortBy": check_optional_str("sort_by", sort_by),
            "o": order,
        }
        page_size, page = check_page_args(page_size, page)
        return self._list(
            path, None, "folder", page_size=page_size, page_token=page, params=params, params_first=True
        )

    def get(self, dataset_id: str, folder_name: str) -> Dict_:
        """One folder."""
        return self._get_dict(self._ds(dataset_id, "folders", _folder(folder_name)), "folder")

    def children(
        self,
        dataset_id: str,
        folder_name: str,
        child_type: str = "All",
        contents: Optional[bool] = None,
        page_size: Optional[int] = None,
        page: Optional[str] = None,
    ) -> Page[Dict_]:
        """What a folder holds; ``childType`` always sent, ``contents`` as ``y``/``n``."""
        path = self._ds(dataset_id, "folders", _folder(folder_name), "children")
        params = {
            "childType": check_str("child_type", child_type, allow_empty=False),
            "contents": query_yn(check_optional_bool("contents", contents)),
        }
        page_size, page = check_page_args(page_size, page)
        return self._list(
            path, None, "folder child", page_size=page_size, page_token=page, params=params, params_first=True
        )

    def put(self, dataset_id: str, folder_name: str, owner: Optional[str] = None) -> Dict_:
        """Create a folder owned by ``owner`` (default: the organization)."""
        path = self._ds(dataset_id, "folders", _folder(folder_name))
        body = {"owner": self._org if owner is None else check_str("owner", owner, allow_empty=False)}
        return self._get_dict(path, "folder", method="PUT", json=body)

    def delete(self, dataset_id: str, folder_name: str) -> DeletedResource:
        """Delete a folder; the answer's body is ignored."""
        return self._delete(self._ds(dataset_id, "folders", _folder(folder_name)), folder_name)

    def delete_all(self, dataset_id: str) -> bool:
        """Delete every folder of a dataset; ``True`` once accepted."""
        self._call_ignoring_body("DELETE", self._ds(dataset_id, "folders"))
        return True


class Ontologies(Resource):
    """``client.ontologies``: a dataset's label ontologies (caller dicts in, dicts out)."""

    def list(
        self,
        dataset_id: str,
        filter_criteria: Filter = None,
        page_size: Optional[int] = None,
        page: Optional[str] = None,
    ) -> Page[Dict_]:
        """A dataset's ontologies."""
        path = self._ds(dataset_id, "ontologies")
        page_size, page = check_page_args(page_size, page)
        params = {"filter": filter_text(filter_criteria)}
        return self._list(
            path, None, "ontology", page_size=page_size, page_token=page, params=params, params_first=True
        )

    def get(self, dataset_id: str, ontology_id: str) -> Dict_:
        """One ontology."""
        return self._get_dict(self._path(dataset_id, ontology_id), "ontology")

    def replace(self, dataset_id: str, ontology_id: str, body: Mapping[str, Any]) -> Dict_:
        """Replace an ontology (a PUT, ``body`` verbatim)."""
        path = self._path(dataset_id, ontology_id)
        return self._get_dict(path, "ontology", method="PUT", json=check_body("body", body))

    def update(self, dataset_id: str, ontology_id: str, body: Mapping[str, Any]) -> Dict_:
        """Patch an ontology (``body`` verbatim)."""
        path = self._path(dataset_id, ontology_id)
        return self._get_dict(path, "ontology", method="PATCH", json=check_body("body", body))

    def create_version(self, dataset_id: str, ontology_id: str, body: Mapping[str, Any]) -> Dict_:
        """Add a version to an ontology (a POST ``…/versions``)."""
        path = self._path(dataset_id, ontology_id, "versions")
        return self._get_dict(path, "ontology version", method="POST", json=check_body("body", body))

    def _path(self, dataset_id: str, ontology_id: str, *rest: str) -> str:
        return self._ds(dataset_id, "ontologies", check_id("ontology_id", ontology_id), *rest)


class IntelliScribe(Resource):
    """``client.intelliscribe``: AI-generated annotations. It has nothing to list or iterate
    (the official ``list`` always raises)."""

    def generate(self, dataset_id: str, body: Mapping[str, Any]) -> List[Any]:
        """Generate (a POST, non-empty ``body`` verbatim); the answer is a JSON array."""
        path = self._ds(dataset_id, "intelliscribe", "generations")
        answer = self._call("POST", path, json=check_body("body", body))
        if not isinstance(answer, list):
            raise ViResponseError("Malformed intelliscribe generations in response: expected a JSON array")
        return answer

    def __iter__(self) -> Any:
        raise TypeError("client.intelliscribe cannot be listed or iterated")


class AssetSources(Resource):
    """``client.asset_sources``: where a dataset's assets come from (``class/provider/id``)."""

    def list(
        self,
        dataset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict_]:
        """A dataset's asset sources; walks past page 1 (the official client cannot)."""
        path = self._ds(dataset_id, "assetSources")
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list(path, None, "asset source", page_size=size, page_token=token)

    def get(
        self, dataset_id: str, asset_source_class: str, asset_source_provider: str, asset_source_id: str
    ) -> Dict_:
        """One asset source."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        return self._get_dict(self._src(dataset_id, src), "asset source")

    def sample(
        self, dataset_id: str, asset_source_class: str, asset_source_provider: str, asset_source_id: str
    ) -> Dict_:
        """A sample of an asset source."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        return self._get_dict(self._src(dataset_id, src, "sample"), "asset source sample")

    def delete(
        self, dataset_id: str, asset_source_class: str, asset_source_provider: str, asset_source_id: str
    ) -> DeletedResource:
        """Delete an asset source; the answer's body is ignored."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        return self._delete(self._src(dataset_id, src), asset_source_id)

    def list_ingestion_sessions(
        self,
        dataset_id: str,
        asset_source_class: str,
        asset_source_provider: str,
        asset_source_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict_]:
        """A source's ingestion sessions, dict items; walks past page 1."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        path = self._src(dataset_id, src, "assetIngestionSessions")
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list(path, None, "asset ingestion session", page_size=size, page_token=token)

    def get_ingestion_session(
        self,
        dataset_id: str,
        asset_source_class: str,
        asset_source_provider: str,
        asset_source_id: str,
        asset_ingestion_session_id: str,
    ) -> Dict_:
        """One ingestion session as a dict (``assets.get_ingestion_session`` is typed)."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        sid = check_id("asset_ingestion_session_id", asset_ingestion_session_id)
        return self._get_dict(self._src(dataset_id, src, "assetIngestionSessions", sid), "ingestion session")

    def cancel_ingestion_session(
        self,
        dataset_id: str,
        asset_source_class: str,
        asset_source_provider: str,
        asset_source_id: str,
        asset_ingestion_session_id: str,
    ) -> Dict_:
        """Cancel an ingestion session; non-object answers are wrapped as ``{"data": …}``."""
        src = (asset_source_class, asset_source_provider, asset_source_id)
        sid = check_id("asset_ingestion_session_id", asset_ingestion_session_id)
        path = self._src(dataset_id, src, "assetIngestionSessions", verb(sid, "cancel"))
        return self._get_dict(path, "ingestion session cancellation", method="POST", wrap=True)


class AssetsWithObjects(Resource):
    """``client.assets_with_objects``: assets together with their annotation objects."""

    def list(
        self,
        dataset_id: str,
        filter_criteria: Filter = None,
        contents: Optional[bool] = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict_query: Optional[bool] = None,
        annotation_filter: Optional[str] = None,
        view: Optional[str] = None,
        page_size: Optional[int] = None,
        page: Optional[str] = None,
    ) -> Page[Dict_]:
        """Assets with objects. ``contents``/``strict_query`` go as ``y``/``n``; ``view``
        is ``default`` or ``recent``; a dict filter goes as JSON text."""
        path = self._ds(dataset_id, "assetsWithObjects")
        if view is not None:
            check_choice("view", view, ASSETS_WITH_OBJECTS_VIEWS)
        params = {
            "filter": filter_text(filter_criteria),
            "contents": query_yn(check_optional_bool("contents", contents)),
            "metadataQuery": check_optional_str("metadata_query", metadata_query),
            "ruleQuery": check_optional_str("rule_query", rule_query),
            "strictQuery": query_yn(check_optional_bool("strict_query", strict_query)),
            "annotationFilter": check_optional_str("annotation_filter", annotation_filter),
            "view": view,
        }
        page_size, page = check_page_args(page_size, page)
        return self._list(
            path,
            None,
            "asset with objects",
            page_size=page_size,
            page_token=page,
            params=params,
            params_first=True,
        )

    def get(self, dataset_id: str, asset_id: str, contents: Optional[bool] = None) -> Dict_:
        """One asset with its objects."""
        path = self._ds(dataset_id, "assetsWithObjects", check_id("asset_id", asset_id))
        flag = query_yn(check_optional_bool("contents", contents))
        return self._get_dict(path, "asset with objects", params={"contents": flag} if flag else None)


class AnnotationImportSessions(Resource):
    """``client.annotation_import_sessions``: the dict view of annotation imports (the typed
    calls are on ``client.annotations``)."""

    def list(
        self, dataset_id: str, page_size: Optional[int] = None, page: Optional[str] = None
    ) -> Page[Dict_]:
        """A dataset's import sessions."""
        path = self._ds(dataset_id, "annotationImportSessions")
        page_size, page = check_page_args(page_size, page)
        return self._list(path, None, "annotation import session", page_size=page_size, page_token=page)

    def get(self, dataset_id: str, annotation_import_session_id: str) -> Dict_:
        """One import session."""
        return self._get_dict(
            self._path(dataset_id, annotation_import_session_id), "annotation import session"
        )

    def get_files_sample(self, dataset_id: str, annotation_import_session_id: str) -> Dict_:
        """A sample of the session's files."""
        path = self._path(dataset_id, annotation_import_session_id, "filesSample")
        return self._get_dict(path, "annotation import files sample")

    def get_logs(self, dataset_id: str, annotation_import_session_id: str) -> Dict_:
        """The session's logs."""
        return self._get_dict(
            self._path(dataset_id, annotation_import_session_id, "logs"), "annotation import logs"
        )

    def update_status(
        self, dataset_id: str, annotation_import_session_id: str, body: Mapping[str, Any]
    ) -> Dict_:
        """Patch the session status (non-empty ``body`` verbatim)."""
        path = self._path(dataset_id, annotation_import_session_id, "status")
        return self._get_dict(
            path, "annotation import session", method="PATCH", json=check_body("body", body)
        )

    def add_files(self, dataset_id: str, annotation_import_session_id: str, body: Mapping[str, Any]) -> Dict_:
        """Register files (non-empty ``body`` verbatim)."""
        path = self._path(dataset_id, annotation_import_session_id, "files")
        return self._get_dict(path, "annotation import files", method="POST", json=check_body("body", body))

    def _path(self, dataset_id: str, session_id: str, *rest: str) -> str:
        sid = check_id("annotation_import_session_id", session_id)
        return self._ds(dataset_id, "annotationImportSessions", sid, *rest)


class _WorkspaceCollection(Resource):
    """list/get/replace/update/delete of a workspace collection of free-form documents."""

    _collection: ClassVar[str] = ""
    _id_name: ClassVar[str] = "id"
    _what: ClassVar[str] = "document"

    def _item(self, item_id: Any, *rest: str) -> str:
        return self._ws(self._collection, check_id(self._id_name, item_id), *rest)

    def list(
        self, filter_criteria: Filter = None, page_size: Optional[int] = None, page: Optional[str] = None
    ) -> Page[Dict_]:
        """The collection's documents, filtered (``filter``); dict items, walked to the end."""
        page_size, page = check_page_args(page_size, page)
        params = {"filter": filter_text(filter_criteria)}
        return self._list(
            self._ws(self._collection),
            None,
            self._what,
            page_size=page_size,
            page_token=page,
            params=params,
            params_first=True,
        )

    def get(self, item_id: str) -> Dict_:
        """One document."""
        return self._get_dict(self._item(item_id), self._what)

    def replace(self, item_id: str, body: Mapping[str, Any]) -> Dict_:
        """Replace a document (PUT, ``body`` verbatim)."""
        return self._get_dict(self._item(item_id), self._what, method="PUT", json=check_body("body", body))

    def update(self, item_id: str, body: Mapping[str, Any]) -> Dict_:
        """Patch a document (PATCH, ``body`` verbatim)."""
        return self._get_dict(self._item(item_id), self._what, method="PATCH", json=check_body("body", body))

    def delete(self, item_id: str) -> DeletedResource:
        """Delete a document; the answer's body is ignored."""
        return self._delete(self._item(item_id), item_id)


class Deployments(_WorkspaceCollection):
    """``client.deployments``."""

    _collection = "deployments"
    _id_name = "deployment_id"
    _what = "deployment"

    def get_statistics(self, deployment_id: str) -> Dict_:
        """A deployment's statistics."""
        return self._get_dict(self._item(deployment_id, "statistics"), "deployment statistics")

    def batch_get_statistics(self, deployment_ids: Sequence[str]) -> Dict_:
        """Statistics of 1-20 deployments at once (``deploymentIds=a,b,…``)."""
        if isinstance(deployment_ids, str) or not isinstance(deployment_ids, Sequence):
            raise ViInvalidParameterError("deployment_ids", "deployment_ids must be a list of ids")
        if not 1 <= len(deployment_ids) <= MAX_BATCH_DEPLOYMENTS:
            raise ViValidationError(
                "deployment_ids must hold 1 to %d ids, got %d" % (MAX_BATCH_DEPLOYMENTS, len(deployment_ids)),
                details={"parameter": "deployment_ids"},
            )
        ids = [check_id("deployment_ids", i) for i in deployment_ids]
        return self._get_dict(
            self._ws("deploymentStatistics"), "deployment statistics", params={"deploymentIds": ",".join(ids)}
        )


class DeploymentProjects(_WorkspaceCollection):
    """``client.deployment_projects``."""

    _collection = "deploymentProjects"
    _id_name = "deployment_project_id"
    _what = "deployment project"

    def get_knowledge_base(self, deployment_project_id: str) -> Dict_:
        """A deployment project's knowledge base."""
        return self._get_dict(self._item(deployment_project_id, "knowledgeBase"), "knowledge base")


class DeploymentEndpoints(_WorkspaceCollection):
    """``client.deployment_endpoints``."""

    _collection = "deploymentEndpoints"
    _id_name = "deployment_endpoint_id"
    _what = "deployment endpoint"
