"""Asset and annotation uploads (PROTOCOL §9), with the official client's upload bugs fixed.

``upload_assets`` and ``upload_annotations`` are the workflows behind ``client.assets.upload``
and ``client.annotations.upload``. What they promise, against §16 items 28–36:

* everything is checked before the first request: missing paths, folders without a matching
  file, unsupported extensions and two files that would land under one name (§16.34) raise
  ``ViValidationError`` naming each problem;
* files are streamed from disk (never read whole), through the client's shared pool, with at
  most ``max_workers`` (≤ the client's ``max_connections``) requests in flight;
* every storage PUT and every multipart part carries ``Content-Length`` (§16.33) and the method
  the server asked for (§16.32); retries rewind the body; 4xx such as an expired signature are
  not retried (§16.28);
* the CRC-32C is sent as each flow wants it (§9.4, :mod:`vi.transfers.crc32c`);
* a file that fails — locally, at storage, or rejected by the service (``ECORRUPT``,
  ``EBADSIZE`` …) — is in the result's ``failed`` with its reason, never swallowed (§16.31);
  ``raise_on_failure=True`` turns that into ``ViUploadError``;
* server descriptors are matched by the exact name sent, never by basename (§16.34);
* with ``resume=<path>`` a rerun skips what already arrived (:mod:`vi.transfers.manifest`).
"""

from __future__ import annotations

import fnmatch
import io
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ..errors import (
    ViError,
    ViInvalidParameterError,
    ViOperationError,
    ViTimeoutError,
    ViUploadError,
    ViValidationError,
)
from ..logging import get_logger
from .crc32c import crc32c, crc32c_file, to_base64, to_signed
from .manifest import UploadManifest
from .progress import Progress, ProgressCallback

__all__ = [
    "AssetUploadResult",
    "AnnotationUploadResult",
    "upload_assets",
    "upload_annotations",
    "MIME_TYPES",
    "DEFAULT_MULTIPART_THRESHOLD",
    "INGESTION_BATCH_SIZE",
]

PathArg = Union[str, "os.PathLike[str]"]

#: Files of this size and more go multipart (§9.2).
DEFAULT_MULTIPART_THRESHOLD = 1024**3
#: Above this size the asset flow sends no CRC-32C (``null``), as the protocol does (§9.1).
CRC_SIZE_LIMIT = 1024**3
#: At most this many assets per ingestion session (§9.1).
INGESTION_BATCH_SIZE = 5000
#: Seconds between polls of a session being processed.
DEFAULT_POLL_INTERVAL = 3.0

#: Extension → MIME type sent for assets (§9.1); anything else is not an asset.
MIME_TYPES: Dict[str, str] = {
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".jp2": "image/jp2",
    ".j2k": "image/jp2",
    ".png": "image/png",
    ".tiff": "image/tiff",
    ".tif": "image/tiff",
    ".webp": "image/webp",
    ".3gp": "video/3gpp",
    ".3gpp": "video/3gpp",
    ".avi": "video/x-msvideo",
    ".asf": "video/x-ms-asf",
    ".wmv": "video/x-ms-asf",
    ".f4v": "video/mp4",
    ".mp4": "video/mp4",
    ".flv": "video/x-flv",
    ".m4v": "video/x-m4v",
    ".mkv": "video/matroska",
    ".mpg": "video/mpeg",
    ".mov": "video/quicktime",
    ".movie": "video/quicktime",
    ".qt": "video/quicktime",
    ".ogg": "video/ogg",
    ".ogv": "video/ogg",
    ".rm": "application/vnd.rn-realmedia",
    ".rmv": "application/vnd.rn-realmedia",
    ".webm": "video/webm",
}
ANNOTATION_EXTENSIONS = (".json", ".jsonl")

#: What the service's per-file error codes mean (``AssetIngestionError``, §4).
INGESTION_ERRORS = {
    "ECORRUPT": "the CRC-32C of the bytes received does not match the one declared",
    "EBADSIZE": "the size of the bytes received does not match the one declared",
    "EBADMIME": "the content does not match its MIME type",
    "EALREADY": "the asset already exists",
    "ENOQUOTA": "the organization's storage quota is exhausted",
    "ETIMEOUT": "the file did not arrive before its upload URL expired",
    "EUNKNOWN": "the service could not ingest the file",
}

_log = get_logger()


# -- results -----------------------------------------------------------------------------------
@dataclass
class AssetUploadResult:
    """What happened to every file of an ``upload_assets`` call.

    ``succeeded``: target names the service ingested (with ``wait=False``: names whose bytes
    storage accepted, not yet confirmed — ``confirmed`` is then False). ``failed``: name →
    reason. ``skipped``: names a ``resume`` manifest showed as already uploaded."""

    dataset_id: str
    succeeded: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    session_ids: List[str] = field(default_factory=list)
    sessions: List[Any] = field(default_factory=list)  # final AssetIngestionSession documents
    bytes_uploaded: int = 0
    confirmed: bool = True

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed) + len(self.skipped)

    def summary(self) -> str:
        head = "Uploaded %d of %d file(s) to dataset %s" % (len(self.succeeded), self.total, self.dataset_id)
        parts = [head]
        if self.skipped:
            parts.append("%d skipped (already uploaded)" % len(self.skipped))
        if self.failed:
            parts.append("%d failed" % len(self.failed))
        if not self.confirmed:
            parts.append("not yet confirmed by the service (wait=False)")
        text = "; ".join(parts)
        for name, reason in sorted(self.failed.items())[:20]:
            text += "\n  %s: %s" % (name, reason)
        if len(self.failed) > 20:
            text += "\n  ... and %d more" % (len(self.failed) - 20)
        return text

    def __str__(self) -> str:
        return self.summary()


@dataclass
class AnnotationUploadResult:
    """What happened to every file of an ``upload_annotations`` call (one import session)."""

    dataset_id: str
    succeeded: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)
    session_id: Optional[str] = None
    session: Any = None  # the final AnnotationImportSession
    bytes_uploaded: int = 0
    confirmed: bool = True

    @property
    def skipped(self) -> List[str]:
        return []

    @property
    def session_ids(self) -> List[str]:
        return [self.session_id] if self.session_id else []

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        total = len(self.succeeded) + len(self.failed)
        text = "Imported %d of %d annotation file(s) into dataset %s (session %s)" % (
            len(self.succeeded),
            total,
            self.dataset_id,
            self.session_id or "-",
        )
        for name, reason in sorted(self.failed.items())[:20]:
            text += "\n  %s: %s" % (name, reason)
        return text

    def __str__(self) -> str:
        return self.summary()


# -- what to upload ----------------------------------------------------------------------------
@dataclass
class _Item:
    name: str  # the file name sent to the service: unique within one call
    path: Optional[str]  # absolute path, or None for bytes
    data: Optional[bytes]
    size: int
    mtime_ns: Optional[int]
    mime: str
    kind: str
    crc: Optional[int] = None  # unsigned CRC-32C once computed

    def source(self) -> str:
        return self.path if self.path is not None else "<bytes %s>" % self.name

    def open(self) -> Any:
        if self.data is not None:
            return io.BytesIO(self.data)
        return open(self.path, "rb")  # type: ignore[arg-type]


class _Cancelled(Exception):
    """Raised inside a body read once the transfer is being abandoned."""


class _SourceChanged(Exception):
    """The file on disk no longer has the size it had when it was announced."""


class _Slice(io.RawIOBase):
    """Bytes ``[offset, offset + length)`` of an open file as a seekable body of exactly that
    length: ``requests`` sends ``Content-Length: length`` (``__len__``), the storage session
    rewinds it with ``seek`` before a retry, and progress counts each byte once."""

    def __init__(
        self,
        handle: Any,
        offset: int,
        length: int,
        progress: Optional[Progress],
        name: str,
        cancelled: threading.Event,
    ) -> None:
        self._handle = handle
        self._offset = offset
        self._length = length
        self._pos = 0
        self._high = 0
        self._progress = progress
        self._name = name
        self._cancelled = cancelled
        handle.seek(offset)

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self._length
        self._pos = max(0, min(pos, self._length))
        self._handle.seek(self._offset + self._pos)
        return self._pos

    def read(self, size: Optional[int] = -1) -> bytes:
        if self._cancelled.is_set():
            raise _Cancelled()
        remaining = self._length - self._pos
        if remaining <= 0:
            return b""
        want = remaining if size is None or size < 0 else min(size, remaining)
        data = self._handle.read(want)
        if not data:
            raise _SourceChanged("%s ended %d bytes early" % (self._name, remaining))
        self._pos += len(data)
        if self._pos > self._high:
            if self._progress is not None:
                self._progress.add_bytes(self._pos - self._high, self._name)
            self._high = self._pos
        return bytes(data)

    def readinto(self, buffer: Any) -> int:  # pragma: no cover - read() is what is called
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _as_list(value: Any, name: str) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise ViInvalidParameterError(name, "%s must be a path or a list of paths" % name) from None


def _collect_paths(
    paths: Any,
    *,
    pattern: str,
    recursive: bool,
    relative_names: bool,
    accept: Callable[[str], bool],
    problems: List[str],
) -> List[Tuple[str, str]]:
    """(target name, absolute path) for every file to send; problems are appended, not raised."""
    out: List[Tuple[str, str]] = []
    seen = set()
    for raw in _as_list(paths, "paths"):
        if isinstance(raw, bytes) or not isinstance(raw, (str, os.PathLike)):
            problems.append("not a path: %r" % (raw,))
            continue
        path = os.path.abspath(os.path.expanduser(os.fspath(raw)))
        if os.path.isfile(path):
            if not accept(path):
                problems.append("unsupported file type: %s" % path)
                continue
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                out.append((os.path.basename(path), path))
        elif os.path.isdir(path):
            found = 0
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                if not recursive:
                    dirs[:] = []
                for filename in sorted(files):
                    full = os.path.join(folder, filename)
                    if not fnmatch.fnmatch(filename, pattern) or not accept(full) or not os.path.isfile(full):
                        continue
                    found += 1
                    real = os.path.realpath(full)
                    if real in seen:
                        continue
                    seen.add(real)
                    # The API takes bare file names (no "/"): folders are joined with "_".
                    name = os.path.relpath(full, path).replace(os.sep, "_") if relative_names else filename
                    out.append((name, full))
            if not found:
                problems.append("no files matching %r in folder %s" % (pattern, path))
        else:
            problems.append("no such file or folder: %s" % path)
    return out


def _check_unique(items: Sequence[_Item], problems: List[str]) -> None:
    by_name: Dict[str, List[str]] = {}
    for item in items:
        by_name.setdefault(item.name, []).append(item.source())
    for name, sources in by_name.items():
        if len(sources) > 1:
            problems.append("%d files would be uploaded as %r: %s" % (len(sources), name, ", ".join(sources)))


def _raise_problems(problems: List[str], what: str) -> None:
    if problems:
        raise ViValidationError(
            "Cannot upload %s: %s" % (what, "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")),
            details={"problems": problems},
            suggestion="Fix the paths listed; nothing was uploaded.",
        )


def _mime(name: str) -> Optional[str]:
    return MIME_TYPES.get(os.path.splitext(name)[1].lower())


def _asset_items(
    paths: Any, assets_bytes: Any, *, pattern: str, recursive: bool, relative_names: bool
) -> List[_Item]:
    problems: List[str] = []
    items: List[_Item] = []
    for name, path in _collect_paths(
        paths,
        pattern=pattern,
        recursive=recursive,
        relative_names=relative_names,
        accept=lambda p: _mime(p) is not None,
        problems=problems,
    ):
        st = os.stat(path)
        mime = _mime(path) or ""
        items.append(_Item(name, path, None, st.st_size, st.st_mtime_ns, mime, _kind(mime)))
    for index, pair in enumerate(_as_list(assets_bytes, "assets_bytes")):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            problems.append("assets_bytes[%d] is not a (filename, bytes) pair" % index)
            continue
        name, data = pair
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            problems.append("assets_bytes[%d] has an invalid file name %r" % (index, name))
            continue
        if not isinstance(data, (bytes, bytearray, memoryview)):
            problems.append("assets_bytes[%d] (%s) is not bytes" % (index, name))
            continue
        known = _mime(name)
        if known is None:
            problems.append("unsupported file type: %s (assets_bytes[%d])" % (name, index))
            continue
        data = bytes(data)
        items.append(_Item(name, None, data, len(data), None, known, _kind(known)))
    _check_unique(items, problems)
    _raise_problems(problems, "these assets")
    if not items:
        raise ViValidationError("No valid assets found to upload", details={"parameter": "paths"})
    return items


def _kind(mime: str) -> str:
    return "Video" if mime.startswith("video/") or mime.startswith("application/") else "Image"


# -- the shared machinery ------------------------------------------------------------------------
def _workers(client: Any, max_workers: int) -> int:
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ViInvalidParameterError("max_workers", "max_workers must be an integer >= 1")
    limit = getattr(getattr(client, "config", None), "max_connections", None) or max_workers
    return max(1, min(max_workers, int(limit)))


def _make_progress(
    progress: Union[None, Progress, ProgressCallback], show_progress: bool
) -> Tuple[Progress, bool]:
    """(progress, owned): an existing Progress is used as given (and not closed)."""
    if isinstance(progress, Progress):
        return progress, False
    if progress is not None and not callable(progress):
        raise ViInvalidParameterError("progress", "progress must be a callable or a vi.transfers.Progress")
    return Progress("upload", callback=progress, show_progress=show_progress), True


def _reason(error: BaseException) -> str:
    if isinstance(error, ViError):
        text = error.message
        if error.attempts and error.attempts > 1:
            text += " (after %d attempts)" % error.attempts
        return text
    if isinstance(error, _SourceChanged):
        return "the file changed while it was being uploaded: %s" % error
    if isinstance(error, OSError):
        return "cannot read the file: %s" % error
    return "%s: %s" % (type(error).__name__, error)


class _Run:
    """State shared by the jobs of one call: client, pool, progress, cancellation."""

    def __init__(self, client: Any, dataset_id: str, workers: int, progress: Progress) -> None:
        self.client = client
        self.dataset_id = dataset_id
        self.storage = client._requester.storage
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vi-upload")
        self.progress = progress
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        self.bytes_sent = 0

    def put(
        self,
        item: _Item,
        method: Optional[str],
        url: str,
        headers: Optional[Mapping[str, str]],
        offset: int = 0,
        length: Optional[int] = None,
    ) -> Any:
        """One storage request with the bytes ``[offset, offset + length)`` of ``item``."""
        if self.cancelled.is_set():
            raise _Cancelled()
        length = item.size - offset if length is None else length
        with item.open() as handle:
            body = _Slice(handle, offset, length, self.progress, item.name, self.cancelled)
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


def _describe_ingestion_error(code: str) -> str:
    meaning = INGESTION_ERRORS.get(code)
    return (
        "rejected by the service: %s (%s)" % (code, meaning)
        if meaning
        else "rejected by the service: %s" % code
    )


def _session_errors(session: Any) -> Dict[str, str]:
    errors: Dict[str, str] = {}
    for event in getattr(session.status, "events", None) or []:
        files = getattr(event, "files", None)
        if files is None and isinstance(event, dict) and event.get("kind") == "Error":
            files = event.get("files")
        if isinstance(files, dict):
            errors.update({str(k): str(v) for k, v in files.items()})
    return errors


def _finished(session: Any) -> bool:
    return any(
        c.condition == "Finished" and c.status in ("Reached", "FailedReach")
        for c in session.status.conditions
    )


# -- assets --------------------------------------------------------------------------------------
def upload_assets(
    client: Any,
    dataset_id: str,
    paths: Any = None,
    assets_bytes: Optional[Iterable[Tuple[str, bytes]]] = None,
    *,
    pattern: str = "*",
    recursive: bool = True,
    relative_names: bool = False,
    failure_mode: str = "FailAfterOne",
    on_asset_overwritten: str = "RemoveLinkedResource",
    max_workers: int = 8,
    wait: bool = True,
    timeout: Optional[float] = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    raise_on_failure: bool = False,
    resume: Optional[PathArg] = None,
    show_progress: bool = False,
    progress: Union[None, Progress, ProgressCallback] = None,
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
    batch_size: int = INGESTION_BATCH_SIZE,
) -> AssetUploadResult:
    """Upload files, folders and/or ``(filename, bytes)`` pairs as assets of a dataset.

    ``paths``: a file, a folder or a list of either. Folders are scanned (``recursive``) for
    files whose name matches ``pattern`` and whose extension is a supported image/video type
    (:data:`MIME_TYPES`); explicit files must have such an extension too. Each file is uploaded
    under its base name, or with ``relative_names=True`` under its path relative to the folder
    given with its folders joined by ``_`` (``train/cat.jpg`` → ``"train_cat.jpg"``: the API
    takes bare names). Everything is validated before the first request.

    Files of ``multipart_threshold`` bytes and more go multipart. ``wait`` polls each ingestion
    session until the service has processed it (``timeout`` seconds at most), which is what
    reveals files it rejected. ``resume`` names a JSON manifest: files it records as uploaded
    are skipped, and it is kept up to date as files arrive. ``progress`` is a callback taking a
    :class:`~vi.transfers.progress.ProgressEvent` (or a ``Progress``); ``show_progress`` draws a
    tqdm bar when stderr is a terminal.

    Returns an :class:`AssetUploadResult`; with ``raise_on_failure=True`` any failed file raises
    :class:`~vi.errors.ViUploadError` whose ``details["failed"]`` maps names to reasons (and
    ``details["result"]`` holds the result)."""
    from ..resources.uploads import FAILURE_MODES, RETENTION_MODES

    if failure_mode not in FAILURE_MODES:
        raise ViInvalidParameterError(
            "failure_mode", "failure_mode must be one of %s" % ", ".join(FAILURE_MODES)
        )
    if on_asset_overwritten not in RETENTION_MODES:
        raise ViInvalidParameterError(
            "on_asset_overwritten", "on_asset_overwritten must be one of %s" % ", ".join(RETENTION_MODES)
        )
    for name, value in (("multipart_threshold", multipart_threshold), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ViInvalidParameterError(name, "%s must be an integer >= 1" % name)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
    ):
        raise ViInvalidParameterError("timeout", "timeout must be a number of seconds >= 0 or None")
    if not isinstance(pattern, str) or not pattern:
        raise ViInvalidParameterError("pattern", "pattern must be a non-empty glob pattern")
    if paths is None and assets_bytes is None:
        raise ViValidationError("Pass paths or assets_bytes", details={"parameter": "paths"})
    workers = _workers(client, max_workers)
    client.assets._ds(dataset_id)  # the dataset id is checked before any I/O too
    items = _asset_items(
        paths, assets_bytes, pattern=pattern, recursive=recursive, relative_names=relative_names
    )
    result = AssetUploadResult(dataset_id=dataset_id, confirmed=wait)
    manifest = UploadManifest(resume, dataset_id) if resume is not None else None
    reporter, owned = _make_progress(progress, show_progress)
    run = _Run(client, dataset_id, workers, reporter)
    try:
        if manifest is not None:
            items = _apply_manifest(run, manifest, items, result)
        reporter.set_totals(
            total_bytes=sum(i.size for i in items), total_files=len(items) + len(result.skipped)
        )
        _checksums(run, items, result)
        for start in range(0, len(items), batch_size):
            batch = [i for i in items[start : start + batch_size] if i.name not in result.failed]
            if batch:
                _upload_batch(
                    run,
                    batch,
                    result,
                    manifest,
                    failure_mode,
                    on_asset_overwritten,
                    multipart_threshold,
                    wait,
                    timeout,
                    poll_interval,
                )
    finally:
        run.close()
        if manifest is not None:
            manifest.save(force=True)
        if owned:
            reporter.close()
    result.bytes_uploaded = run.bytes_sent
    if raise_on_failure and result.failed:
        raise ViUploadError(
            "%d of %d file(s) failed to upload: %s"
            % (
                len(result.failed),
                result.total,
                "; ".join("%s: %s" % kv for kv in sorted(result.failed.items())[:5]),
            ),
            details={
                "failed": dict(result.failed),
                "succeeded": list(result.succeeded),
                "session_ids": list(result.session_ids),
                "result": result,
            },
        )
    return result


def _apply_manifest(
    run: _Run, manifest: UploadManifest, items: List[_Item], result: AssetUploadResult
) -> List[_Item]:
    """Drop items the manifest shows as uploaded (checking unconfirmed ones with the service)."""
    todo: List[_Item] = []
    unconfirmed: Dict[str, List[_Item]] = {}
    for item in items:
        entry = manifest.get(item.name)
        same = (
            entry is not None
            and entry.get("size") == item.size
            and entry.get("path") == item.path
            and (item.path is None or entry.get("mtime_ns") == item.mtime_ns)
        )
        if same and item.path is None:  # bytes: same content?
            same = entry.get("crc32c") == crc32c(item.data or b"")  # type: ignore[union-attr]
        if not same:
            todo.append(item)
        elif entry.get("state") == "done":  # type: ignore[union-attr]
            result.skipped.append(item.name)
        elif entry.get("session"):  # type: ignore[union-attr]
            unconfirmed.setdefault(entry["session"], []).append(item)  # type: ignore[index]
        else:
            todo.append(item)
    assets = run.client.assets
    for session_id, waiting in unconfirmed.items():
        errors: Optional[Dict[str, str]] = None
        try:
            session = assets.get_ingestion_session(run.dataset_id, session_id)
            if not _finished(session):
                # Our own earlier run left it open: stop it, keeping what already arrived.
                assets.cancel_ingestion_session(run.dataset_id, session_id)
                session = assets.get_ingestion_session(run.dataset_id, session_id)
            errors = _session_errors(session) if _finished(session) else None
        except ViError as error:
            _log.warning(
                "Cannot check ingestion session %s for resume (%s); sending its files again",
                session_id,
                error.message,
            )
        for item in waiting:
            if errors is not None and item.name not in errors:
                manifest.set_state(item.name, "done")
                result.skipped.append(item.name)
            else:
                manifest.forget(item.name)
                todo.append(item)
    return todo


def _checksums(run: _Run, items: List[_Item], result: AssetUploadResult) -> None:
    """CRC-32C of every item up to ``CRC_SIZE_LIMIT`` (the protocol sends null above it)."""

    def one(item: _Item) -> None:
        if item.size > CRC_SIZE_LIMIT:
            return
        if item.data is not None:
            item.crc = crc32c(item.data)
            return
        with open(item.path, "rb") as handle:  # type: ignore[arg-type]
            item.crc = crc32c_file(handle, item.size)

    jobs = [(item, (lambda item=item: one(item))) for item in items]  # type: ignore[misc]
    for item, error in run.run_all(jobs):
        if error is not None:
            result.failed[item.name] = _reason(error)
            run.progress.file_done(item.name, failed=True)


@dataclass
class _Multipart:
    item: _Item
    upload_id: str
    part_count: int
    error: Optional[str] = None


def _upload_batch(
    run: _Run,
    batch: List[_Item],
    result: AssetUploadResult,
    manifest: Optional[UploadManifest],
    failure_mode: str,
    on_asset_overwritten: str,
    threshold: int,
    wait_done: bool,
    timeout: Optional[float],
    poll_interval: float,
) -> None:
    assets = run.client.assets
    dataset_id = run.dataset_id
    specs = [
        {
            "filename": i.name,
            "mime": i.mime,
            "size": i.size,
            "crc32c": to_signed(i.crc) if i.crc is not None else None,
            "kind": i.kind,
        }
        for i in batch
    ]
    try:
        session = assets.create_ingestion_session(dataset_id, specs, failure_mode, on_asset_overwritten)
    except ViError as error:
        for item in batch:
            result.failed[item.name] = "could not start an ingestion session: %s" % _reason(error)
            run.progress.file_done(item.name, failed=True)
        return
    session_id = session.asset_ingestion_session_id
    result.session_ids.append(session_id)
    descriptors = {a.metadata.filename: a.upload for a in (session.status.assets or [])}
    failed: Dict[str, str] = {}
    sent: List[_Item] = []
    multiparts: Dict[str, _Multipart] = {}
    jobs: List[Tuple[Any, Callable[[], Any]]] = []

    def mark_sent(item: _Item) -> None:
        sent.append(item)
        if manifest is not None:
            manifest.record(
                item.name,
                "sent",
                path=item.path,
                size=item.size,
                mtime_ns=item.mtime_ns,
                crc32c=item.crc,
                session=session_id,
            )

    try:
        for item in batch:
            upload = descriptors.get(item.name)
            if upload is None or not getattr(upload, "url", None):
                failed[item.name] = "the service returned no upload URL for this file"
                continue
            if item.size >= threshold:
                try:
                    mpu = assets.create_multipart_upload(
                        dataset_id, session.ingestion_id, item.name, item.size, item.mime
                    )
                except ViError as error:
                    failed[item.name] = "could not start a multipart upload: %s" % _reason(error)
                    continue
                state = _Multipart(item, mpu.multipart_upload_id, max(1, mpu.status.part_count))
                multiparts[item.name] = state
                for number in range(1, state.part_count + 1):
                    jobs.append(((item.name, number), (lambda s=state, n=number: _send_part(run, s, n))))  # type: ignore[misc]
            else:
                jobs.append(
                    (
                        (item.name, 0),
                        (lambda i=item, u=upload: run.put(i, u.method, u.url, u.headers).close()),
                    )
                )  # type: ignore[misc]
        items_by_name = {i.name: i for i in batch}

        def on_result(key: Tuple[str, int], error: Optional[BaseException]) -> None:
            name, number = key
            if error is None:
                if number == 0:  # recorded as it arrives, so an interruption keeps the record
                    _after_send(run, items_by_name[name], failed, mark_sent)
            elif number == 0:
                failed[name] = _reason(error)
            elif multiparts[name].error is None:
                multiparts[name].error = "part %d: %s" % (number, _reason(error))

        run.run_all(jobs, on_result)
        for name, state in multiparts.items():
            if state.error is None:
                try:
                    assets.complete_multipart_upload(dataset_id, state.upload_id)
                except ViError as error:
                    state.error = "could not complete the multipart upload: %s" % _reason(error)
            if state.error is not None:
                failed[name] = state.error
                _abort(run, state)
            else:
                _after_send(run, state.item, failed, mark_sent)
    except BaseException:
        # Ctrl-C or a bug: stop the session (files that arrived are kept), free the parts.
        for state in multiparts.values():
            _abort(run, state)
        _cancel(run, session_id)
        raise
    for name, reason in failed.items():
        result.failed[name] = reason
        run.progress.file_done(name, failed=True)
        if manifest is not None:
            manifest.forget(name)
    if failed:
        _cancel(run, session_id)  # the service would wait for the missing files until expiry
    final = session
    if wait_done or failed:
        final = _await(run, session_id, timeout, poll_interval)
        if final is None:
            for item in sent:
                result.failed[item.name] = "uploaded, but the service did not confirm it within the timeout"
                run.progress.file_done(item.name, failed=True)
            result.confirmed = False
            return
    result.sessions.append(final)
    errors = _session_errors(final) if final is not session else {}
    for item in sent:
        code = errors.get(item.name)
        if code is not None:
            result.failed[item.name] = _describe_ingestion_error(code)
            run.progress.file_done(item.name, failed=True)
            if manifest is not None:
                manifest.forget(item.name)
        else:
            result.succeeded.append(item.name)
            run.progress.file_done(item.name)
            if manifest is not None and final is not session:
                manifest.set_state(item.name, "done")
    if manifest is not None:
        manifest.save(force=True)


def _after_send(run: _Run, item: _Item, failed: Dict[str, str], mark_sent: Callable[[_Item], None]) -> None:
    """A file whose bytes storage accepted: check it did not change meanwhile, then record it."""
    if item.path is not None:
        try:
            st = os.stat(item.path)
            if st.st_size != item.size or st.st_mtime_ns != item.mtime_ns:
                failed[item.name] = "the file changed while it was being uploaded; upload it again"
                return
        except OSError as error:
            failed[item.name] = "cannot read the file: %s" % error
            return
    mark_sent(item)


def _send_part(run: _Run, state: _Multipart, number: int) -> None:
    if state.error is not None:
        raise _Cancelled("another part of this file failed")
    assets = run.client.assets
    item = state.item
    part_size = item.size // state.part_count
    offset = (number - 1) * part_size
    length = item.size - offset if number == state.part_count else part_size
    part = assets.get_multipart_part_url(run.dataset_id, state.upload_id, number)
    response = run.put(item, part.method, part.url, part.headers, offset, length)
    try:
        echoed = {name: response.headers.get(name, "") for name in (part.response_headers or [])}
        body = response.content if part.response_body else None
    finally:
        response.close()
    assets.complete_multipart_part(run.dataset_id, state.upload_id, number, echoed, body or None)


def _abort(run: _Run, state: _Multipart) -> None:
    try:
        run.client.assets.abort_multipart_upload(run.dataset_id, state.upload_id)
    except ViError as error:
        _log.warning("Could not abort multipart upload %s: %s", state.upload_id, error.message)


def _cancel(run: _Run, session_id: str) -> None:
    try:
        run.client.assets.cancel_ingestion_session(run.dataset_id, session_id)
    except ViError as error:  # e.g. 409: it finished meanwhile
        _log.debug("Cancelling ingestion session %s: %s", session_id, error.message)


def _await(run: _Run, session_id: str, timeout: Optional[float], poll_interval: float) -> Any:
    """The session once processed (also when it ended FailedReach); None on timeout."""
    assets = run.client.assets
    try:
        return assets.wait_until_done(
            run.dataset_id, session_id, timeout=timeout, poll_interval=poll_interval
        )
    except ViOperationError:
        return assets.get_ingestion_session(run.dataset_id, session_id)
    except ViTimeoutError:
        return None


# -- annotations ---------------------------------------------------------------------------------
def upload_annotations(
    client: Any,
    dataset_id: str,
    paths: Any,
    *,
    pattern: str = "*",
    recursive: bool = True,
    kind: str = "Unknown",
    failure_policies: Optional[Mapping[str, str]] = None,
    upload_before: Optional[int] = None,
    max_workers: int = 8,
    wait: bool = True,
    timeout: Optional[float] = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    raise_on_failure: bool = False,
    show_progress: bool = False,
    progress: Union[None, Progress, ProgressCallback] = None,
) -> AnnotationUploadResult:
    """Import annotation files (``.json``/``.jsonl``; explicit files of any extension) into a
    dataset through one import session (PROTOCOL §9.3): N6 create, N7 register every file
    (size, base64 CRC-32C, ``kind``), a storage PUT per file, N8 ``FilesInserted`` (``Reached``,
    or ``FailedReach``/``UserUploadErrored`` when a file could not be sent), then with ``wait``
    N9 polling until every condition is ``Reached`` (``timeout`` seconds at most).

    Files are registered under their base names (the API's keys); two files with one base name
    are refused before any request. ``failure_policies`` may set ``on_bad_annotation``,
    ``on_bad_file``, ``on_overwritten`` (``Warn``, ``RejectFile``, ``RejectSession``)."""
    if not isinstance(kind, str) or not kind:
        raise ViInvalidParameterError("kind", "kind must be a non-empty string such as 'Unknown'")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
    ):
        raise ViInvalidParameterError("timeout", "timeout must be a number of seconds >= 0 or None")
    workers = _workers(client, max_workers)
    client.annotations._ds(dataset_id)
    problems: List[str] = []
    explicit = {
        os.path.abspath(os.path.expanduser(os.fspath(p)))
        for p in _as_list(paths, "paths")
        if isinstance(p, (str, os.PathLike))
    }

    def accept(path: str) -> bool:
        return path in explicit or os.path.splitext(path)[1].lower() in ANNOTATION_EXTENSIONS

    items = [
        _Item(
            name,
            path,
            None,
            os.stat(path).st_size,
            os.stat(path).st_mtime_ns,
            "application/octet-stream",
            kind,
        )
        for name, path in _collect_paths(
            paths,
            pattern=pattern,
            recursive=recursive,
            relative_names=False,
            accept=accept,
            problems=problems,
        )
    ]
    _check_unique(items, problems)
    _raise_problems(problems, "these annotation files")
    if not items:
        raise ViValidationError("No annotation files found to upload", details={"parameter": "paths"})
    annotations = client.annotations
    result = AnnotationUploadResult(dataset_id=dataset_id, confirmed=wait)
    reporter, owned = _make_progress(progress, show_progress)
    reporter.set_totals(total_bytes=sum(i.size for i in items), total_files=len(items))
    run = _Run(client, dataset_id, workers, reporter)
    try:
        for item, error in run.run_all([(i, (lambda i=i: _hash_file(i))) for i in items]):  # type: ignore[misc]
            if error is not None:
                result.failed[item.name] = _reason(error)
        if result.failed:
            for item in items:
                result.failed.setdefault(item.name, "not sent: another file of this import could not be read")
            return _finish_annotations(result, raise_on_failure)
        session = annotations.create_import_session(dataset_id, upload_before, failure_policies)
        session_id = session.annotation_import_session_id
        result.session_id, result.session = session_id, session
        registered = annotations.add_import_files(
            dataset_id,
            session_id,
            {i.name: {"sizeBytes": i.size, "crc32c": to_base64(i.crc or 0), "kind": i.kind} for i in items},
        )
        targets = registered.files
        jobs = []
        for item in items:
            target = targets.get(item.name)
            if target is None:
                result.failed[item.name] = "the service returned no upload URL for this file"
                continue
            jobs.append((item, (lambda i=item, t=target: run.put(i, t.method, t.url, t.headers).close())))  # type: ignore[misc]
        try:
            outcomes = run.run_all(jobs)
        except BaseException:
            _report_import(annotations, dataset_id, session_id, "CancelledByUser")
            raise
        for item, error in outcomes:
            if error is not None:
                result.failed[item.name] = _reason(error)
                reporter.file_done(item.name, failed=True)
        if result.failed:
            session = _report_import(annotations, dataset_id, session_id, "UserUploadErrored") or session
            for item in items:
                result.failed.setdefault(
                    item.name, "not imported: the session was abandoned because another file failed"
                )
            result.session = session
            return _finish_annotations(result, raise_on_failure)
        result.session = annotations.update_import_status(dataset_id, session_id, "Reached")
        if wait:
            try:
                result.session = annotations.wait_until_done(
                    dataset_id, session_id, timeout=timeout, poll_interval=poll_interval
                )
            except ViOperationError as error:
                final = annotations.get_import_session(dataset_id, session_id)
                result.session = final
                why = getattr(final.status, "reason", None) or error.message
                for item in items:
                    result.failed[item.name] = "the import failed: %s" % why
            except ViTimeoutError:
                result.confirmed = False
                for item in items:
                    result.failed[item.name] = "uploaded, but the import did not finish within the timeout"
        for item in items:
            if item.name not in result.failed:
                result.succeeded.append(item.name)
                reporter.file_done(item.name)
    finally:
        run.close()
        result.bytes_uploaded = run.bytes_sent
        if owned:
            reporter.close()
    return _finish_annotations(result, raise_on_failure)


def _hash_file(item: _Item) -> None:
    with open(item.path, "rb") as handle:  # type: ignore[arg-type]
        item.crc = crc32c_file(handle, item.size)


def _report_import(annotations: Any, dataset_id: str, session_id: str, reason: str) -> Any:
    try:
        return annotations.update_import_status(dataset_id, session_id, "FailedReach", reason=reason)
    except ViError as error:
        _log.warning("Could not report the failed import %s: %s", session_id, error.message)
        return None


def _finish_annotations(result: AnnotationUploadResult, raise_on_failure: bool) -> AnnotationUploadResult:
    if raise_on_failure and result.failed:
        raise ViUploadError(
            "%d annotation file(s) failed to import: %s"
            % (len(result.failed), "; ".join("%s: %s" % kv for kv in sorted(result.failed.items())[:5])),
            details={"failed": dict(result.failed), "session_id": result.session_id, "result": result},
        )
    return result
