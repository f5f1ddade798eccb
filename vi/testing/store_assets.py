"""Assets, their annotations, and bulk asset deletion.

An asset owns its annotations, so removing an asset (one by one or through a bulk deletion)
removes its annotations from every listing and count in the same instant.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from . import views
from .contents import Content, asset_content
from .errors import Conflict, NotFound
from .filters import AssetQuery
from .pagination import Page, page_by_offset, page_by_seq
from .records import AnnotationRecord, AssetRecord, BulkDeletionRecord, DatasetRecord
from .state import Family
from .views_data import bulk_deletion_json

__all__ = ["SORT_KEYS", "AssetStore"]

JSON = Dict[str, Any]

#: the asset listing's `sortBy` values → sort key over an asset
SORT_KEYS: Dict[str, Callable[[AssetRecord], Any]] = {
    "default": lambda a: a.seq,
    "assetId": lambda a: a.asset_id,
    "filename": lambda a: a.filename,
    "lastModified.contents": lambda a: (a.last_updated, a.seq),
    "metadata.fileSize": lambda a: (a.file_size, a.seq),
}


class AssetStore(Family):
    """Assets and annotations of a dataset."""

    # -- assets and annotations -----------------------------------------------------------------

    def get_asset(self, org_id: str, dataset_id: str, asset_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = ds.assets.get(asset_id)
            if asset is None:
                raise NotFound(f"Asset {asset_id} not found in dataset {dataset_id}")
            return views.asset_json(ds, asset)

    def asset_content(
        self, org_id: str, short_id: str, asset_id: str, filename: Optional[str] = None
    ) -> Content:
        """The one content of an asset (see `contents.py`); `filename` must match when given.

        Takes the composite dataset id or the short one, like the other test helpers."""
        with self._lock:
            ds = self.state.dataset_any(org_id, short_id)
            asset = ds.assets.get(asset_id)
            if asset is None:
                raise NotFound(f"Asset {asset_id} not found")
            if filename is not None and filename not in (asset.filename, "thumbnail.webp"):
                raise NotFound(f"Asset {asset_id} has no file {filename!r}")
            return asset_content(asset, (org_id, ds.short_id))

    def asset_bytes(self, org_id: str, dataset_id: str, asset_id: str) -> bytes:
        """The whole content of an asset, for tests (composite or short dataset id)."""
        content = self.asset_content(org_id, dataset_id, asset_id)
        return content.read(0, content.size)

    def _asset_annotations(self, org_id: str, dataset_id: str, asset_id: str) -> Tuple[DatasetRecord, Any]:
        ds = self._dataset(org_id, dataset_id)
        asset = ds.assets.get(asset_id)
        if asset is None:
            raise NotFound(f"Asset {asset_id} not found in dataset {dataset_id}")
        return ds, asset.annotations

    def list_annotations(
        self, org_id: str, dataset_id: str, asset_id: str, after_seq: int, limit: int
    ) -> Page:
        with self._lock:
            ds, annotations = self._asset_annotations(org_id, dataset_id, asset_id)
            return page_by_seq(annotations.values(), after_seq, limit, lambda a: views.annotation_json(ds, a))

    def get_annotation(self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str) -> JSON:
        with self._lock:
            ds, annotations = self._asset_annotations(org_id, dataset_id, asset_id)
            ann = annotations.get(annotation_id)
            if ann is None:
                raise NotFound(f"Annotation {annotation_id} not found on asset {asset_id}")
            return views.annotation_json(ds, ann)

    # -- assets ---------------------------------------------------------------------------------

    def list_assets(
        self,
        org_id: str,
        dataset_id: str,
        after: int,
        limit: int,
        query: Optional[AssetQuery] = None,
        sort: Optional[Tuple[str, bool]] = None,
        render: Optional[Callable[[DatasetRecord, AssetRecord], JSON]] = None,
    ) -> Page:
        """Keyset pages in creation order; with `sort=(sortBy, descending)` offset pages instead."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            predicate = (query or AssetQuery()).predicate(ds)
            draw = render or views.asset_json
            if sort is None or (sort[0] == "default" and not sort[1]):
                records = (a for a in ds.assets.values() if predicate(a))
                return page_by_seq(records, after, limit, lambda a: draw(ds, a))
            key = SORT_KEYS[sort[0]]
            ordered = sorted((a for a in ds.assets.values() if predicate(a)), key=key, reverse=sort[1])
            return page_by_offset(ordered, after, limit, lambda a: draw(ds, a))

    def count_assets(self, org_id: str, dataset_id: str, query: AssetQuery) -> int:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            predicate = query.predicate(ds)
            return sum(1 for a in ds.assets.values() if predicate(a))

    def delete_asset(self, org_id: str, dataset_id: str, asset_id: str) -> None:
        """Removes the asset and (with it) its annotations."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._asset(ds, asset_id)
            del ds.assets[asset_id]

    def rename_asset(
        self,
        org_id: str,
        dataset_id: str,
        new_name: str,
        asset_id: Optional[str] = None,
        filename: Optional[str] = None,
    ) -> JSON:
        """A5/A6; filenames are unique within a dataset, so renaming onto another asset's name is 409."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            if asset_id is not None:
                asset = self._asset(ds, asset_id)
            else:
                found = [a for a in ds.assets.values() if a.filename == filename]
                if not found:
                    raise NotFound(f"Asset file {filename} not found in dataset {dataset_id}")
                asset = found[0]
            clash = next((a for a in ds.assets.values() if a.filename == new_name and a is not asset), None)
            if clash is not None:
                raise Conflict(f"Asset {clash.asset_id} already has filename {new_name!r}")
            asset.filename = new_name
            asset.generation += 1
            asset.last_updated = max(asset.last_updated, self._now_ms())
            return views.asset_json(ds, asset)

    # -- annotations ----------------------------------------------------------------------------

    def put_annotation(
        self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str, fields: JSON
    ) -> Tuple[bool, JSON]:
        """N3: replace, or create under the caller's id (PUT is create-or-replace). True if created."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            now = self._now_ms()
            current = asset.annotations.get(annotation_id)
            if current is None:
                record = AnnotationRecord(
                    annotation_id=annotation_id,
                    asset_id=asset_id,
                    seq=self._next_seq(),
                    tag=fields["tag"],
                    role=fields["role"],
                    group_id=fields["group_id"],
                    time_created=now,
                    last_updated=now,
                    caption=fields["caption"],
                    bound=fields["bound"],
                    target=fields["target"],
                    attributes=dict(fields.get("attributes") or {}),
                )
                asset.annotations[annotation_id] = record
                self._created("annotation")
                return True, views.annotation_json(ds, record)
            for key in ("tag", "role", "group_id", "caption", "bound", "target"):
                setattr(current, key, fields[key])
            if "attributes" in fields:
                current.attributes = dict(fields["attributes"])
            current.generation += 1
            current.last_updated = max(current.last_updated, now)
            return False, views.annotation_json(ds, current)

    def annotation_document(self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str) -> JSON:
        return self.get_annotation(org_id, dataset_id, asset_id, annotation_id)

    def patch_annotation(
        self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str, fields: JSON
    ) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            current = asset.annotations.get(annotation_id)
            if current is None:
                raise NotFound(f"Annotation {annotation_id} not found on asset {asset_id}")
            for key in ("tag", "role", "group_id", "caption", "bound", "target"):
                setattr(current, key, fields[key])
            if "attributes" in fields:
                current.attributes = dict(current.attributes, **fields["attributes"])
            current.generation += 1
            current.last_updated = max(current.last_updated, self._now_ms())
            return views.annotation_json(ds, current)

    def delete_annotation(self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str) -> None:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            if annotation_id not in asset.annotations:
                raise NotFound(f"Annotation {annotation_id} not found on asset {asset_id}")
            del asset.annotations[annotation_id]

    # -- bulk asset deletion ----------------------------------------------------------------------

    def create_bulk_deletion(self, org_id: str, dataset_id: str, spec: JSON) -> JSON:
        query = AssetQuery(
            spec.get("filter"),
            spec.get("metadataQuery"),
            spec.get("ruleQuery"),
            bool(spec.get("strictQuery")),
        )
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = BulkDeletionRecord(
                self._new_id("dmas-", ds.bulk_deletions),
                self._next_seq(),
                spec,
                self.operations.start("bulk_asset_deletion"),
            )
            ds.bulk_deletions[session.session_id] = session
            self._created("bulk_asset_deletion")

            def finish() -> None:
                if ds.bulk_deletions.get(session.session_id) is not session or not session.op.finish():
                    return
                predicate = query.predicate(ds)
                doomed = [asset_id for asset_id, a in ds.assets.items() if predicate(a)]
                for asset_id in doomed:
                    del ds.assets[asset_id]
                session.deleted = len(doomed)

            self.operations.schedule(finish)
            return bulk_deletion_json(ds, session)

    def list_bulk_deletions(self, org_id: str, dataset_id: str, after: int, limit: int) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return page_by_seq(ds.bulk_deletions.values(), after, limit, lambda s: bulk_deletion_json(ds, s))

    def get_bulk_deletion(self, org_id: str, dataset_id: str, session_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = ds.bulk_deletions.get(session_id)
            if session is None:
                raise NotFound(f"Delete-many-assets session {session_id} not found")
            return bulk_deletion_json(ds, session)
