"""In-memory state of the local Vi API: one `StoreState` behind one lock, and the family objects.

One lock (not one per collection) because requests from a client's thread pool touch several
collections at once (deleting a dataset drops its assets and annotations, listing renders
statistics over all of them) and must see a consistent snapshot. Methods return freshly rendered
JSON dicts, so nothing a caller holds aliases live state.

Each family of the API is its own object over the shared state (`store.datasets`,
`store.assets`, `store.exports`, `store.ingestion`, `store.imports`, `store.training`,
`store.peripheral`). The store also answers every family method by its plain name
(`store.list_assets(...)`), which is how the request handlers and tests call it.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional

from .clock import Clock
from .errors import Conflict, NotFound
from .operations import Operations
from .pagination import Page
from .records import DatasetRecord, OrganizationRecord
from .state import Family, StoreState
from .stats import Stats
from .store_assets import AssetStore
from .store_datasets import DatasetStore
from .store_exports import ExportStore
from .store_imports import ImportStore
from .store_ingestion import IngestionStore
from .store_peripheral import PeripheralStore
from .store_training import TrainingStore

__all__ = ["Conflict", "NotFound", "Page", "Store", "seed_demo"]


class Store:
    """All state of the local API; see the module docstring for the families."""

    def __init__(
        self,
        stats: Optional[Stats] = None,
        operations: Optional[Operations] = None,
        clock: Optional[Clock] = None,
    ) -> None:
        self.state = StoreState(stats, operations, clock)
        self.datasets = DatasetStore(self.state)
        self.assets = AssetStore(self.state)
        self.exports = ExportStore(self.state)
        self.ingestion = IngestionStore(self.state)
        self.imports = ImportStore(self.state)
        self.training = TrainingStore(self.state)
        self.peripheral = PeripheralStore(self.state)
        routes: Dict[str, Family] = {}
        for family in (
            self.datasets,
            self.assets,
            self.exports,
            self.ingestion,
            self.imports,
            self.training,
            self.peripheral,
        ):
            for name in dir(type(family)):
                if name.startswith("_") or name in ("state", "operations"):
                    continue
                if name in routes:
                    raise TypeError(f"store method {name!r} is defined by two families")
                routes[name] = family
        self._routes = routes

    def __getattr__(self, name: str) -> Any:
        routes = self.__dict__.get("_routes")
        if routes is not None and name in routes:
            return getattr(routes[name], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- shared state ----------------------------------------------------------------------------

    @property
    def stats(self) -> Optional[Stats]:
        return self.state.stats

    @property
    def operations(self) -> Operations:
        return self.state.operations

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def _lock(self) -> "threading.RLock":
        return self.state.lock

    @property
    def _organizations(self) -> Dict[str, OrganizationRecord]:
        return self.state.organizations

    def _dataset(self, org_id: str, dataset_id: str) -> DatasetRecord:
        return self.state.dataset(org_id, dataset_id)

    def _dataset_by_short(self, org_id: str, short_id: str) -> DatasetRecord:
        return self.state.dataset_by_short(org_id, short_id)

    @property
    def multipart_part_size(self) -> int:
        """Part size handed to new multipart uploads (tests set it small to get several parts)."""
        return self.state.multipart_part_size

    @multipart_part_size.setter
    def multipart_part_size(self, value: int) -> None:
        self.state.multipart_part_size = int(value)

    @property
    def upload_memory_limit(self) -> int:
        """Uploads up to this many bytes stay in memory; larger ones are spooled to disk."""
        return self.state.upload_memory_limit

    @upload_memory_limit.setter
    def upload_memory_limit(self, value: int) -> None:
        self.state.upload_memory_limit = int(value)

    def advance(self) -> None:
        """Complete every operation whose time has come; the app calls this before each request."""
        with self.state.lock:
            self.state.operations.run_due()

    def close(self) -> None:
        """Remove the temporary folder of spooled uploads (the server calls this on stop)."""
        self.state.remove_spool()

    def __repr__(self) -> str:
        with self.state.lock:
            return f"Store(organizations={len(self.state.organizations)}, credentials={len(self.state.credentials)})"


def seed_demo(store: Store, org_id: str, **options: Any) -> List[str]:
    """Module-level spelling of `Store.seed_demo`, for scripts that build a store by hand."""
    result: List[str] = store.seed_demo(org_id, **options)
    return result
