"""A one-line progress bar on stderr, drawn only when stderr is a terminal.

It is fed by the SDK's ``progress=`` callback (called from the transfer's worker threads), so
it needs no extra package; piped or redirected output never sees a control character.
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

__all__ = ["ProgressBar", "human_bytes"]


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (count, unit)
        count /= 1024.0
    return "%.1f TB" % count  # pragma: no cover


class ProgressBar:
    """Callable with a ``ProgressEvent``; redraws at most ten times a second."""

    def __init__(self, stream: IO[str], label: str, width: int = 24) -> None:
        self._stream = stream
        self._label = label
        self._width = width
        self._lock = threading.Lock()
        self._last = 0.0
        self._drawn = False

    def __call__(self, event: Any) -> None:
        now = time.monotonic()
        done = event.total_files is not None and event.files_done + event.files_failed >= event.total_files
        with self._lock:
            if not done and now - self._last < 0.1:
                return
            self._last = now
            self._draw(event)

    def _draw(self, event: Any) -> None:
        total = event.total_bytes or 0
        fraction = min(1.0, event.bytes_done / total) if total else 0.0
        filled = int(fraction * self._width)
        files = "%d/%s files" % (
            event.files_done,
            event.total_files if event.total_files is not None else "?",
        )
        if event.files_failed:
            files += ", %d failed" % event.files_failed
        sizes = human_bytes(event.bytes_done) + ("/" + human_bytes(total) if total else "")
        line = "%s [%s%s] %3d%% %s %s" % (
            self._label,
            "#" * filled,
            "." * (self._width - filled),
            int(fraction * 100),
            files,
            sizes,
        )
        self._stream.write("\r\x1b[2K" + line)
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        with self._lock:
            if self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False
