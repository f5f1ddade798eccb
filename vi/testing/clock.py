"""The local server's sense of time, injectable so tests need not wait for an hour to pass.

Everything that depends on time (when a long-running operation comes due, when a pre-signed URL
expires, when an ingestion session whose files never arrived gives up with `ETIMEOUT`) asks one
clock. `SystemClock` is the real one; `ManualClock` moves only when a test says so:

    clock = ManualClock()
    with LocalViServer(clock=clock) as server:
        ...                       # start an upload and never send the file
        clock.advance(3601)       # the signed URLs have expired: the session ends with ETIMEOUT
"""

from __future__ import annotations

import threading
import time
from typing import Optional

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock:
    """Wall time (`time`) for timestamps and URL expiry, a monotonic reading for due times."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        return time.monotonic()

    def now_ms(self) -> int:
        """Milliseconds since the epoch, the unit of every timestamp the API returns."""
        return int(self.time() * 1000)


class SystemClock(Clock):
    """The machine's clocks."""

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock(Clock):
    """Starts at the real time and moves forward only through `advance`."""

    def __init__(self, start: Optional[float] = None) -> None:
        self._lock = threading.Lock()
        self._wall = time.time() if start is None else float(start)
        self._mono = 0.0

    def time(self) -> float:
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        """Move both readings forward by `seconds` (never backwards)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._wall += seconds
            self._mono += seconds

    def __repr__(self) -> str:
        return f"ManualClock(time={self.time():.3f})"
