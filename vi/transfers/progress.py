"""Progress of a transfer: a callback for programs, an optional tqdm bar for people.

One :class:`Progress` object is shared by all the workers of a transfer (it is thread-safe).
It reports bytes and files; a callback gets a :class:`ProgressEvent` after every change, and the
tqdm bar (only when tqdm is installed, ``show_progress`` is true and stderr is a terminal)
shows the byte count, and stays on screen when the transfer ends. A quiet, non-interactive run
therefore prints nothing at all. Asking for a bar on a terminal without tqdm installed warns
once per process (``pip install vi-requests[progress]``) rather than silently drawing nothing.
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Any, Callable, NamedTuple, Optional

__all__ = ["ProgressEvent", "Progress", "ProgressCallback"]


class ProgressEvent(NamedTuple):
    """A snapshot after a change. ``total_bytes``/``total_files`` are None until known."""

    operation: str  # "upload" or "download"
    bytes_done: int
    total_bytes: Optional[int]
    files_done: int
    files_failed: int
    total_files: Optional[int]
    current: Optional[str]  # the file the change was about (a display name, never a URL)


ProgressCallback = Callable[[ProgressEvent], None]


_warned_no_tqdm = threading.Event()


def _warn_no_tqdm() -> None:
    if not _warned_no_tqdm.is_set():
        _warned_no_tqdm.set()
        warnings.warn(
            "show_progress=True draws a progress bar only with tqdm installed: "
            "pip install 'vi-requests[progress]' (or pip install tqdm)",
            RuntimeWarning,
            stacklevel=4,
        )


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Thread-safe counters with an optional callback and an optional tqdm bar."""

    def __init__(
        self,
        operation: str,
        *,
        total_bytes: Optional[int] = None,
        total_files: Optional[int] = None,
        callback: Optional[ProgressCallback] = None,
        show_progress: bool = False,
        stream: Any = None,
    ) -> None:
        if callback is not None and not callable(callback):
            from ..errors import ViInvalidParameterError

            raise ViInvalidParameterError("progress", "progress must be a callable taking a ProgressEvent")
        self.operation = operation
        self._lock = threading.Lock()
        self._callback = callback
        self.bytes_done = 0
        self.files_done = 0
        self.files_failed = 0
        self.total_bytes = total_bytes
        self.total_files = total_files
        self._bar = None
        out = stream if stream is not None else sys.stderr
        if show_progress and _is_terminal(out):
            try:
                from tqdm import tqdm  # optional: pip install vi-requests[progress]
            except ImportError:
                tqdm = None
                _warn_no_tqdm()
            if tqdm is not None:
                self._bar = tqdm(
                    total=total_bytes,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=operation.capitalize(),
                    file=out,
                    leave=True,  # the finished bar stays: it is the record of what was done
                )

    def set_totals(self, *, total_bytes: Optional[int] = None, total_files: Optional[int] = None) -> None:
        with self._lock:
            if total_bytes is not None:
                self.total_bytes = total_bytes
                if self._bar is not None:
                    self._bar.total = total_bytes
                    self._bar.refresh()
            if total_files is not None:
                self.total_files = total_files

    def add_bytes(self, count: int, current: Optional[str] = None) -> None:
        if not count:
            return
        with self._lock:
            self.bytes_done += count
            if self._bar is not None:
                self._bar.update(count)
            event = self._event(current)
        self._emit(event)

    def file_done(self, current: Optional[str] = None, *, failed: bool = False) -> None:
        with self._lock:
            if failed:
                self.files_failed += 1
            else:
                self.files_done += 1
            event = self._event(current)
        self._emit(event)

    def _event(self, current: Optional[str]) -> ProgressEvent:
        return ProgressEvent(
            self.operation,
            self.bytes_done,
            self.total_bytes,
            self.files_done,
            self.files_failed,
            self.total_files,
            current,
        )

    def _emit(self, event: ProgressEvent) -> None:
        if self._callback is not None:
            self._callback(event)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
