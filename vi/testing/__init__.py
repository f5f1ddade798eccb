"""A local Vi API for tests and offline development.

`LocalViServer` holds in-memory state (seeded with deterministic demo data), serves it over real
sockets on 127.0.0.1 with HTTP/1.1 keep-alive, or in-process through `InProcessAdapter`, and lets a
test inject faults and read connection/request statistics. Importing this package starts nothing.

    with LocalViServer() as server:
        client = vi.Client(secret_key=server.secret_key, organization_id=server.organization_id,
                           endpoint=server.url)

Every endpoint of the Vi API is served, plus the `/_storage/...` routes behind the
pre-signed URLs it hands out (see `storage.py`). What a test can control and observe:

* **Long-running operations** (exports, bulk asset deletions, dataset deletions, asset ingestion,
  annotation imports, runs, aggregations) complete `operation_delay` seconds (default 0.2) after
  they start — checked at each request, no background threads. `server.operations.delay` changes
  it later; `server.operations.finish_all()` completes everything pending now;
  `server.operations.fail_next(kind, reason=..., message=..., times=1)` makes the next operation
  of `kind` (`operations.KINDS`: export, bulk_asset_deletion, dataset_deletion, ingestion,
  annotation_import, run, aggregation) end in `FailedReach` with that reason and message.
* **Create counters**: `server.stats.creates` is a `Counter` of resources created through the API
  (not by seeding), keyed by kind (dataset, asset, annotation, export, run, flow, ...); a retried
  idempotent PUT-create (runs, flows, training projects) counts once.
* **Asset queries** (`filter`, `metadataQuery`, `strictQuery`, `ruleQuery`): syntax in `filters.py`.
* **Bulk data**: `server.store.add_assets(org_id, dataset_id, n)` adds n cheap assets (10 000 in
  well under a second) for listing benchmarks.
"""

from __future__ import annotations

import secrets
import string
import threading
import uuid
from typing import Any, Dict, Optional

from .adapter import InProcessAdapter
from .app import ViApp
from .clock import Clock, ManualClock, SystemClock
from .faults import FaultInjector
from .operations import Operations
from .server import ThreadedWSGIServer
from .stats import Stats
from .store import Store

__all__ = ["InProcessAdapter", "LocalViServer", "ManualClock", "generate_secret_key"]

_KEY_ALPHABET = string.ascii_letters + string.digits


def generate_secret_key() -> str:
    """A key of the shape the official SDK validates: `dtvi_` + 98 characters = 103."""
    return "dtvi_" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(98))


class LocalViServer:
    """The Vi API with in-memory state; see the module docstring for the usual pattern."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: Optional[str] = None,
        organization_id: Optional[str] = None,
        seed: bool = True,
        datasets: int = 25,
        assets_per_dataset: int = 12,
        annotations_per_asset: int = 2,
        runs: int = 3,
        operation_delay: float = 0.2,
        clock: Optional[Clock] = None,
    ) -> None:
        self.host = host
        self.port = port
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.stats = Stats()
        self.operations = Operations(operation_delay, self.clock)
        self.store = Store(self.stats, self.operations, self.clock)
        self.faults = FaultInjector()
        self.app = ViApp(self.store, self.faults, self.stats)
        self._seed_options: Dict[str, int] = {
            "datasets": datasets,
            "assets_per_dataset": assets_per_dataset,
            "annotations_per_asset": annotations_per_asset,
            "runs": runs,
        }
        self.secret_key = secret_key or generate_secret_key()
        self.organization_id = organization_id or str(uuid.uuid4())
        self.add_credentials(self.secret_key, self.organization_id, seed=seed)
        self._lock = threading.Lock()
        self._server: Optional[ThreadedWSGIServer] = None

    def add_credentials(self, secret_key: str, organization_id: str, seed: bool = True) -> None:
        """Accept `secret_key` for `organization_id`; a new organization gets demo data if `seed`.

        Any non-empty key is accepted, so tests can register keys that a client would reject.
        """
        created = self.store.add_credentials(secret_key, organization_id)
        if created and seed:
            self.store.seed_demo(organization_id, **self._seed_options)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> "LocalViServer":
        with self._lock:
            if self._server is None:
                server = ThreadedWSGIServer(self.app, self.stats, self.host, self.port)
                server.start()
                self._server = server
        return self

    def stop(self) -> None:
        """Close the listener and every keep-alive connection, and join all server threads."""
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        self.faults.interrupt()  # wake handlers sleeping in injected latency
        try:
            server.stop()
        finally:
            self.faults.resume()
            self.store.close()  # the temporary folder of spooled uploads

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> "LocalViServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- access -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash; only while running."""
        server = self._server
        if server is None:
            raise RuntimeError("LocalViServer is not running; call start() or use it as a context manager")
        host, port = server.address
        return f"http://{host}:{port}"

    def environment(self) -> Dict[str, str]:
        """The environment variables a client reads to connect here (includes the secret)."""
        return {
            "DATATURE_VI_API_ENDPOINT": self.url,
            "DATATURE_VI_SECRET_KEY": self.secret_key,
            "DATATURE_VI_ORGANIZATION_ID": self.organization_id,
        }

    def adapter(self) -> InProcessAdapter:
        """An adapter over the same app and state, for tests that need no sockets."""
        return InProcessAdapter(self.app)

    def reset(self) -> None:
        """Clear fault rules, global latency, queued operation failures and statistics (not data)."""
        self.faults.clear()
        self.operations.clear()
        self.stats.reset()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not running"
        return f"LocalViServer({where}, organization_id={self.organization_id!r})"
