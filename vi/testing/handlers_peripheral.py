"""HTTP handlers for the peripheral resources: plans, folders, ontologies,
IntelliScribe, asset sources, assets with objects, annotation import extras (routed in
`handlers_data`), and deployments / deployment projects / deployment endpoints."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from . import bodies
from .filters import AssetQuery
from .handlers_base import HandlerBase
from .validation import BodyError

__all__ = ["PERIPHERAL_ROUTES", "PeripheralHandlers"]

Result = Tuple[int, Any]

_WS = ("workspaces", "{org}")
_DS = _WS + ("datasets", "{ds}")
_SRC = _DS + ("assetSources", "{cls}", "{provider}", "{src}")
_DOC_METHODS = {"GET": "get_doc", "PUT": "put_doc", "PATCH": "patch_doc", "DELETE": "delete_doc"}

PERIPHERAL_ROUTES: List[Tuple[Tuple[str, ...], Dict[str, str]]] = [
    (("plans",), {"GET": "list_plans"}),
    (("plans", "{plan}"), {"GET": "get_plan"}),
    (_DS + ("folders",), {"GET": "list_folders", "DELETE": "delete_all_folders"}),
    (_DS + ("folders", "{name*}"), {"GET": "get_folder", "PUT": "put_folder", "DELETE": "delete_folder"}),
    (_DS + ("folders", "{name*}", "children"), {"GET": "folder_children"}),
    (_DS + ("ontologies",), {"GET": "list_ontologies"}),
    (
        _DS + ("ontologies", "{ontology}"),
        {"GET": "get_ontology", "PUT": "put_ontology", "PATCH": "patch_ontology"},
    ),
    (_DS + ("ontologies", "{ontology}", "versions"), {"POST": "create_ontology_version"}),
    (_DS + ("intelliscribe", "generations"), {"POST": "intelliscribe"}),
    (_DS + ("assetSources",), {"GET": "list_asset_sources"}),
    (_SRC, {"GET": "get_asset_source", "DELETE": "delete_asset_source"}),
    (_SRC + ("sample",), {"GET": "sample_asset_source"}),
    (_DS + ("assetsWithObjects",), {"GET": "list_assets_with_objects"}),
    (_DS + ("assetsWithObjects", "{asset}"), {"GET": "get_asset_with_objects"}),
    (_WS + ("deploymentStatistics",), {"GET": "batch_deployment_statistics"}),
    (_WS + ("deployments", "{doc}", "statistics"), {"GET": "deployment_statistics"}),
    (_WS + ("deploymentProjects", "{doc}", "knowledgeBase"), {"GET": "knowledge_base"}),
] + [
    route
    for collection in ("deployments", "deploymentProjects", "deploymentEndpoints")
    for route in (
        (_WS + (collection,), {"GET": "list_docs"}),
        (_WS + (collection, "{doc}"), dict(_DOC_METHODS)),
    )
]


class PeripheralHandlers(HandlerBase):
    # -- plans ------------------------------------------------------------------------------------------

    def list_plans(self, request: Any, org_id: str) -> Result:
        return self._paged(request, self.store.list_plans)

    def get_plan(self, request: Any, org_id: str, plan: str) -> Result:
        return 200, self.store.get_plan(plan)

    # -- folders ----------------------------------------------------------------------------------------

    def list_folders(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return self._paged(
            request, lambda after, size: self.store.list_folders(org, ds, request.query, after, size)
        )

    def get_folder(self, request: Any, org_id: str, org: str, ds: str, name: str) -> Result:
        return 200, self.store.get_folder(org, ds, name)

    def folder_children(self, request: Any, org_id: str, org: str, ds: str, name: str) -> Result:
        child_type = request.query.get("childType") or "All"
        render = self._render_asset(request)
        return self._paged(
            request,
            lambda after, size: self.store.folder_children(org, ds, name, child_type, after, size, render),
        )

    def put_folder(self, request: Any, org_id: str, org: str, ds: str, name: str) -> Result:
        owner = bodies.folder_put(request.json_object())
        _, folder = self.store.put_folder(org, ds, name, owner)
        return 200, folder

    def delete_folder(self, request: Any, org_id: str, org: str, ds: str, name: str) -> Result:
        self.store.delete_folder(org, ds, name)
        return 204, None

    def delete_all_folders(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        self.store.delete_folder(org, ds, None)
        return 204, None

    # -- ontologies -------------------------------------------------------------------------------------

    def list_ontologies(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        needle = request.query.get("filter")
        return self._paged(
            request, lambda after, size: self.store.list_ontologies(org, ds, needle, after, size)
        )

    def get_ontology(self, request: Any, org_id: str, org: str, ds: str, ontology: str) -> Result:
        return 200, self.store.get_ontology(org, ds, ontology)

    def put_ontology(self, request: Any, org_id: str, org: str, ds: str, ontology: str) -> Result:
        fields = bodies.doc_body(request.json_object(), partial=False)
        _, document = self.store.write_ontology(org, ds, ontology, fields, replace=True)
        return 200, document

    def patch_ontology(self, request: Any, org_id: str, org: str, ds: str, ontology: str) -> Result:
        fields = bodies.doc_body(request.json_object(), partial=True)
        _, document = self.store.write_ontology(org, ds, ontology, fields, replace=False)
        return 200, document

    def create_ontology_version(self, request: Any, org_id: str, org: str, ds: str, ontology: str) -> Result:
        return 200, self.store.create_ontology_version(org, ds, ontology, request.json_object())

    # -- intelliscribe ----------------------------------------------------------------------------------

    def intelliscribe(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        body = request.json_object()
        if not body:
            raise BodyError("assetIds", "is required (the body must not be empty)")
        return 200, self.store.intelliscribe(org, ds, bodies.intelliscribe_body(body))

    # -- asset sources ------------------------------------------------------------------------------------

    def list_asset_sources(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_asset_sources(org, ds, after, size))

    def get_asset_source(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        return 200, self.store.get_asset_source(org, ds, f"{cls}/{provider}/{src}")

    def sample_asset_source(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        return 200, self.store.sample_asset_source(org, ds, f"{cls}/{provider}/{src}")

    def delete_asset_source(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        self.store.delete_asset_source(org, ds, f"{cls}/{provider}/{src}")
        return 204, None

    # -- assets with objects ------------------------------------------------------------------------------

    def list_assets_with_objects(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        view = request.query.get("view") or "default"
        if view not in ("default", "recent"):
            raise BodyError("view", f"must be default or recent (got {view!r})")
        query = AssetQuery.from_query(request.query, annotations=True)
        render = self._render_asset(request)
        return self._paged(
            request,
            lambda after, size: self.store.assets_with_objects(org, ds, query, view, after, size, render),
        )

    def get_asset_with_objects(self, request: Any, org_id: str, org: str, ds: str, asset: str) -> Result:
        return 200, self._render_asset(request)(self.store.asset_with_objects(org, ds, asset))

    # -- deployments, deployment projects, deployment endpoints ------------------------------------------

    @staticmethod
    def _collection(request: Any) -> str:
        return request.segments[2]

    def list_docs(self, request: Any, org_id: str, org: str) -> Result:
        collection, needle = self._collection(request), request.query.get("filter")
        return self._paged(
            request, lambda after, size: self.store.list_docs(org, collection, needle, after, size)
        )

    def get_doc(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        return 200, self.store.get_doc(org, self._collection(request), doc)

    def put_doc(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        fields = bodies.doc_body(request.json_object(), partial=False)
        return 200, self.store.write_doc(org, self._collection(request), doc, fields, replace=True)

    def patch_doc(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        fields = bodies.doc_body(request.json_object(), partial=True)
        return 200, self.store.write_doc(org, self._collection(request), doc, fields, replace=False)

    def delete_doc(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        self.store.delete_doc(org, self._collection(request), doc)
        return 204, None

    def deployment_statistics(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        return 200, self.store.deployment_statistics(org, [doc])["items"][doc]

    def batch_deployment_statistics(self, request: Any, org_id: str, org: str) -> Result:
        raw = request.query.get("deploymentIds") or ""
        ids = [i for i in raw.split(",") if i]
        if not 1 <= len(ids) <= 20:
            raise BodyError("deploymentIds", "must list 1 to 20 comma-separated deployment ids")
        return 200, self.store.deployment_statistics(org, ids)

    def knowledge_base(self, request: Any, org_id: str, org: str, doc: str) -> Result:
        return 200, self.store.knowledge_base(org, doc)
