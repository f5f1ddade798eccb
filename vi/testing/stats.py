"""Counters and a request log shared by the socket server, the WSGI app and the in-process adapter.

Pool and keep-alive behaviour of a client is only observable from the server side, so tests read
these numbers instead of poking at urllib3 internals. `creates` counts resources created through
the API (not by seeding), keyed by kind, so a test can assert that a retried non-idempotent create
was never duplicated: `server.stats.creates["dataset"] == 1`. Kinds: dataset, asset, annotation,
export, bulk_asset_deletion, ingestion_session, multipart_upload, annotation_import_session, run,
model, flow, training_project, folder, ontology, ontology_version, deployment, deployment_project,
deployment_endpoint.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Deque, List

from requests.structures import CaseInsensitiveDict

__all__ = ["RequestRecord", "Stats"]


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it, for asserting on what a client actually sent."""

    method: str
    path: str
    query: str
    headers: CaseInsensitiveDict = field(repr=False)
    body: bytes = field(repr=False)


class Stats:
    """Thread-safe counters; every mutation takes the same lock so maxima are never torn."""

    def __init__(self, max_records: int = 10000) -> None:
        self._lock = threading.Lock()
        self._max_records = max_records
        self.connections_opened = 0
        self.connections_open = 0
        self.max_connections_open = 0
        self.requests_in_flight = 0
        self.max_requests_in_flight = 0
        self.request_count = 0
        self.creates: "Counter[str]" = Counter()
        self._requests: Deque[RequestRecord] = deque(maxlen=max_records)

    @property
    def requests(self) -> List[RequestRecord]:
        """A snapshot (the most recent `max_records`), safe to iterate while the server appends."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Start a fresh measurement; live gauges stay, since those connections still exist."""
        with self._lock:
            self.connections_opened = 0
            self.max_connections_open = self.connections_open
            self.max_requests_in_flight = self.requests_in_flight
            self.request_count = 0
            self.creates = Counter()
            self._requests.clear()

    def record_create(self, kind: str) -> None:
        with self._lock:
            self.creates[kind] += 1

    def connection_opened(self) -> None:
        with self._lock:
            self.connections_opened += 1
            self.connections_open += 1
            self.max_connections_open = max(self.max_connections_open, self.connections_open)

    def connection_closed(self) -> None:
        with self._lock:
            self.connections_open -= 1

    def request_started(self, record: RequestRecord) -> None:
        with self._lock:
            self.request_count += 1
            self._requests.append(record)
            self.requests_in_flight += 1
            self.max_requests_in_flight = max(self.max_requests_in_flight, self.requests_in_flight)

    def request_finished(self) -> None:
        with self._lock:
            self.requests_in_flight -= 1

    def __repr__(self) -> str:
        return (
            f"Stats(connections_opened={self.connections_opened}, connections_open={self.connections_open}, "
            f"max_connections_open={self.max_connections_open}, request_count={self.request_count}, "
            f"requests_in_flight={self.requests_in_flight}, "
            f"max_requests_in_flight={self.max_requests_in_flight})"
        )
