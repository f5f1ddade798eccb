"""What every store mixin may rely on: the lock, the organizations and the shared look-ups.

The families of the API live in separate mixins (`store_data`, `store_training`,
`store_peripheral`) so no module grows past a screenful of concerns; they all work on the same
records under the same lock, which is what keeps relations (dataset → assets → annotations,
run → models, ...) consistent.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any, Dict

from .errors import NotFound
from .operations import Operations
from .records import AssetRecord, DatasetRecord, OrganizationRecord

__all__ = ["StoreBase"]


class StoreBase:
    _lock: "threading.RLock"
    _organizations: Dict[str, OrganizationRecord]
    operations: Operations

    def _next_seq(self) -> int:  # pragma: no cover - provided by Store
        raise NotImplementedError

    def _created(self, kind: str) -> None:  # pragma: no cover - provided by Store
        raise NotImplementedError

    def _org(self, org_id: str) -> OrganizationRecord:
        try:
            return self._organizations[org_id]
        except KeyError:
            raise NotFound(f"Workspace {org_id} not found") from None

    def _dataset(self, org_id: str, dataset_id: str) -> DatasetRecord:
        try:
            return self._org(org_id).datasets[dataset_id]
        except KeyError:
            raise NotFound(f"Dataset {dataset_id} not found") from None

    def _dataset_by_short(self, org_id: str, short_id: str) -> DatasetRecord:
        return self._dataset(org_id, f"{org_id}_{short_id}")

    def _asset(self, ds: DatasetRecord, asset_id: str) -> AssetRecord:
        asset = ds.assets.get(asset_id)
        if asset is None:
            raise NotFound(f"Asset {asset_id} not found in dataset {ds.composite_id}")
        return asset

    @staticmethod
    def _new_id(prefix: str, taken: Any, length: int = 8) -> str:
        while True:
            value = prefix + secrets.token_hex(length // 2 + length % 2)[:length]
            if value not in taken:
                return value
