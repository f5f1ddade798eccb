"""The machinery one upload call shares between its files: a bounded thread pool, storage PUTs
of exact byte ranges, progress, and cancellation that reaches bodies already being sent.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..checks import check_count
from ..errors import ViError, ViInvalidParameterError, ViUploadError
from .progress import Progress, ProgressCallback
from .sources import Cancelled, FileSlice, Source, SourceChanged
from .storage import StorageSession

__all__ = ["UploadRun", "worker_count", "upload_progress", "reason_for", "workflow_error", "failure_error"]


def worker_count(max_workers: int, max_connections: Optional[int]) -> int:
    """``max_workers`` checked, and never more than the client's connections."""
    check_count("max_workers", max_workers)
    return max(1, min(max_workers, int(max_connections or max_workers)))


def upload_progress(
    progress: Union[None, Progress, ProgressCallback], show_progress: bool
) -> Tuple[Progress, bool]:
    """(progress, owned): an existing Progress is used as given (and not closed)."""
    if isinstance(progress, Progress):
        return progress, False
    if progress is not None and not callable(progress):
        raise ViInvalidParameterError("progress", "progress must be a callable or a vi.transfers.Progress")
    return Progress("upload", callback=progress, show_progress=show_progress), True


def reason_for(error: BaseException) -> str:
    if isinstance(error, ViError):
        text = error.message
        if error.attempts and error.attempts > 1:
            text += " (after %d attempts)" % error.attempts
        return text
    if isinstance(error, SourceChanged):
        return "the file changed while it was being uploaded: %s" % error
    if isinstance(error, OSError):
        return "cannot read the file: %s" % error
    return "%s: %s" % (type(error).__name__, error)


def workflow_error(error: ViError, context: str, result: Any = None) -> ViError:
    """``error`` again, as the same class a plain call raises, with ``context`` in front of its
    message and the original chained as the cause: a failure that stops the whole workflow (a
    closed client, a refused key, a dataset that does not exist) must not hide in a result.
    ``details["result"]`` keeps what earlier batches achieved."""
    state = error._state()
    state["details"] = dict(state.get("details") or {})
    if result is not None:
        state["details"]["result"] = result
    clone = type(error).__new__(type(error))
    ViError.__init__(clone, "%s: %s" % (context, error.message), cause=error, **state)
    return clone


def failure_error(
    message: str, failed: Mapping[str, str], errors: Mapping[str, BaseException], **details: Any
) -> ViUploadError:
    """The :class:`ViUploadError` of ``raise_on_failure``: the message lists the first failures;
    ``status_code``, ``attempts`` and the cause come from the first file (by name) that failed with
    an error, and ``details["errors"]`` maps every such file to its error."""
    first = next((errors[name] for name in sorted(errors) if name in failed), None)
    return ViUploadError(
        "; ".join([message] + ["%s: %s" % kv for kv in sorted(failed.items())[:5]]),
        status_code=getattr(first, "status_code", None),
        attempts=getattr(first, "attempts", None),
        cause=first,
        details=dict(details, failed=dict(failed), errors={n: e for n, e in errors.items() if n in failed}),
    )


class UploadRun:
    """State shared by the jobs of one call: storage, pool, progress, cancellation."""

    def __init__(self, storage: StorageSession, dataset_id: str, workers: int, progress: Progress) -> None:
        self.dataset_id = dataset_id
        self.storage = storage
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vi-upload")
        self.progress = progress
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        self.bytes_sent = 0

    def put(
        self,
        item: Source,
        method: Optional[str],
        url: str,
        headers: Optional[Mapping[str, str]],
        offset: int = 0,
        length: Optional[int] = None,
    ) -> Any:
        """One storage request with the bytes ``[offset, offset + length)`` of ``item``."""
        if self.cancelled.is_set():
            raise Cancelled()
        length = item.size - offset if length is None else length
        with item.open() as handle:
            body = FileSlice(handle, offset, length, self.progress, item.name, self.cancelled)
            response = self.storage.request(
                (method or "PUT").upper(),
                url,
                headers=dict(headers or {}),
                body=body if length else b"",
            )
        with self.lock:
            self.bytes_sent += length
        return response

    def run_all(
        self,
        jobs: Sequence[Tuple[Any, Callable[..., Any]]],
        on_result: Optional[Callable[[Any, Optional[BaseException]], None]] = None,
    ) -> List[Tuple[Any, Optional[BaseException]]]:
        """Run ``(key, fn)`` jobs on the pool; (key, error or None) for each, also handed to
        ``on_result`` (on this thread) as each finishes. Ctrl-C (or any BaseException) cancels
        what has not started, stops running bodies, and is re-raised."""
        futures: Dict[Future, Any] = {}
        results: List[Tuple[Any, Optional[BaseException]]] = []
        try:
            for key, fn in jobs:
                futures[self.executor.submit(fn)] = key
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                fatal: Optional[BaseException] = None
                for future in done:
                    error = future.exception()
                    if error is not None and not isinstance(error, Exception):
                        fatal = error  # after recording what did finish
                        continue
                    results.append((futures[future], error))
                    if on_result is not None:
                        on_result(futures[future], error)
                if fatal is not None:
                    raise fatal
        except BaseException:
            self.cancelled.set()
            for future in futures:
                future.cancel()
            wait(list(futures), timeout=30)
            raise
        return results

    def close(self) -> None:
        self.executor.shutdown(wait=True)
