"""In-memory state of the local Vi API, behind a single lock.

One lock (not one per collection) because requests from a client's thread pool touch several
collections at once (deleting a dataset drops its assets and annotations, listing renders
statistics over all of them) and must see a consistent snapshot. Methods return freshly rendered
JSON dicts, so nothing a caller holds aliases live state.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import views
from .demo import BASE_TIME_MS, DemoFactory, organization_name, owner_user_id
from .errors import Conflict, NotFound
from .operations import Operations
from .pagination import Page, page_by_seq
from .records import DatasetRecord, DeleteOperationRecord, OrganizationRecord, now_ms
from .stats import Stats
from .store_base import StoreBase
from .store_data import DataMixin
from .store_peripheral import PeripheralMixin
from .store_training import TrainingMixin

__all__ = ["Conflict", "NotFound", "Page", "Store", "seed_demo"]

JSON = Dict[str, Any]


class Store(DataMixin, TrainingMixin, PeripheralMixin, StoreBase):
    """All state of the local API. Resource families live in mixins (`store_*.py`) over one lock."""

    def __init__(self, stats: Optional[Stats] = None, operations: Optional[Operations] = None) -> None:
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._organizations: Dict[str, OrganizationRecord] = {}
        self._credentials: Dict[str, str] = {}
        self.stats = stats
        self.operations = operations if operations is not None else Operations()
        self.operations.bind(self._lock)

    def _next_seq(self) -> int:
        return next(self._seq)

    def _created(self, kind: str) -> None:
        if self.stats is not None:
            self.stats.record_create(kind)

    def advance(self) -> None:
        """Complete every operation whose time has come; the app calls this before each request."""
        with self._lock:
            self.operations.run_due()

    # -- credentials and organizations -------------------------------------------------------

    def add_credentials(self, secret_key: str, organization_id: str) -> bool:
        """Map a key to an organization (creating it empty); True if the organization is new."""
        if not isinstance(secret_key, str) or not secret_key:
            raise ValueError("secret_key must be a non-empty string")
        with self._lock:
            created = self.add_organization(organization_id)
            self._credentials[secret_key] = organization_id
            return created

    def organization_for_key(self, secret_key: str) -> Optional[str]:
        with self._lock:
            return self._credentials.get(secret_key)

    def add_organization(self, organization_id: str, name: Optional[str] = None) -> bool:
        if not isinstance(organization_id, str) or not organization_id:
            raise ValueError("organization_id must be a non-empty string")
        with self._lock:
            if organization_id in self._organizations:
                return False
            self._organizations[organization_id] = OrganizationRecord(
                org_id=organization_id,
                seq=next(self._seq),
                name=name or organization_name(organization_id),
                owner_user=owner_user_id(organization_id),
                billing_email="billing@{}.example".format(organization_id.split("-")[0].lower()),
                create_date=BASE_TIME_MS - 400 * 24 * 3600 * 1000,
                last_access=BASE_TIME_MS + 450000,
            )
            return True

    def organization_ids(self) -> List[str]:
        with self._lock:
            return list(self._organizations)

    def seed_demo(
        self,
        org_id: str,
        datasets: int = 25,
        assets_per_dataset: int = 12,
        annotations_per_asset: int = 2,
        runs: int = 3,
        seed: int = 0,
    ) -> List[str]:
        """Add deterministic demo datasets/assets/annotations/runs; returns the new dataset ids."""
        with self._lock:
            self.add_organization(org_id)
            org = self._organizations[org_id]
            factory = DemoFactory(org_id, lambda: next(self._seq), seed)
            taken = {ds.short_id for ds in org.datasets.values()}
            created: List[DatasetRecord] = []
            for index in range(datasets):
                ds = factory.dataset(index, taken, assets_per_dataset, annotations_per_asset)
                taken.add(ds.short_id)
                org.datasets[ds.composite_id] = ds
                created.append(ds)
            for index in range(runs):
                dataset = created[index % len(created)] if created else None
                run = factory.run(index, org.runs, dataset)
                org.runs[run.run_id] = run
            extras = factory.extras(seed)
            for ds in created:
                extras.dataset_extras(ds)
            extras.organization_extras(org)
            return [ds.composite_id for ds in created]

    def add_assets(
        self, org_id: str, dataset_id: str, count: int, annotations_per_asset: int = 0
    ) -> List[str]:
        """Bulk-add `count` generated assets to a dataset (benchmarks: 10 000 in well under 2 s)."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            factory = DemoFactory(org_id, lambda: next(self._seq), seed=len(ds.assets))
            return factory.bulk_assets(ds, count, annotations_per_asset)

    def list_organizations(self, org_ids: Iterable[str], after_seq: int, limit: int) -> Page:
        with self._lock:
            wanted = set(org_ids)
            records = [o for o in self._organizations.values() if o.org_id in wanted]
            return page_by_seq(records, after_seq, limit, views.organization_json)

    def get_organization(self, org_id: str) -> JSON:
        with self._lock:
            return views.organization_json(self._org(org_id))

    def update_organization(self, org_id: str, changes: Dict[str, Any]) -> JSON:
        with self._lock:
            org = self._org(org_id)
            for key in ("name", "last_access", "preference", "attributes"):
                if key in changes:
                    value = changes[key]
                    if key in ("preference", "attributes"):
                        value = dict(getattr(org, key), **value)
                    setattr(org, key, value)
            org.generation += 1
            return views.organization_json(org)

    # -- datasets ------------------------------------------------------------------------------

    def list_datasets(self, org_id: str, after_seq: int, limit: int, simple: bool = False) -> Page:
        render = views.simple_dataset_json if simple else views.dataset_json
        with self._lock:
            return page_by_seq(self._org(org_id).datasets.values(), after_seq, limit, render)

    def create_dataset(self, org_id: str, fields: Dict[str, Any]) -> JSON:
        with self._lock:
            org = self._org(org_id)
            short_id = "ds" + secrets.token_hex(4)
            while f"{org_id}_{short_id}" in org.datasets:
                short_id = "ds" + secrets.token_hex(4)
            created = now_ms()
            tags = dict(fields.get("tags") or {})
            self._created("dataset")
            ds = DatasetRecord(
                org_id=org_id,
                short_id=short_id,
                seq=next(self._seq),
                name=fields["name"],
                owner_user=org.owner_user,
                create_date=created,
                last_accessed=created,
                type=fields.get("type", "phrase-grounding"),
                content=fields.get("content", "Image"),
                description=fields.get("description"),
                localization=fields.get("localization", "Datature/Multi"),
                data_localization=fields.get("data_localization", "Datature/Multi"),
                status=fields.get("status", 0),
                tags=tags,
                tag_details={tag: {"description": None, "color": None} for tag in tags},
                attributes=dict(fields.get("attributes") or {}),
            )
            ds.asset_sources[views.DEFAULT_SOURCE] = views.default_source(ds.create_date)
            org.datasets[ds.composite_id] = ds
            org.delete_operations.pop(ds.composite_id, None)
            return views.dataset_json(ds)

    def get_dataset(self, org_id: str, dataset_id: str) -> JSON:
        with self._lock:
            return views.dataset_json(self._dataset(org_id, dataset_id))

    def update_dataset(self, org_id: str, dataset_id: str, changes: Dict[str, Any]) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            for key in ("name", "description", "preference", "attributes"):
                if key in changes:
                    value = changes[key]
                    if key in ("preference", "attributes"):
                        value = dict(getattr(ds, key), **value)
                    setattr(ds, key, value)
            ds.generation += 1
            ds.last_accessed = max(ds.last_accessed, now_ms())
            return views.dataset_json(ds)

    def delete_dataset(self, org_id: str, dataset_id: str) -> JSON:
        """Remove the dataset and everything under it at once; the operation reports progress.

        The data is gone immediately (lists and GETs 404 at once) whatever the operation's outcome:
        an injected `dataset_deletion` failure only changes what D7 reports.
        """
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            org = self._organizations[org_id]
            del org.datasets[dataset_id]
            operation = self.operations.start("dataset_deletion")
            started = operation.created_ms
            op = DeleteOperationRecord(org_id, dataset_id, org.owner_user, started, started, op=operation)
            org.delete_operations[dataset_id] = op
            for collection in (ds.assets, ds.exports, ds.bulk_deletions, ds.ingestions, ds.multiparts):
                collection.clear()
            ds.imports.clear()
            ds.folders.clear()
            ds.ontologies.clear()
            self.operations.schedule(operation.finish)
            return views.deleted_dataset_json(op)

    def get_delete_operation(self, org_id: str, dataset_id: str) -> JSON:
        with self._lock:
            op = self._org(org_id).delete_operations.get(dataset_id)
            if op is None:
                if dataset_id in self._organizations[org_id].datasets:
                    raise NotFound(f"No delete operation for dataset {dataset_id}")
                raise NotFound(f"Dataset {dataset_id} not found")
            return views.deleted_dataset_json(op)

    # -- assets and annotations -----------------------------------------------------------------

    def get_asset(self, org_id: str, dataset_id: str, asset_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = ds.assets.get(asset_id)
            if asset is None:
                raise NotFound(f"Asset {asset_id} not found in dataset {dataset_id}")
            return views.asset_json(ds, asset)

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

    # -- runs -------------------------------------------------------------------------------------

    def list_runs(self, org_id: str, after_seq: int, limit: int) -> Page:
        with self._lock:
            return page_by_seq(
                self._org(org_id).runs.values(), after_seq, limit, lambda r: views.run_json(org_id, r)
            )

    def get_run(self, org_id: str, run_id: str) -> JSON:
        with self._lock:
            run = self._org(org_id).runs.get(run_id)
            if run is None:
                raise NotFound(f"Run {run_id} not found")
            return views.run_json(org_id, run)

    def __repr__(self) -> str:
        with self._lock:
            return f"Store(organizations={len(self._organizations)}, credentials={len(self._credentials)})"


def seed_demo(store: Store, org_id: str, **options: Any) -> List[str]:
    """Module-level spelling of `Store.seed_demo`, for scripts that build a store by hand."""
    return store.seed_demo(org_id, **options)
