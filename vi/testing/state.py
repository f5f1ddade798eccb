"""The one state every store family works on: records, the lock, ids, clock and operations.

The local API's families (datasets, assets, exports, ingestion, imports, training, peripherals)
are separate objects so that no module grows past a screenful of concerns, but they share this
single `StoreState` and its single lock: deleting a dataset drops its assets and annotations, and
a listing renders statistics over all of them, so every family must see one consistent snapshot.
`Family` gives each family the shared look-ups (`_org`, `_dataset`, ...) without inheritance
between families.
"""

from __future__ import annotations

import itertools
import secrets
import shutil
import tempfile
import threading
from typing import Any, Dict, Optional

from .clock import Clock
from .errors import NotFound
from .operations import Operations
from .records import AssetRecord, DatasetRecord, OrganizationRecord
from .stats import Stats

__all__ = ["MULTIPART_PART_SIZE", "UPLOAD_MEMORY_LIMIT", "Family", "StoreState"]

#: Part size the server picks for multipart uploads (the example's 1.5 GiB file → 24 parts);
#: a test may set `store.multipart_part_size` smaller to get several parts from a small file.
MULTIPART_PART_SIZE = 64 * 1024 * 1024
#: Uploads up to this size are kept in memory; larger ones are spooled to files in the server's
#: temporary folder (`store.upload_memory_limit`), so memory stays flat for any upload size.
UPLOAD_MEMORY_LIMIT = 16 * 1024 * 1024


class StoreState:
    """Records and the lock that guards them, plus what every family needs to create records."""

    def __init__(
        self,
        stats: Optional[Stats] = None,
        operations: Optional[Operations] = None,
        clock: Optional[Clock] = None,
    ) -> None:
        self.lock = threading.RLock()
        self.operations = operations if operations is not None else Operations(clock=clock)
        if clock is not None:
            self.operations.clock = clock
        #: One clock for due times, timestamps and expiry (see `clock.ManualClock` for tests).
        self.clock: Clock = self.operations.clock
        self.organizations: Dict[str, OrganizationRecord] = {}
        self.credentials: Dict[str, str] = {}
        self.stats = stats
        self.operations.bind(self.lock)
        self.multipart_part_size = MULTIPART_PART_SIZE
        self.upload_memory_limit = UPLOAD_MEMORY_LIMIT
        #: Seconds an upload URL (and so an ingestion session waiting for its files) stays valid.
        self.upload_ttl_seconds = 3600.0
        self._seq = itertools.count(1)
        self._spool_dir: Optional[str] = None

    def next_seq(self) -> int:
        return next(self._seq)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def created(self, kind: str) -> None:
        if self.stats is not None:
            self.stats.record_create(kind)

    def spool_dir(self) -> str:
        """The server's own temporary folder for large uploads (made on first use)."""
        with self.lock:
            if self._spool_dir is None:
                self._spool_dir = tempfile.mkdtemp(prefix="vi-local-server-")
            return self._spool_dir

    def remove_spool(self) -> None:
        """Delete the temporary folder and everything spooled into it."""
        with self.lock:
            folder, self._spool_dir = self._spool_dir, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    # -- look-ups shared by every family (call with the lock held) ----------------------------------

    def org(self, org_id: str) -> OrganizationRecord:
        try:
            return self.organizations[org_id]
        except KeyError:
            raise NotFound(f"Workspace {org_id} not found") from None

    def dataset(self, org_id: str, dataset_id: str) -> DatasetRecord:
        """By the composite id (`{org}_{short}`) the wire carries."""
        try:
            return self.org(org_id).datasets[dataset_id]
        except KeyError:
            raise NotFound(f"Dataset {dataset_id} not found") from None

    def dataset_any(self, org_id: str, dataset_id: str) -> DatasetRecord:
        """By composite id or by the short id every SDK call returns (for test helpers)."""
        datasets = self.org(org_id).datasets
        found = datasets.get(dataset_id) or datasets.get(f"{org_id}_{dataset_id}")
        if found is None:
            raise NotFound(f"Dataset {dataset_id} not found")
        return found

    def dataset_by_short(self, org_id: str, short_id: str) -> DatasetRecord:
        return self.dataset(org_id, f"{org_id}_{short_id}")

    @staticmethod
    def asset(ds: DatasetRecord, asset_id: str) -> AssetRecord:
        asset = ds.assets.get(asset_id)
        if asset is None:
            raise NotFound(f"Asset {asset_id} not found in dataset {ds.composite_id}")
        return asset

    @staticmethod
    def new_id(prefix: str, taken: Any, length: int = 8) -> str:
        while True:
            value = prefix + secrets.token_hex(length // 2 + length % 2)[:length]
            if value not in taken:
                return value


class Family:
    """One family of the API over the shared state; the short names keep each method readable."""

    def __init__(self, state: StoreState) -> None:
        self.state = state

    @property
    def _lock(self) -> "threading.RLock":
        return self.state.lock

    @property
    def operations(self) -> Operations:
        return self.state.operations

    def _next_seq(self) -> int:
        return self.state.next_seq()

    def _now_ms(self) -> int:
        return self.state.now_ms()

    def _created(self, kind: str) -> None:
        self.state.created(kind)

    def _org(self, org_id: str) -> OrganizationRecord:
        return self.state.org(org_id)

    def _dataset(self, org_id: str, dataset_id: str) -> DatasetRecord:
        return self.state.dataset(org_id, dataset_id)

    def _dataset_by_short(self, org_id: str, short_id: str) -> DatasetRecord:
        return self.state.dataset_by_short(org_id, short_id)

    def _asset(self, ds: DatasetRecord, asset_id: str) -> AssetRecord:
        return self.state.asset(ds, asset_id)

    @staticmethod
    def _new_id(prefix: str, taken: Any, length: int = 8) -> str:
        return StoreState.new_id(prefix, taken, length)
