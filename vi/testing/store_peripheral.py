"""Peripheral resources and the organization extras (collaborators, quota).

The protocol types most of these as free-form `dict`s; each method's docstring says which
document the local server returns. Lists page with the same tokens as everything else.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import views
from .errors import BadRequest, Conflict, NotFound
from .filters import AssetQuery
from .pagination import Page, page_by_offset, page_by_seq
from .records import DatasetRecord, DocRecord, FolderRecord, OrganizationRecord
from .state import Family
from .views_data import asset_source_json, folder_json
from .views_training import deployment_statistics, doc_json

__all__ = ["DOC_KINDS", "PLANS", "PeripheralStore"]

JSON = Dict[str, Any]

#: P1/P2: the same three plans for everybody (plans are not workspace-scoped).
PLANS: List[JSON] = [
    {
        "planId": "free",
        "name": "Free",
        "tier": "Free",
        "priceUsdMonthly": 0,
        "limits": {"datasets": 3, "assets": 1000, "seats": 1, "gpuHours": 0},
    },
    {
        "planId": "developer",
        "name": "Developer",
        "tier": "Developer",
        "priceUsdMonthly": 49,
        "limits": {"datasets": 100, "assets": 100000, "seats": 5, "gpuHours": 20},
    },
    {
        "planId": "professional",
        "name": "Professional",
        "tier": "Professional",
        "priceUsdMonthly": 499,
        "limits": {"datasets": 1000, "assets": 5000000, "seats": 50, "gpuHours": 500},
    },
]

#: path collection → (org attribute, wire kind, id field, create-counter kind)
DOC_KINDS: Dict[str, Tuple[str, str, str, str]] = {
    "deployments": ("deployments", "Deployment", "deploymentId", "deployment"),
    "deploymentProjects": (
        "deployment_projects",
        "DeploymentProject",
        "deploymentProjectId",
        "deployment_project",
    ),
    "deploymentEndpoints": (
        "deployment_endpoints",
        "DeploymentEndpoint",
        "deploymentEndpointId",
        "deployment_endpoint",
    ),
}


class PeripheralStore(Family):
    """Plans, collaborators, quota, folders, ontologies, asset sources and the free-form documents."""

    # -- plans -------------------------------------------------------------------------------------

    def list_plans(self, after: int, limit: int) -> Page:
        return page_by_offset(PLANS, after, limit, copy.deepcopy)

    def get_plan(self, plan_id: str) -> JSON:
        for plan in PLANS:
            if plan["planId"] == plan_id:
                return copy.deepcopy(plan)
        raise NotFound(f"Plan {plan_id} not found")

    # -- collaborators and quota ----------------------------------------------------------------------

    def list_collaborators(
        self, org_id: str, after: int, limit: int, dataset_id: Optional[str] = None
    ) -> Page:
        """O4/D8 items: `{userId, name, email, workspaceRole}` (+ `datasetRole` for D8: Owner for the
        workspace owner, Editor for everybody else)."""
        with self._lock:
            org = self._org(org_id)
            if dataset_id is not None:
                self._dataset(org_id, dataset_id)
            items = []
            for user_id, info in org.collaborators.items():
                item = dict(info, userId=user_id)
                if dataset_id is not None:
                    item["datasetRole"] = "Owner" if info.get("workspaceRole") == "Owner" else "Editor"
                items.append(item)
            return page_by_offset(items, after, limit, lambda i: i)

    def remove_collaborator(self, org_id: str, user_id: str) -> None:
        with self._lock:
            org = self._org(org_id)
            info = org.collaborators.get(user_id)
            if info is None:
                raise NotFound(f"Collaborator {user_id} not found")
            if info.get("workspaceRole") == "Owner":
                raise Conflict(f"Cannot remove the workspace owner {user_id}")
            del org.collaborators[user_id]

    def get_quota(self, org_id: str) -> JSON:
        """O6: `{kind, workspaceId, tier, limits: {...}, usage: {datasets, assets, annotations, runs,
        flows, trainingProjects, deployments}}` — usage counted live from the store."""
        with self._lock:
            org = self._org(org_id)
            plan = next((p for p in PLANS if p["tier"] == org.tier), PLANS[1])
            assets = [a for ds in org.datasets.values() for a in ds.assets.values()]
            return {
                "kind": "WorkspaceQuota",
                "workspaceId": org_id,
                "tier": org.tier,
                "limits": dict(plan["limits"]),
                "usage": {
                    "datasets": len(org.datasets),
                    "assets": len(assets),
                    "annotations": sum(len(a.annotations) for a in assets),
                    "runs": len(org.runs),
                    "flows": len(org.flows),
                    "trainingProjects": len(org.training_projects),
                    "deployments": len(org.deployments),
                    "seats": len(org.collaborators),
                },
            }

    # -- folders ------------------------------------------------------------------------------------

    def _folder(self, ds: DatasetRecord, name: str) -> FolderRecord:
        folder = ds.folders.get(name)
        if folder is None:
            raise NotFound(f"Folder {name!r} not found in dataset {ds.composite_id}")
        return folder

    def list_folders(
        self, org_id: str, dataset_id: str, query: Dict[str, str], after: int, limit: int
    ) -> Page:
        """F1: `filter` = case-insensitive substring of the folder path; `sortBy` = `name` or
        `createDate` (default); `o` = `a` (default) or `d`."""
        sort_by = query.get("sortBy") or "createDate"
        order = query.get("o") or "a"
        if sort_by not in ("name", "createDate"):
            raise BadRequest(f"Invalid query parameter 'sortBy': {sort_by!r} (expected name or createDate)")
        if order not in ("a", "d"):
            raise BadRequest(f"Invalid query parameter 'o': {order!r} (expected a or d)")
        needle = (query.get("filter") or "").lower()
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            folders = [f for f in ds.folders.values() if needle in f.name.lower()]
            key: Callable[[FolderRecord], Any] = (
                (lambda f: f.name) if sort_by == "name" else (lambda f: f.seq)
            )
            folders.sort(key=key, reverse=order == "d")
            return page_by_offset(folders, after, limit, lambda f: folder_json(ds, f))

    def get_folder(self, org_id: str, dataset_id: str, name: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return folder_json(ds, self._folder(ds, name))

    def folder_children(
        self,
        org_id: str,
        dataset_id: str,
        name: str,
        child_type: str,
        after: int,
        limit: int,
        render_asset: Callable[[JSON], JSON],
    ) -> Page:
        """F3 items: `{"childType": "Folder", "folder": Folder}` for direct sub-folders, then
        `{"childType": "Asset", "asset": Asset}` for assets filed in the folder. `childType` is
        `All` (default), `Folder` or `Asset`."""
        if child_type not in ("All", "Folder", "Asset"):
            raise BadRequest(
                f"Invalid query parameter 'childType': {child_type!r} (expected All, Folder or Asset)"
            )
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._folder(ds, name)
            children: List[JSON] = []
            if child_type in ("All", "Folder"):
                prefix = name + "/"
                for folder in ds.folders.values():
                    if folder.name.startswith(prefix) and "/" not in folder.name[len(prefix) :]:
                        children.append({"childType": "Folder", "folder": folder_json(ds, folder)})
            if child_type in ("All", "Asset"):
                for asset in ds.assets.values():
                    if asset.folder == name:
                        children.append({"childType": "Asset", "asset": views.asset_json(ds, asset)})
        return page_by_offset(
            children, after, limit, lambda c: dict(c, asset=render_asset(c["asset"])) if "asset" in c else c
        )

    def put_folder(self, org_id: str, dataset_id: str, name: str, owner: str) -> Tuple[bool, JSON]:
        """F4: create or re-own; parents are not created implicitly (as on a flat object store)."""
        if not name or name.startswith("/") or name.endswith("/") or "//" in name:
            raise BadRequest(f"Invalid folder name {name!r}")
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            folder = ds.folders.get(name)
            now = self._now_ms()
            if folder is None:
                folder = FolderRecord(name, self._next_seq(), owner, now, now)
                ds.folders[name] = folder
                self._created("folder")
                return True, folder_json(ds, folder)
            if folder.owner != owner:
                folder.owner = owner
                folder.generation += 1
                folder.last_updated = max(folder.last_updated, now)
            return False, folder_json(ds, folder)

    def delete_folder(self, org_id: str, dataset_id: str, name: Optional[str]) -> None:
        """F5 (one folder and its sub-folders) or F6 (`name` None: all); filed assets become unfiled."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            if name is None:
                doomed = set(ds.folders)
            else:
                self._folder(ds, name)
                doomed = {n for n in ds.folders if n == name or n.startswith(name + "/")}
            for folder_name in doomed:
                del ds.folders[folder_name]
            for asset in ds.assets.values():
                if asset.folder in doomed:
                    asset.folder = None

    # -- ontologies ----------------------------------------------------------------------------------

    def _ontology_link(self, ds: DatasetRecord, ontology_id: str) -> str:
        return f"/workspaces/{ds.org_id}/datasets/{ds.composite_id}/ontologies/{ontology_id}"

    def _ontology_json(self, ds: DatasetRecord, record: DocRecord) -> JSON:
        out = doc_json(ds.org_id, "Ontology", "ontologyId", self._ontology_link(ds, record.doc_id), record)
        out["datasetId"] = ds.composite_id
        return out

    def _ontology(self, ds: DatasetRecord, ontology_id: str) -> DocRecord:
        record = ds.ontologies.get(ontology_id)
        if record is None:
            raise NotFound(f"Ontology {ontology_id} not found in dataset {ds.composite_id}")
        return record

    def list_ontologies(
        self, org_id: str, dataset_id: str, needle: Optional[str], after: int, limit: int
    ) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            needle = (needle or "").lower()
            records = (r for r in ds.ontologies.values() if needle in str(r.doc.get("name", "")).lower())
            return page_by_seq(records, after, limit, lambda r: self._ontology_json(ds, r))

    def get_ontology(self, org_id: str, dataset_id: str, ontology_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return self._ontology_json(ds, self._ontology(ds, ontology_id))

    def write_ontology(
        self, org_id: str, dataset_id: str, ontology_id: str, fields: JSON, replace: bool
    ) -> Tuple[bool, JSON]:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            record = ds.ontologies.get(ontology_id)
            if record is None and not replace:
                raise NotFound(f"Ontology {ontology_id} not found in dataset {ds.composite_id}")
            created, record = self._write_doc(ds.ontologies, ontology_id, fields, replace, "ontology")
            record.doc.setdefault("versions", [])
            return created, self._ontology_json(ds, record)

    def create_ontology_version(self, org_id: str, dataset_id: str, ontology_id: str, body: JSON) -> JSON:
        """L5 (our design): body `{"note"?: str, "spec"?: object}` → `{ontologyId, version, note, spec,
        createDate}`; the ontology's `spec` becomes the version's spec and `versions` grows."""
        from .validation import BodyError, _reject_unknown

        _reject_unknown(body, ("note", "spec"))
        note = body.get("note")
        if note is not None and not isinstance(note, str):
            raise BodyError("note", "must be a string or null")
        spec = body.get("spec")
        if spec is not None and not isinstance(spec, dict):
            raise BodyError("spec", "must be an object or null")
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            record = self._ontology(ds, ontology_id)
            versions = record.doc.setdefault("versions", [])
            now = self._now_ms()
            if spec is not None:
                record.doc["spec"] = copy.deepcopy(spec)
            version = {"version": len(versions) + 1, "note": note, "createDate": now}
            versions.append(version)
            record.generation += 1
            record.last_updated = max(record.last_updated, now)
            self._created("ontology_version")
            return dict(version, ontologyId=ontology_id, spec=copy.deepcopy(record.doc.get("spec") or {}))

    # -- asset sources -----------------------------------------------------------------------------------

    def list_asset_sources(self, org_id: str, dataset_id: str, after: int, limit: int) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return page_by_offset(
                list(ds.asset_sources.values()), after, limit, lambda s: asset_source_json(ds, s)
            )

    def _asset_source(self, ds: DatasetRecord, source: str) -> DocRecord:
        record = ds.asset_sources.get(source)
        if record is None:
            raise NotFound(f"Asset source {source} not found in dataset {ds.composite_id}")
        return record

    def get_asset_source(self, org_id: str, dataset_id: str, source: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return asset_source_json(ds, self._asset_source(ds, source))

    def sample_asset_source(self, org_id: str, dataset_id: str, source: str) -> JSON:
        """AS3: `{assetSource, sample: [{filename, mimeType, fileSize}] (≤ 5), total}`."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._asset_source(ds, source)
            assets = list(ds.assets.values())
            sample = [
                {"filename": a.filename, "mimeType": a.mime_type, "fileSize": a.file_size} for a in assets[:5]
            ]
            return {"assetSource": source, "sample": sample, "total": len(assets)}

    def delete_asset_source(self, org_id: str, dataset_id: str, source: str) -> None:
        """AS4: the source and its ingestion sessions and multipart uploads; assets stay."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._asset_source(ds, source)
            del ds.asset_sources[source]
            for key in [k for k, s in ds.ingestions.items() if s.source == source]:
                del ds.ingestions[key]
            for key in [k for k, m in ds.multiparts.items() if m.source == source]:
                del ds.multiparts[key]

    # -- assets with objects, intelliscribe -------------------------------------------------------------

    def assets_with_objects(
        self,
        org_id: str,
        dataset_id: str,
        query: AssetQuery,
        view: str,
        after: int,
        limit: int,
        render_asset: Callable[[JSON], JSON],
    ) -> Page:
        """W1: Asset documents plus `objects` (the asset's annotations). `view=recent` orders by
        last update, newest first; `default` in creation order."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)

            def render(asset: Any) -> JSON:
                out = render_asset(views.asset_json(ds, asset))
                out["objects"] = [views.annotation_json(ds, a) for a in asset.annotations.values()]
                return out

            predicate = query.predicate(ds)
            records = [a for a in ds.assets.values() if predicate(a)]
            if view == "recent":
                records.sort(key=lambda a: (a.last_updated, a.seq), reverse=True)
                return page_by_offset(records, after, limit, render)
            return page_by_seq(records, after, limit, render)

    def asset_with_objects(self, org_id: str, dataset_id: str, asset_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            out = views.asset_json(ds, asset)
            out["objects"] = [views.annotation_json(ds, a) for a in asset.annotations.values()]
            return out

    def intelliscribe(self, org_id: str, dataset_id: str, fields: JSON) -> List[JSON]:
        """I1: one generation per asset: `{assetId, caption, phrases: [{phrase, tag, target}], model}`.
        The caption reuses the asset's Caption annotation, or names its tags; `maxLength` truncates."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            names = {index: name for name, index in ds.tags.items()}
            out = []
            for asset_id in fields["asset_ids"]:
                asset = self._asset(ds, asset_id)
                caption = next((a.caption for a in asset.annotations.values() if a.role == "Caption"), "")
                if not caption:
                    tags = sorted({names.get(a.tag, "object") for a in asset.annotations.values()}) or [
                        "scene"
                    ]
                    caption = "A photo showing " + " and ".join(tags)
                if fields.get("max_length"):
                    caption = caption[: fields["max_length"]]
                phrases = []
                for name in names.values():
                    start = caption.find(name)
                    if start >= 0:
                        phrases.append(
                            {"phrase": name, "tag": ds.tags[name], "target": [start, start + len(name)]}
                        )
                out.append(
                    {
                        "assetId": asset_id,
                        "caption": caption,
                        "phrases": phrases,
                        "model": "intelliscribe-local",
                    }
                )
            return out

    # -- deployments, deployment projects, deployment endpoints ------------------------------------------

    def _write_doc(
        self, collection: "OrderedDict[str, DocRecord]", doc_id: str, fields: JSON, replace: bool, kind: str
    ) -> Tuple[bool, DocRecord]:
        """PUT (`replace`): create or replace the caller fields; PATCH: merge (spec merged per key)."""
        now = self._now_ms()
        attributes = fields.get("attributes")
        doc = {k: copy.deepcopy(v) for k, v in fields.items() if k != "attributes"}
        record = collection.get(doc_id)
        if record is None:
            record = DocRecord(doc_id, self._next_seq(), doc, now, now, dict(attributes or {}))
            collection[doc_id] = record
            self._created(kind)
            return True, record
        if replace:
            keep = {k: v for k, v in record.doc.items() if k == "versions"}
            if doc == {k: v for k, v in record.doc.items() if k != "versions"} and (
                attributes is None or attributes == record.attributes
            ):
                return False, record  # identical PUT: no new generation
            record.doc = dict(doc, **keep)
            if attributes is not None:
                record.attributes = dict(attributes)
        else:
            for key, value in doc.items():
                if key == "spec" and isinstance(record.doc.get("spec"), dict):
                    record.doc["spec"] = dict(record.doc["spec"], **value)
                else:
                    record.doc[key] = value
            if attributes is not None:
                record.attributes = dict(record.attributes, **attributes)
        record.generation += 1
        record.last_updated = max(record.last_updated, now)
        return False, record

    def _docs(self, org: OrganizationRecord, collection: str) -> "OrderedDict[str, DocRecord]":
        return getattr(org, DOC_KINDS[collection][0])

    def _doc_json(self, org_id: str, collection: str, record: DocRecord) -> JSON:
        _, kind, id_field, _ = DOC_KINDS[collection]
        return doc_json(org_id, kind, id_field, f"/workspaces/{org_id}/{collection}/{record.doc_id}", record)

    def _doc(self, org: OrganizationRecord, collection: str, doc_id: str) -> DocRecord:
        record = self._docs(org, collection).get(doc_id)
        if record is None:
            raise NotFound(f"{DOC_KINDS[collection][1]} {doc_id} not found")
        return record

    def list_docs(self, org_id: str, collection: str, needle: Optional[str], after: int, limit: int) -> Page:
        """DP1/DJ1/DE1: `filter` = case-insensitive substring of `name`."""
        with self._lock:
            org = self._org(org_id)
            needle = (needle or "").lower()
            records = (
                r
                for r in self._docs(org, collection).values()
                if needle in str(r.doc.get("name", "")).lower()
            )
            return page_by_seq(records, after, limit, lambda r: self._doc_json(org_id, collection, r))

    def get_doc(self, org_id: str, collection: str, doc_id: str) -> JSON:
        with self._lock:
            return self._doc_json(org_id, collection, self._doc(self._org(org_id), collection, doc_id))

    def write_doc(self, org_id: str, collection: str, doc_id: str, fields: JSON, replace: bool) -> JSON:
        with self._lock:
            org = self._org(org_id)
            if not replace:
                self._doc(org, collection, doc_id)
            _, record = self._write_doc(
                self._docs(org, collection), doc_id, fields, replace, DOC_KINDS[collection][3]
            )
            return self._doc_json(org_id, collection, record)

    def delete_doc(self, org_id: str, collection: str, doc_id: str) -> None:
        with self._lock:
            org = self._org(org_id)
            self._doc(org, collection, doc_id)
            del self._docs(org, collection)[doc_id]

    def deployment_statistics(self, org_id: str, deployment_ids: List[str]) -> JSON:
        """DP6 (one id → the statistics document) and DP7 (`{"items": {id: statistics}}`)."""
        with self._lock:
            org = self._org(org_id)
            for deployment_id in deployment_ids:
                self._doc(org, "deployments", deployment_id)
            now = self._now_ms()
            return {"items": {d: deployment_statistics(d, now) for d in deployment_ids}}

    def knowledge_base(self, org_id: str, project_id: str) -> JSON:
        """DJ6: `{deploymentProjectId, documents: [{documentId, title, sizeBytes}], updatedAt}`."""
        with self._lock:
            record = self._doc(self._org(org_id), "deploymentProjects", project_id)
            count = (record.doc.get("spec") or {}).get("documents", 0)
            count = (
                count if isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 100 else 0
            )
            documents = [
                {"documentId": f"doc-{i + 1:03d}", "title": f"Document {i + 1}", "sizeBytes": 1024 * (i + 1)}
                for i in range(count)
            ]
            return {
                "deploymentProjectId": project_id,
                "documents": documents,
                "updatedAt": record.last_updated,
            }
