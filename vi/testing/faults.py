"""Per-test fault injection: the failures a client's retry and error handling must survive.

Rules live on the server rather than in mocks so that the same fault reaches the client through
real sockets or through the in-process adapter, and the client cannot tell the difference.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Pattern, Union

__all__ = ["Fault", "FaultInjector", "FaultRule"]


@dataclass(frozen=True)
class Fault:
    """What a matched rule asks the server to do with one request."""

    status: Optional[int] = None
    body: Any = None
    headers: Optional[Dict[str, str]] = None
    retry_after: Optional[Union[int, float, str]] = None
    latency: Optional[float] = None
    drop: bool = False
    truncate: bool = False
    #: storage reads: answer 200 with the whole object even when a `Range` was asked for
    ignore_range: bool = False
    #: storage reads: flip bytes of the body (headers, checksums and length stay as they were)
    corrupt: bool = False


class FaultRule:
    """A request matcher plus a budget; `hits` lets a test assert the fault really fired."""

    def __init__(
        self,
        fault: Fault,
        method: Optional[str],
        path: Optional[Union[str, Pattern[str]]],
        times: Optional[int],
        probability: float,
        skip: int = 0,
    ) -> None:
        self.fault = fault
        self.skip = skip
        self.method = method.upper() if method else None
        self.path = re.compile(path) if isinstance(path, str) else path
        self.remaining = times
        self.probability = probability
        self.hits = 0

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path.search(path) is not None

    def __repr__(self) -> str:
        return f"FaultRule(method={self.method!r}, path={self.path.pattern if self.path else None!r}, remaining={self.remaining!r}, hits={self.hits}, fault={self.fault!r})"


class FaultInjector:
    """Ordered rules, first match wins; a seeded RNG keeps probabilistic faults reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []
        self._seed = seed
        self._random = random.Random(seed)
        self._wake = threading.Event()
        #: Fixed delay (seconds) before every request, for pool and concurrency tests.
        self.latency: float = 0.0

    def add(
        self,
        method: Optional[str] = None,
        path: Optional[Union[str, Pattern[str]]] = None,
        status: Optional[int] = None,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
        retry_after: Optional[Union[int, float, str]] = None,
        latency: Optional[float] = None,
        drop: bool = False,
        truncate: bool = False,
        times: Optional[int] = 1,
        probability: float = 1.0,
        ignore_range: bool = False,
        corrupt: bool = False,
        skip: int = 0,
    ) -> FaultRule:
        """Register a rule; `times=None` keeps it forever, `path` is a regex searched in the path.

        `skip=n` lets the first n matching requests through untouched (e.g. "fail the fourth
        part of a download"). `ignore_range` and `corrupt` act on storage reads only."""
        if times is not None and times < 0:
            raise ValueError("times must be >= 0 or None")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if status is not None and not 100 <= int(status) <= 599:
            raise ValueError("status must be an HTTP status code")
        if skip < 0:
            raise ValueError("skip must be >= 0")
        fault = Fault(
            status,
            body,
            dict(headers) if headers else None,
            retry_after,
            latency,
            drop,
            truncate,
            ignore_range,
            corrupt,
        )
        rule = FaultRule(fault, method, path, times, probability, skip)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget all rules and the global latency, and rewind the RNG so runs repeat."""
        with self._lock:
            self._rules = []
            self._random = random.Random(self._seed)
            self.latency = 0.0

    @property
    def rules(self) -> List[FaultRule]:
        with self._lock:
            return list(self._rules)

    def match(self, method: str, path: str) -> Optional[Fault]:
        """Consume one use of the first rule that applies to this request."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    return None
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                return rule.fault
        return None

    def sleep(self, seconds: float) -> None:
        """Delay that `interrupt()` cuts short, so stopping a server never waits on a slow fault."""
        if seconds and seconds > 0:
            self._wake.wait(seconds)

    def interrupt(self) -> None:
        self._wake.set()

    def resume(self) -> None:
        self._wake.clear()
