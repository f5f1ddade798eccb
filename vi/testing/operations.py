"""Long-running operations: how exports, deletions, ingestions, imports and runs advance over time.

The real service finishes these in the background; a client only ever sees them by polling. So the
local server needs no threads: every operation records when it becomes due, and the store advances
all due operations at the start of each request (under its lock), which makes progress depend only
on the clock and on what the client asks, never on a scheduler's timing.

Tests control the clock through `LocalViServer.operations` (this module's `Operations`):

    server = LocalViServer(operation_delay=0.0)      # every operation is done at the next request
    server.operations.delay = 5.0                    # ... or stays pending for 5 s
    server.operations.fail_next("export", reason="DiskFull", message="no space left")
    server.operations.finish_all()                   # complete everything pending right now

A failure set with `fail_next` applies to the next operation of that kind that is *created*; when
it comes due, its `Finished` condition (or the kind's final condition) turns `FailedReach` carrying
the reason and message, and its side effects (deleting assets, inserting files) do not happen.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Deque, Dict, List, Optional, Tuple

from .clock import Clock, SystemClock

__all__ = ["KINDS", "Failure", "Operation", "Operations"]

#: Operation kinds that `fail_next` accepts.
KINDS = (
    "export",  # D9 dataset exports
    "bulk_asset_deletion",  # D14 deleteManyAssetsSessions
    "dataset_deletion",  # D6/D7 dataset delete operation
    "ingestion",  # A7 asset ingestion sessions
    "annotation_import",  # N6 annotation import sessions
    "run",  # R3 training runs
    "aggregation",  # D13/FL8/T7 aggregation statistics and insights
)


@dataclass(frozen=True)
class Failure:
    reason: str
    message: str


@dataclass
class Operation:
    """The Started/Finished life cycle shared by every long-running resource."""

    kind: str
    created_ms: int
    failure: Optional[Failure] = None
    state: str = "pending"  # "pending" | "reached" | "failed"
    finished_ms: Optional[int] = None
    reason: Optional[str] = None
    message: Optional[str] = None
    generation: int = 1
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.state != "pending"

    def finish(self) -> bool:
        """Complete now: Reached, or FailedReach if a failure was injected. True on success."""
        if self.done:
            return self.state == "reached"
        self.finished_ms = max(self.clock.now_ms(), self.created_ms)
        self.generation += 1
        if self.failure is not None:
            self.state, self.reason, self.message = "failed", self.failure.reason, self.failure.message
            return False
        self.state = "reached"
        return True

    def fail(self, reason: str, message: Optional[str] = None) -> None:
        if self.done:
            return
        self.finished_ms = max(self.clock.now_ms(), self.created_ms)
        self.generation += 1
        self.state, self.reason, self.message = "failed", reason, message

    def final_condition(self, name: str = "Finished") -> Dict[str, Any]:
        status = {"pending": "Waiting", "reached": "Reached", "failed": "FailedReach"}[self.state]
        condition: Dict[str, Any] = {
            "condition": name,
            "status": status,
            "lastTransitionTime": self.finished_ms or self.created_ms,
        }
        if self.state == "failed":
            condition["reason"] = self.reason
            condition["message"] = self.message
        return condition

    def conditions(self) -> List[Dict[str, Any]]:
        started = {"condition": "Started", "status": "Reached", "lastTransitionTime": self.created_ms}
        return [started, self.final_condition()]


@dataclass(order=True)
class _Due:
    when: float
    order: int
    callback: Callable[[], object] = field(compare=False)


class Operations:
    """Delay and failure control for every long-running operation of one store."""

    def __init__(self, delay: float = 0.2, clock: Optional[Clock] = None) -> None:
        if delay < 0:
            raise ValueError("operation delay must be >= 0")
        #: Seconds from creation (or from the triggering event) until an operation completes.
        self.delay = float(delay)
        self._config_lock = threading.Lock()
        self._failures: Dict[str, Deque[Failure]] = defaultdict(deque)
        self._heap: List[_Due] = []
        self._timers: List[_Due] = []
        self._order = itertools.count()
        self._store_lock: Optional[ContextManager[Any]] = None
        self.clock: Clock = clock if clock is not None else SystemClock()

    def bind(self, store_lock: ContextManager[Any]) -> None:
        """Callbacks mutate the store, so `finish_all` must run them under the store's lock."""
        self._store_lock = store_lock

    # -- test-facing API ------------------------------------------------------------------------

    def fail_next(
        self, kind: str, reason: str = "InjectedFailure", message: Optional[str] = None, times: int = 1
    ) -> None:
        """Make the next `times` operations of `kind` (see `KINDS`) end in `FailedReach`."""
        if kind not in KINDS:
            raise ValueError(
                "unknown operation kind {!r} (expected one of {})".format(kind, ", ".join(KINDS))
            )
        failure = Failure(reason, message or f"Injected {kind} failure")
        with self._config_lock:
            for _ in range(times):
                self._failures[kind].append(failure)

    def clear(self) -> None:
        """Forget pending injected failures (scheduled operations keep their due times)."""
        with self._config_lock:
            self._failures.clear()

    def finish_all(self) -> None:
        """Complete every pending operation now, whatever its due time."""
        lock = self._store_lock
        if lock is None:
            self.run_due(force=True)
            return
        with lock:
            self.run_due(force=True)

    @property
    def pending(self) -> int:
        return len(self._heap)

    # -- store-facing API (called with the store lock held) ------------------------------------

    def start(self, kind: str) -> Operation:
        """A new pending operation, consuming an injected failure for its kind if one is queued."""
        with self._config_lock:
            queue = self._failures.get(kind)
            failure = queue.popleft() if queue else None
        return Operation(kind, self.clock.now_ms(), failure, clock=self.clock)

    def schedule(self, callback: Callable[[], object], steps: float = 1.0) -> None:
        """Run `callback` once `steps` × `delay` seconds have passed (at the next request)."""
        due = _Due(self.clock.monotonic() + self.delay * steps, next(self._order), callback)
        heapq.heappush(self._heap, due)

    def schedule_in(self, seconds: float, callback: Callable[[], object]) -> None:
        """Run `callback` once `seconds` have passed on the clock, whatever the operation delay.

        These are deadlines (an upload window closing), not work: `finish_all` does not run them."""
        due = _Due(self.clock.monotonic() + seconds, next(self._order), callback)
        heapq.heappush(self._timers, due)

    def run_due(self, force: bool = False) -> None:
        now = self.clock.monotonic()
        while self._heap and (force or self._heap[0].when <= now):
            item = heapq.heappop(self._heap)
            item.callback()
        while self._timers and self._timers[0].when <= now:
            heapq.heappop(self._timers).callback()
        if force and self._heap:
            self.run_due(force=True)  # a deadline's callback may schedule more work

    def __repr__(self) -> str:
        with self._config_lock:
            queued: Tuple[Tuple[str, int], ...] = tuple((k, len(v)) for k, v in self._failures.items() if v)
        return f"Operations(delay={self.delay!r}, pending={self.pending}, failures={dict(queued)!r})"
