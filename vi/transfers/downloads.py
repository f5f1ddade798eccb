"""Downloads that never leave a corrupt or partial file under its final name (PROTOCOL §10).

Two ways of moving one object from a pre-signed URL to a file, both through the client's
:class:`~vi.transfers.storage.StorageSession` (its pool, no credentials, signatures redacted):

* **ranged** (:func:`download_url`; dataset exports, models): ``HEAD`` for the size, ETag and
  checksum, then ``Range: bytes=a-b`` parts fetched in parallel by a bounded pool and written
  at their offsets into a hidden temporary file. Every part must come back as ``206`` with the
  exact ``Content-Range`` asked for (§16.38: a ``200`` would write the whole object at the
  part's offset); anything else is retried, then fails the download. A small sidecar record of
  completed parts sits next to the temporary file, keyed by URL *path* + size + ETag (not the
  signed URL, whose signature changes), so a later call fetches only the missing parts.
* **streamed** (assets, one request per file, no ``HEAD`` round trip): a plain ``GET``; if the
  connection breaks mid-body the rest is asked for with ``Range: bytes=n-`` and must be a
  ``206`` starting at ``n``.

Either way the size is checked against what storage announced, and the checksum storage sends
(``x-goog-hash`` MD5 or CRC-32C; for assets also ``metadata.hash``) is verified before the
temporary file is renamed into place with ``os.replace``. A mismatch discards the bytes and
downloads once more; a second mismatch is a :class:`~vi.errors.ViDownloadError`. Failures
carry the HTTP status, the number of attempts and the URL without its signature.

On top of that: :func:`download_assets` (A1 with ``contents=y``, every page),
:func:`download_dataset` / :func:`download_annotations` (D4 → D9/D11 → S1 → safe extraction)
and :func:`download_model` (M2 → S6 → safe extraction).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import tarfile
import threading
import time
import uuid
import zipfile
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

import requests

from ..errors import ViDownloadError, ViError, ViOperationError, ViValidationError
from . import crc32c as _crc
from .files import safe_join, safe_name, safe_relative_parts, temp_path_for, unique_names
from .progress import Progress, ProgressCallback
from .storage import StorageSession, redact_url

__all__ = [
    "ANNOTATION_FORMATS",
    "FULL_FORMATS",
    "AssetDownloadResult",
    "DatasetDownloadResult",
    "FileDownload",
    "ModelDownloadResult",
    "download_annotations",
    "download_assets",
    "download_dataset",
    "download_model",
    "download_url",
]

PathArg = Union[str, "os.PathLike[str]"]
ProgressArg = Union[Progress, ProgressCallback, None]

DEFAULT_PART_SIZE = 8 * 1024 * 1024
_READ_SIZE = 256 * 1024
_PART_ATTEMPTS = 4
_SIDECAR_VERSION = 1
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")

#: PROTOCOL §7.2.1: which export formats each dataset type accepts.
FULL_FORMATS: Dict[str, Tuple[str, ...]] = {
    "phrase-grounding": ("ViFull",),
    "vqa": ("ViFull",),
    "freeform": ("ViFull",),
}
ANNOTATION_FORMATS: Dict[str, Tuple[str, ...]] = {
    "phrase-grounding": (
        "CsvFourCorner",
        "CsvWidthHeight",
        "Coco",
        "PascalVoc",
        "YoloDarknet",
        "YoloKerasPytorch",
        "ViJsonl",
        "ViTfrecord",
    ),
    "vqa": ("ViJsonl", "ViTfrecord"),
    "freeform": ("ViJsonl",),
}
SPLITS = ("training", "validation", "dump")


# -- small helpers ------------------------------------------------------------------------------


def _storage(client: Any) -> StorageSession:
    return client._requester.storage  # type: ignore[no-any-return]


def _progress(progress: ProgressArg, show_progress: bool) -> Tuple[Progress, bool]:
    """(the Progress to report to, whether this call owns it and must close it)."""
    if isinstance(progress, Progress):
        return progress, False
    return Progress("download", callback=progress, show_progress=show_progress), True


def _error(
    message: str,
    *,
    url: Optional[str] = None,
    status: Optional[int] = None,
    attempts: Optional[int] = None,
    cause: Optional[BaseException] = None,
    suggestion: Optional[str] = None,
) -> ViDownloadError:
    return ViDownloadError(
        message,
        status_code=status,
        attempts=attempts,
        method="GET" if url else None,
        path=redact_url(url) if url else None,
        cause=cause,
        suggestion=suggestion,
    )


def _dir_size(root: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total


def _file_list(root: Path) -> List[str]:
    out = []
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".vi-"))
        for name in sorted(names):
            if name.startswith(".vi-"):
                continue
            out.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return out


# -- checksums ----------------------------------------------------------------------------------


class _Expected:
    """What a download must turn out to be: a size and at most one checksum to verify."""

    def __init__(self, size: Optional[int], md5: Optional[bytes] = None, crc: Optional[int] = None) -> None:
        self.size = size
        self.md5 = md5
        # CRC-32C is verified when it is the only checksum, or when it is cheap (compiled).
        self.crc = crc if crc is not None and (md5 is None or _crc.IMPLEMENTATION != "python") else None

    @property
    def has_checksum(self) -> bool:
        return self.md5 is not None or self.crc is not None

    def hasher(self) -> "_Hasher":
        return _Hasher(self.md5 is not None, self.crc is not None)

    def check(self, hasher: "_Hasher") -> Optional[str]:
        """None when the bytes match, else what did not."""
        if self.md5 is not None and hasher.md5 is not None and hasher.md5.digest() != self.md5:
            return "MD5 %s != expected %s" % (hasher.md5.hexdigest(), self.md5.hex())
        if self.crc is not None and hasher.crc is not None and hasher.crc.value != self.crc:
            return "CRC-32C %08x != expected %08x" % (hasher.crc.value, self.crc)
        return None


class _Hasher:
    def __init__(self, md5: bool, crc: bool) -> None:
        self.md5 = hashlib.md5() if md5 else None
        self.crc = _crc.Crc32c() if crc else None

    def update(self, data: bytes) -> None:
        if self.md5 is not None:
            self.md5.update(data)
        if self.crc is not None:
            self.crc.update(data)


def _hash_file(path: Path, expected: _Expected) -> _Hasher:
    hasher = expected.hasher()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(1024 * 1024)
            if not block:
                return hasher
            hasher.update(block)


def _parse_hashes(headers: Mapping[str, str]) -> Tuple[Optional[bytes], Optional[int]]:
    """``(md5 digest, crc32c value)`` from ``x-goog-hash`` (and ``Content-MD5``), if present."""
    md5: Optional[bytes] = None
    crc: Optional[int] = None
    raw = headers.get("x-goog-hash") or ""
    for item in raw.split(","):
        name, _, value = item.strip().partition("=")
        value = value.strip()
        try:
            if name.lower() == "md5":
                digest = base64.b64decode(value, validate=True)
                md5 = digest if len(digest) == 16 else md5
            elif name.lower() == "crc32c":
                crc = _crc.from_base64(value)
        except (ValueError, binascii.Error):
            continue
    if md5 is None and headers.get("Content-MD5"):
        try:
            digest = base64.b64decode(headers["Content-MD5"], validate=True)
            md5 = digest if len(digest) == 16 else None
        except (ValueError, binascii.Error):
            pass
    return md5, crc


def _content_length(headers: Mapping[str, str]) -> Optional[int]:
    value = headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


# -- one object ---------------------------------------------------------------------------------


class _Url:
    """The current signed URL of an object, refreshed (once per failure) when it expires."""

    def __init__(self, url: str, refresh: Optional[Callable[[], str]]) -> None:
        self.url = url
        self._refresh = refresh
        self._lock = threading.Lock()
        self.refreshes = 0

    def renew(self, failed: str) -> bool:
        """After a 401/403 on ``failed``: get a fresh URL; False when there is no way to."""
        if self._refresh is None:
            return False
        with self._lock:
            if self.url != failed:  # another worker renewed it already
                return True
            if self.refreshes >= 3:
                return False
            self.refreshes += 1
            self.url = self._refresh()
            return True


class FileDownload:
    """What happened to one file: ``status`` is ``downloaded``, ``skipped`` or ``failed``."""

    __slots__ = ("path", "status", "size", "error", "reason")

    def __init__(
        self,
        path: Path,
        status: str,
        size: int = 0,
        error: Optional[ViError] = None,
        reason: Optional[str] = None,
    ) -> None:
        self.path = path
        self.status = status
        self.size = size
        self.error = error
        self.reason = reason

    def __repr__(self) -> str:
        return "FileDownload(%r, %s, size=%d)" % (str(self.path), self.status, self.size)


class _Fetcher:
    """Moves one object into one file; shared settings for every file of a call."""

    def __init__(
        self,
        storage: StorageSession,
        progress: Progress,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = 8,
        part_attempts: int = _PART_ATTEMPTS,
        retry_delay: float = 0.05,
    ) -> None:
        if part_size < 1:
            raise ViValidationError("part_size must be a positive number of bytes")
        if max_workers < 1:
            raise ViValidationError("max_workers must be at least 1")
        self.storage = storage
        self.progress = progress
        self.part_size = part_size
        self.max_workers = max_workers
        self.part_attempts = part_attempts
        self.retry_delay = retry_delay

    def _pause(self, attempt: int) -> None:
        time.sleep(min(self.retry_delay * (2 ** (attempt - 1)), 2.0))

    def _request(self, url: _Url, method: str, headers: Optional[Dict[str, str]] = None) -> requests.Response:
        """One storage request (the session retries 5xx/429/transport errors); an expired or
        refused signature is renewed through ``url``'s refresher when there is one."""
        while True:
            current = url.url
            try:
                return self.storage.request(
                    method, current, headers=headers, stream=True, expected=(200, 206)
                )
            except ViError as error:
                if error.status_code in (401, 403) and url.renew(current):
                    continue
                raise _error(
                    "%s %s failed: %s" % (method, redact_url(current), error.message),
                    url=current,
                    status=error.status_code,
                    attempts=error.attempts,
                    cause=error,
                    suggestion="A 403 from storage usually means the signed URL expired; request it again."
                    if error.status_code == 403
                    else None,
                ) from None

    # -- identical files ----------------------------------------------------------------------

    def _same(self, path: Path, expected: _Expected) -> bool:
        try:
            if expected.size is None or os.path.getsize(path) != expected.size:
                return False
        except OSError:
            return False
        if not expected.has_checksum:
            return False  # same size is not proof; download again
        return expected.check(_hash_file(path, expected)) is None

    def _head(self, url: _Url) -> Tuple[int, str, Optional[bytes], Optional[int]]:
        response = self._request(url, "HEAD")
        response.close()
        size = _content_length(response.headers)
        if size is None:
            raise _error(
                "Cannot determine the size of %s: no Content-Length on HEAD" % redact_url(url.url),
                url=url.url,
                status=response.status_code,
            )
        md5, crc = _parse_hashes(response.headers)
        return size, response.headers.get("ETag", ""), md5, crc

    # -- ranged -------------------------------------------------------------------------------

    def ranged(
        self,
        url: str,
        final: Path,
        *,
        overwrite: bool = True,
        refresh: Optional[Callable[[], str]] = None,
        label: Optional[str] = None,
    ) -> FileDownload:
        link = _Url(url, refresh)
        size, etag, md5, crc = self._head(link)
        expected = _Expected(size, md5, crc)
        if final.exists():
            if self._same(final, expected):
                self.progress.file_done(label)
                return FileDownload(final, "skipped", size, reason="identical")
            if not overwrite:
                self.progress.file_done(label)
                return FileDownload(final, "skipped", os.path.getsize(final), reason="exists")
        key = {"path": urlsplit(url).path, "size": size, "etag": etag}
        for attempt in (1, 2):
            self._ranged_once(link, final, key, label)
            temp = temp_path_for(final)
            problem = expected.check(_hash_file(temp, expected)) if expected.has_checksum else None
            if problem is None:
                os.replace(temp, final)
                _remove(_sidecar(temp))
                self.progress.file_done(label)
                return FileDownload(final, "downloaded", size)
            _remove(temp)
            _remove(_sidecar(temp))
            self.progress.add_bytes(-size, label)
            if attempt == 2:
                raise _error(
                    "Checksum mismatch for %s after %d downloads: %s" % (final.name, attempt, problem),
                    url=link.url,
                    attempts=attempt,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _ranged_once(self, link: _Url, final: Path, key: Dict[str, Any], label: Optional[str]) -> None:
        size = int(key["size"])
        temp = temp_path_for(final)
        side = _sidecar(temp)
        final.parent.mkdir(parents=True, exist_ok=True)
        done = _load_sidecar(side, key, self.part_size, temp)
        if not done:
            with open(temp, "wb") as handle:
                handle.truncate(size)  # sparse where the file system allows
        parts = [(start, min(start + self.part_size, size) - 1) for start in range(0, size, self.part_size)]
        missing = [p for p in parts if p[0] not in done]
        self.progress.add_bytes(sum(end - start + 1 for start, end in parts if start in done), label)
        lock = threading.Lock()
        cancel = threading.Event()
        last_save = [time.monotonic()]

        def record(start: int) -> None:
            with lock:
                done.add(start)
                if time.monotonic() - last_save[0] > 0.25:
                    _save_sidecar(side, key, self.part_size, done)
                    last_save[0] = time.monotonic()

        def work(part: Tuple[int, int]) -> None:
            if cancel.is_set():
                raise _Cancelled()
            self._part(link, temp, part, size, label)
            record(part[0])

        try:
            if len(missing) <= 1 or self.max_workers == 1:
                for part in missing:
                    work(part)
            else:
                with ThreadPoolExecutor(
                    min(self.max_workers, len(missing)), thread_name_prefix="vi-download"
                ) as pool:
                    futures: List[Future] = [pool.submit(work, part) for part in missing]
                    finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
                    failure = next((f.exception() for f in finished if f.exception() is not None), None)
                    if failure is not None:
                        cancel.set()
                        for future in futures:
                            future.cancel()
                        wait(futures)
                        raise _first_error(futures) or failure
        except BaseException:
            with lock:
                _save_sidecar(side, key, self.part_size, done)  # what arrived stays: resumable
            raise
        if os.path.getsize(temp) != size:
            _remove(temp)
            _remove(side)
            raise _error(
                "%s has %d bytes on disk, expected %d" % (final.name, os.path.getsize(temp), size),
                url=link.url,
            )

    def _part(self, link: _Url, temp: Path, part: Tuple[int, int], size: int, label: Optional[str]) -> None:
        start, end = part
        want = end - start + 1
        reason = ""
        status: Optional[int] = None
        for attempt in range(1, self.part_attempts + 1):
            if attempt > 1:
                self._pause(attempt - 1)
            response = self._request(link, "GET", {"Range": "bytes=%d-%d" % (start, end)})
            status = response.status_code
            written = 0
            try:
                if status != 206:
                    reason = "storage answered %d instead of 206 to a Range request" % status
                    continue
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
                if (
                    match is None
                    or (int(match.group(1)), int(match.group(2))) != (start, end)
                    or (match.group(3) != "*" and int(match.group(3)) != size)
                ):
                    reason = "Content-Range %r does not match bytes %d-%d/%d" % (
                        response.headers.get("Content-Range"),
                        start,
                        end,
                        size,
                    )
                    continue
                with open(temp, "r+b") as handle:
                    handle.seek(start)
                    for block in response.iter_content(_READ_SIZE):
                        if written + len(block) > want:
                            block = block[: want - written]
                        handle.write(block)
                        written += len(block)
                        self.progress.add_bytes(len(block), label)
                        if written >= want:
                            break
                if written == want:
                    return
                reason = "short body: %d of %d bytes" % (written, want)
            except (requests.RequestException, OSError) as exc:
                if (
                    isinstance(exc, OSError)
                    and not isinstance(exc, requests.RequestException)
                    and not _is_network(exc)
                ):
                    raise
                reason = "connection failed mid-body after %d of %d bytes (%s)" % (
                    written,
                    want,
                    type(exc).__name__,
                )
            finally:
                response.close()
            self.progress.add_bytes(-written, label)
        raise _error(
            "Part bytes %d-%d of %s failed: %s" % (start, end, redact_url(link.url), reason),
            url=link.url,
            status=status,
            attempts=self.part_attempts,
        )

    # -- streamed -------------------------------------------------------------------------------

    def streamed(
        self,
        url: str,
        final: Path,
        *,
        size: Optional[int] = None,
        crc: Optional[int] = None,
        overwrite: bool = False,
        refresh: Optional[Callable[[], str]] = None,
        label: Optional[str] = None,
    ) -> FileDownload:
        """One GET per file. ``size``/``crc`` are what the API said (``fileSize``, ``metadata.hash``):
        hints for skipping identical files, and the checksum of last resort."""
        link = _Url(url, refresh)
        if final.exists():
            if size is not None and os.path.getsize(final) == size:
                head_size, _, md5, head_crc = self._head(link)
                if self._same(final, _Expected(head_size, md5, head_crc if (md5 or head_crc) else crc)):
                    self.progress.file_done(label)
                    return FileDownload(final, "skipped", head_size, reason="identical")
            if not overwrite:
                self.progress.file_done(label)
                return FileDownload(final, "skipped", os.path.getsize(final), reason="exists")
        temp = temp_path_for(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        problem = ""
        try:
            for _attempt in (1, 2):
                expected, hasher, written = self._stream_once(link, temp, size, crc, label)
                problem = expected.check(hasher) or ""
                if not problem:
                    os.replace(temp, final)
                    self.progress.file_done(label)
                    return FileDownload(final, "downloaded", written)
                self.progress.add_bytes(-written, label)
            raise _error(
                "Checksum mismatch for %s after 2 downloads: %s" % (final.name, problem),
                url=link.url,
                attempts=2,
            )
        finally:
            _remove(temp)

    def _stream_once(
        self, link: _Url, temp: Path, size_hint: Optional[int], crc_hint: Optional[int], label: Optional[str]
    ) -> Tuple[_Expected, _Hasher, int]:
        expected: Optional[_Expected] = None
        hasher: Optional[_Hasher] = None
        written = 0
        reason = ""
        status: Optional[int] = None
        with open(temp, "wb") as handle:
            for attempt in range(1, self.part_attempts + 1):
                if attempt > 1:
                    self._pause(attempt - 1)
                resuming = expected is not None and written > 0
                headers = {"Range": "bytes=%d-" % written} if resuming else None
                response = self._request(link, "GET", headers)
                status = response.status_code
                try:
                    if resuming:
                        assert expected is not None and expected.size is not None
                        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
                        if (
                            status != 206
                            or match is None
                            or int(match.group(1)) != written
                            or (match.group(3) != "*" and int(match.group(3)) != expected.size)
                        ):
                            # the rest cannot be trusted to line up: start this file again
                            reason = "resume answered %d %r" % (status, response.headers.get("Content-Range"))
                            self.progress.add_bytes(-written, label)
                            handle.seek(0)
                            handle.truncate()
                            written, expected, hasher = 0, None, None
                            continue
                    else:
                        if status != 200:
                            reason = "storage answered %d to a plain GET" % status
                            continue
                        length = _content_length(response.headers)
                        md5, crc = _parse_hashes(response.headers)
                        if md5 is None and crc is None:
                            crc = crc_hint
                        expected = _Expected(length if length is not None else size_hint, md5, crc)
                        hasher = expected.hasher()
                    assert expected is not None and hasher is not None
                    for block in response.iter_content(_READ_SIZE):
                        handle.write(block)
                        hasher.update(block)
                        written += len(block)
                        self.progress.add_bytes(len(block), label)
                    if expected.size is None or written == expected.size:
                        handle.flush()
                        return expected, hasher, written
                    reason = "short body: %d of %d bytes" % (written, expected.size)
                    if written > expected.size:
                        raise _error(
                            "%s: storage sent %d bytes, announced %d"
                            % (redact_url(link.url), written, expected.size),
                            url=link.url,
                            status=status,
                        )
                except (requests.RequestException, OSError) as exc:
                    if (
                        isinstance(exc, OSError)
                        and not isinstance(exc, requests.RequestException)
                        and not _is_network(exc)
                    ):
                        raise
                    reason = "connection failed mid-body after %d bytes (%s)" % (written, type(exc).__name__)
                    handle.flush()
                finally:
                    response.close()
        raise _error(
            "Download of %s failed: %s" % (redact_url(link.url), reason),
            url=link.url,
            status=status,
            attempts=self.part_attempts,
        )


class _Cancelled(Exception):
    pass


def _first_error(futures: Sequence[Future]) -> Optional[BaseException]:
    for future in futures:
        if future.cancelled() or not future.done():
            continue
        error = future.exception()
        if error is not None and not isinstance(error, _Cancelled):
            return error
    return None


def _is_network(exc: OSError) -> bool:
    import socket

    return isinstance(exc, (ConnectionError, socket.timeout, TimeoutError))


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sidecar(temp: Path) -> Path:
    return temp.with_name(temp.name + ".json")


def _load_sidecar(side: Path, key: Mapping[str, Any], part_size: int, temp: Path) -> set:
    try:
        with open(side, encoding="utf-8") as handle:
            record = json.load(handle)
        if (
            record.get("version") == _SIDECAR_VERSION
            and record.get("key") == dict(key)
            and record.get("part_size") == part_size
            and os.path.getsize(temp) == key["size"]
        ):
            return {int(start) for start in record.get("done", [])}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return set()


def _save_sidecar(side: Path, key: Mapping[str, Any], part_size: int, done: set) -> None:
    record = {"version": _SIDECAR_VERSION, "key": dict(key), "part_size": part_size, "done": sorted(done)}
    temp = side.with_name(side.name + ".tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temp, side)
    except OSError:
        _remove(temp)


# -- public: one URL -----------------------------------------------------------------------------


def download_url(
    client: Any,
    url: str,
    path: PathArg,
    *,
    overwrite: bool = True,
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = 8,
    refresh_url: Optional[Callable[[], str]] = None,
    show_progress: bool = False,
    progress: ProgressArg = None,
) -> FileDownload:
    """Download one pre-signed URL to ``path`` with the ranged, parallel, resumable downloader.

    ``refresh_url`` (optional) returns a freshly signed URL when storage refuses the current
    one (expired signature). An identical file already at ``path`` is not downloaded again; a
    different one is replaced only if ``overwrite``. Raises :class:`ViDownloadError`."""
    tracker, owned = _progress(progress, show_progress)
    try:
        fetcher = _Fetcher(_storage(client), tracker, part_size=part_size, max_workers=max_workers)
        tracker.set_totals(total_files=1)
        return fetcher.ranged(
            url, Path(path), overwrite=overwrite, refresh=refresh_url, label=Path(path).name
        )
    finally:
        if owned:
            tracker.close()


# -- assets -------------------------------------------------------------------------------------


class AssetDownloadResult:
    """What :func:`download_assets` did (PROTOCOL §7.3.3, plus per-file outcomes)."""

    def __init__(
        self, dataset_id: str, save_dir: Path, files: List[FileDownload], count: int, failed: Dict[str, str]
    ) -> None:
        self.dataset_id = dataset_id
        self.save_dir = str(save_dir)
        self.files = files
        self.count = count
        self.failed = failed

    @property
    def save_path(self) -> Path:
        return Path(self.save_dir)

    @property
    def downloaded(self) -> List[Path]:
        return [f.path for f in self.files if f.status == "downloaded"]

    @property
    def skipped(self) -> List[Path]:
        return [f.path for f in self.files if f.status == "skipped"]

    @property
    def file_list(self) -> List[str]:
        return _file_list(self.save_path)

    @property
    def size_mb(self) -> float:
        return _dir_size(self.save_path) / (1024 * 1024)

    @property
    def is_complete(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return "Dataset %s: %d assets, %d downloaded, %d skipped, %d failed → %s" % (
            self.dataset_id,
            self.count,
            len(self.downloaded),
            len(self.skipped),
            len(self.failed),
            self.save_dir,
        )

    def info(self) -> None:
        print(self.summary())

    def __repr__(self) -> str:
        return "AssetDownloadResult(%s)" % self.summary()


def _asset_crc(asset: Any) -> Optional[int]:
    digest = getattr(getattr(asset, "metadata", None), "hash", None)
    if digest is None or str(getattr(digest, "algorithm", "")).lower() != "crc32c":
        return None
    try:
        return _crc.from_base64(str(digest.contents))
    except (ValueError, binascii.Error):
        return None


def download_assets(
    client: Any,
    dataset_id: str,
    save_dir: PathArg,
    *,
    overwrite: bool = False,
    max_workers: int = 8,
    show_progress: bool = False,
    progress: ProgressArg = None,
    raise_on_failure: bool = False,
    page_size: int = 1000,
    part_attempts: int = _PART_ATTEMPTS,
) -> AssetDownloadResult:
    """Download every asset file of a dataset into ``<save_dir>/<dataset_id>/`` (S4).

    Walks every page of the asset listing (A1, ``contents=y``). File names come from each asset's
    ``filename``, sanitised (:func:`~vi.transfers.files.safe_name`); assets whose names collide
    are kept as ``name (asset-id).ext``. Identical files already there are skipped; different
    ones are replaced only with ``overwrite``. A file that fails is reported in ``failed``
    (name → reason) — or raised as :class:`ViDownloadError` after the others finished, with
    ``raise_on_failure``. Expired URLs are re-signed through A2."""
    if max_workers < 1:
        raise ViValidationError("max_workers must be at least 1")
    target = Path(save_dir).expanduser() / safe_name(dataset_id)
    listing = client.assets.list(dataset_id, contents=True, page_size=page_size)
    assets = []
    for asset in listing.all_items():
        contents = getattr(asset, "contents", None)
        link = getattr(contents, "asset", None) if contents is not None else None
        if link is not None and getattr(link, "url", None):
            assets.append((asset, link.url))
    names = unique_names((a.asset_id, a.filename) for a, _ in assets)
    tracker, owned = _progress(progress, show_progress)
    tracker.set_totals(
        total_files=len(assets),
        total_bytes=sum(int(getattr(a.metadata, "file_size", 0) or 0) for a, _ in assets),
    )
    fetcher = _Fetcher(_storage(client), tracker, part_attempts=part_attempts)
    target.mkdir(parents=True, exist_ok=True)

    def one(item: Tuple[Any, str]) -> FileDownload:
        asset, url = item
        name = names[asset.asset_id]
        final = safe_join(target, name)

        def refresh() -> str:
            fresh = client.assets.get(dataset_id, asset.asset_id, contents=True)
            return str(fresh.contents.asset.url)

        try:
            return fetcher.streamed(
                url,
                final,
                size=getattr(asset.metadata, "file_size", None),
                crc=_asset_crc(asset),
                overwrite=overwrite,
                refresh=refresh,
                label=name,
            )
        except ViError as error:
            tracker.file_done(name, failed=True)
            return FileDownload(final, "failed", error=error, reason=error.message)

    try:
        if max_workers == 1 or len(assets) <= 1:
            outcomes = [one(item) for item in assets]
        else:
            with ThreadPoolExecutor(min(max_workers, len(assets)), thread_name_prefix="vi-assets") as pool:
                outcomes = list(pool.map(one, assets))
    finally:
        if owned:
            tracker.close()
    failed = {o.path.name: o.reason or "failed" for o in outcomes if o.status == "failed"}
    result = AssetDownloadResult(dataset_id, target, outcomes, len(assets), failed)
    if failed and raise_on_failure:
        first = next(o.error for o in outcomes if o.status == "failed")
        raise ViDownloadError(
            "%d of %d asset downloads failed: %s"
            % (len(failed), len(assets), "; ".join("%s: %s" % kv for kv in sorted(failed.items())[:5])),
            status_code=getattr(first, "status_code", None),
            attempts=getattr(first, "attempts", None),
            path=getattr(first, "path", None),
            details={"failed": failed},
        )
    return result


# -- archives -----------------------------------------------------------------------------------


def _claim(root: Path, relative: str, seen: Dict[str, int]) -> Optional[Path]:
    """A safe, not-yet-used path under ``root`` for an archive member (None: nothing to write)."""
    parts = safe_relative_parts(relative)
    if not parts:
        return None
    key = "/".join(parts).casefold()
    if key in seen:
        seen[key] += 1
        stem, dot, ext = parts[-1].rpartition(".")
        parts[-1] = (
            ("%s (%d).%s" % (stem, seen[key], ext)) if dot and stem else "%s (%d)" % (parts[-1], seen[key])
        )
    else:
        seen[key] = 1
    return safe_join(root, "/".join(parts))


def _copy(source: IO[bytes], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def extract_archive(archive: PathArg, destination: PathArg) -> List[str]:
    """Extract a zip or tar into ``destination`` without letting any member escape it.

    Member names go through :func:`~vi.transfers.files.safe_relative_parts` (``..``, absolute
    paths, drive letters, backslashes, NUL …); links, devices and FIFOs are skipped, never
    created. Returns the relative paths written."""
    root = Path(destination)
    root.mkdir(parents=True, exist_ok=True)
    written: List[str] = []
    seen: Dict[str, int] = {}
    archive = Path(archive)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                mode = (info.external_attr >> 16) & 0o170000
                if info.is_dir() or mode not in (0, 0o100000):
                    continue  # directories are implied; symlinks and specials are never created
                path = _claim(root, info.filename, seen)
                if path is None:
                    continue
                with bundle.open(info) as source:
                    _copy(source, path)
                written.append(path.relative_to(root).as_posix())
        return written
    try:
        tar = tarfile.open(archive, mode="r:*")
    except tarfile.TarError as exc:
        raise ViDownloadError("%s is neither a zip nor a tar archive" % archive.name, cause=exc) from None
    with tar:
        for member in tar:
            if not member.isfile():
                continue
            path = _claim(root, member.name, seen)
            if path is None:
                continue
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            with extracted:
                _copy(extracted, path)
            written.append(path.relative_to(root).as_posix())
    return written


def _install(staging: Path, target: Path) -> None:
    """Move a fully extracted ``staging`` folder to ``target``; an old ``target`` is replaced
    only once the new one is complete, so a failure never leaves a half-written folder."""
    old: Optional[Path] = None
    if target.exists():
        old = target.with_name(".vi-old-%s" % uuid.uuid4().hex[:12])
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fetch_and_extract(
    client: Any,
    url: str,
    *,
    archive: Path,
    target: Path,
    refresh: Callable[[], str],
    progress: Progress,
    part_size: int,
    max_workers: int,
    label: str,
) -> List[str]:
    fetcher = _Fetcher(_storage(client), progress, part_size=part_size, max_workers=max_workers)
    fetcher.ranged(url, archive, overwrite=True, refresh=refresh, label=label)
    staging = target.with_name(".vi-extract-%s" % uuid.uuid4().hex[:12])
    try:
        members = extract_archive(archive, staging)
        _install(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove(archive)  # kept until extraction worked, so a failed extraction can be retried offline
    return members


# -- datasets -----------------------------------------------------------------------------------


class DatasetDownloadResult:
    """An extracted dataset export (PROTOCOL §7.2.3)."""

    def __init__(
        self, dataset_id: str, save_dir: Path, export_id: Optional[str] = None, downloaded: bool = True
    ) -> None:
        self.dataset_id = dataset_id
        self.save_dir = str(save_dir)
        self.export_id = export_id
        self.downloaded = downloaded

    @property
    def save_path(self) -> Path:
        return Path(self.save_dir)

    @property
    def size_mb(self) -> float:
        return _dir_size(self.save_path) / (1024 * 1024)

    @property
    def splits(self) -> List[str]:
        return [s for s in SPLITS if (self.save_path / s).is_dir()]

    def _count(self, sub: str, pattern: str) -> Dict[str, int]:
        out = {}
        for split in self.splits:
            folder = self.save_path / split / sub
            out[split] = sum(1 for p in folder.rglob(pattern) if p.is_file()) if folder.is_dir() else 0
        return out

    @property
    def asset_count(self) -> Dict[str, int]:
        return self._count("assets", "*")

    @property
    def annotation_count(self) -> Dict[str, int]:
        return self._count("annotations", "*.jsonl")

    @property
    def file_list(self) -> List[str]:
        return _file_list(self.save_path)

    def summary(self) -> str:
        lines = ["Dataset %s → %s (%.2f MB)" % (self.dataset_id, self.save_dir, self.size_mb)]
        assets, annotations = self.asset_count, self.annotation_count
        for split in self.splits:
            lines.append("  %s: %d assets, %d annotation files" % (split, assets[split], annotations[split]))
        return "\n".join(lines)

    def info(self) -> None:
        print(self.summary())

    def __repr__(self) -> str:
        return "DatasetDownloadResult(%r, save_dir=%r)" % (self.dataset_id, self.save_dir)


def _check_format(dataset_type: str, export_format: str, annotations_only: bool) -> None:
    table = ANNOTATION_FORMATS if annotations_only else FULL_FORMATS
    allowed = table.get(str(dataset_type))
    if allowed is None:
        return  # a dataset type this client does not know: let the service decide
    if str(export_format) not in allowed:
        kind = "an annotations-only" if annotations_only else "a full"
        raise ViValidationError(
            "Format %s is not %s export format for %s datasets" % (export_format, kind, dataset_type),
            suggestion="Use one of: %s%s"
            % (
                ", ".join(allowed),
                "" if annotations_only else " (or annotations_only=True for the annotation formats)",
            ),
        )


def _non_empty(path: Path) -> bool:
    try:
        return path.is_dir() and any(not p.name.startswith(".vi-") for p in path.iterdir())
    except OSError:
        return False


def download_dataset(
    client: Any,
    dataset_id: str,
    *,
    export_id: Optional[str] = None,
    annotations_only: bool = False,
    export_settings: Any = None,
    save_dir: PathArg,
    overwrite: bool = False,
    timeout: Optional[float] = None,
    poll_interval: Optional[float] = None,
    show_progress: bool = False,
    progress: ProgressArg = None,
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = 8,
) -> DatasetDownloadResult:
    """Export (or reuse an export of) a dataset, download the archive and extract it into
    ``<save_dir>/<dataset_id>/`` (PROTOCOL §10.1 with §16.37 fixed).

    Order: an existing non-empty target with ``overwrite=False`` is returned at once (no export
    is created); the export format is checked against the dataset's type (§7.2.1) *before* any
    export is created; the wait has a ``timeout`` (``ViTimeoutError``). Without
    ``export_settings`` the format is ``ViFull``, or ``ViJsonl`` with ``annotations_only``.
    The archive download is ranged, verified and resumable; extraction goes to a staging folder
    that replaces the target only when complete."""
    from ..resources.datasets import DatasetExportSettings

    target = Path(save_dir).expanduser() / safe_name(dataset_id)
    if not overwrite and _non_empty(target):
        return DatasetDownloadResult(dataset_id, target, export_id, downloaded=False)
    if export_settings is None:
        settings = DatasetExportSettings(format="ViJsonl" if annotations_only else "ViFull")
    else:
        settings = DatasetExportSettings.coerce(export_settings)
    dataset = client.datasets.get(dataset_id)
    if export_id is None:
        _check_format(dataset.type, str(settings.format), annotations_only)
        export = client.datasets.create_export(dataset_id, settings)
        export_id = export.dataset_export_id
    else:
        existing = client.datasets.get_export(dataset_id, export_id)
        _check_format(dataset.type, str(existing.spec.format), annotations_only)
    wait_args: Dict[str, Any] = {"timeout": timeout}
    if poll_interval is not None:
        wait_args["poll_interval"] = poll_interval
    export = client.datasets.wait_for_export(dataset_id, export_id, **wait_args)
    link = getattr(export.status, "download_url", None)
    if link is None or not getattr(link, "url", None):
        raise ViOperationError("The dataset download URL is not available. The export may have failed.")
    assert export_id is not None
    fixed_export_id: str = export_id

    def refresh() -> str:
        fresh = client.datasets.get_export(dataset_id, fixed_export_id).status.download_url
        if fresh is None:
            raise _error("The export %s no longer has a download URL" % fixed_export_id)
        return str(fresh.url)

    tracker, owned = _progress(progress, show_progress)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        archive = target.parent / (".vi-%s-%s.zip" % (safe_name(dataset_id), safe_name(export_id)))
        _fetch_and_extract(
            client,
            str(link.url),
            archive=archive,
            target=target,
            refresh=refresh,
            progress=tracker,
            part_size=part_size,
            max_workers=max_workers,
            label=target.name,
        )
    finally:
        if owned:
            tracker.close()
    metadata = {
        "name": dataset_id,
        "organizationId": getattr(export, "organization_id", None),
        "exportDir": str(target.resolve()),
        "exportId": export_id,
        "format": str(export.spec.format),
        "createdAt": int(time.time()),
        "license": None,
    }
    with open(target / "metadata.json", "w", encoding="utf-8") as handle:
        json.dump(metadata, handle, indent=2)
    return DatasetDownloadResult(dataset_id, target, export_id)


def download_annotations(
    client: Any,
    dataset_id: str,
    *,
    export_format: str = "ViJsonl",
    export_id: Optional[str] = None,
    normalized: bool = True,
    split_ratio: Optional[float] = None,
    save_dir: PathArg,
    overwrite: bool = False,
    timeout: Optional[float] = None,
    poll_interval: Optional[float] = None,
    show_progress: bool = False,
    progress: ProgressArg = None,
) -> DatasetDownloadResult:
    """The annotations of a dataset in one of the annotations-only formats (§7.2.1):
    :func:`download_dataset` with ``annotations_only=True``."""
    settings = {"format": export_format, "options": {"normalized": normalized, "split_ratio": split_ratio}}
    return download_dataset(
        client,
        dataset_id,
        export_id=export_id,
        annotations_only=True,
        export_settings=settings,
        save_dir=save_dir,
        overwrite=overwrite,
        timeout=timeout,
        poll_interval=poll_interval,
        show_progress=show_progress,
        progress=progress,
    )


# -- models -------------------------------------------------------------------------------------


class ModelDownloadResult:
    """A downloaded model checkpoint (PROTOCOL §7.6)."""

    def __init__(
        self, run_id: str, model_dir: Path, model_id: Optional[str] = None, downloaded: bool = True
    ) -> None:
        self.run_id = run_id
        self.model_id = model_id
        self.downloaded = downloaded
        self._dir = Path(model_dir)

    @property
    def model_dir(self) -> Path:
        return self._dir

    @property
    def model_path(self) -> Path:
        return self._dir / "model_full"

    @property
    def adapter_path(self) -> Optional[Path]:
        path = self._dir / "model_adapter"
        return path if path.is_dir() else None

    @property
    def run_config_path(self) -> Path:
        return self.model_path / "run.json"

    @property
    def has_adapter(self) -> bool:
        return self.adapter_path is not None

    @property
    def has_config(self) -> bool:
        return self.run_config_path.is_file()

    @property
    def size_mb(self) -> float:
        return _dir_size(self._dir) / (1024 * 1024)

    @property
    def file_list(self) -> List[str]:
        return _file_list(self._dir)

    def summary(self) -> str:
        return "Model %s%s → %s (%.2f MB%s)" % (
            self.run_id,
            "/" + self.model_id if self.model_id else "",
            self._dir,
            self.size_mb,
            ", adapter" if self.has_adapter else "",
        )

    def info(self) -> None:
        print(self.summary())

    def __repr__(self) -> str:
        return "ModelDownloadResult(%r, model_dir=%r)" % (self.run_id, str(self._dir))


def _model_layout_problem(root: Path) -> Optional[str]:
    full = root / "model_full"
    if not full.is_dir():
        return "model_full/ is missing"
    if not (full / "model.safetensors").is_file():
        index = full / "model.safetensors.index.json"
        if not index.is_file():
            return "model_full/ has neither model.safetensors nor model.safetensors.index.json"
        try:
            with open(index, encoding="utf-8") as handle:
                shards = set(json.load(handle).get("weight_map", {}).values())
        except (OSError, ValueError, AttributeError):
            return "model.safetensors.index.json is not readable"
        missing = sorted(s for s in shards if not safe_join(full, s).is_file())
        if missing:
            return "missing weight shards: %s" % ", ".join(missing[:5])
    if not (full / "run.json").is_file():
        return "model_full/run.json is missing"
    return None


def download_model(
    client: Any,
    run_id: str,
    ckpt: Optional[str] = None,
    *,
    save_dir: PathArg,
    overwrite: bool = False,
    show_progress: bool = False,
    progress: ProgressArg = None,
    part_size: int = DEFAULT_PART_SIZE,
    max_workers: int = 8,
) -> ModelDownloadResult:
    """Download and extract a model checkpoint into ``<save_dir>/<runId>/`` (PROTOCOL §10.2).

    An existing folder whose layout checks out is returned as is unless ``overwrite``; one that
    does not (a partial folder from elsewhere) is downloaded again (§16.39), never raised on.
    The archive is fetched with the ranged, resumable downloader and extracted safely; the
    layout check runs before the new folder replaces anything."""
    model = client.models.get(run_id, ckpt, contents=True)
    contents = getattr(model.status, "contents", None)
    link = getattr(contents, "download_url", None) if contents is not None else None
    if link is None or not getattr(link, "url", None):
        raise ViOperationError(
            "Model %s of run %s does not have a download URL available"
            % (ckpt or getattr(model, "model_id", "?"), run_id)
        )
    target = Path(save_dir).expanduser() / safe_name(model.run_id)
    model_id = getattr(model, "model_id", None)
    if not overwrite and _model_layout_problem(target) is None:
        return ModelDownloadResult(model.run_id, target, model_id, downloaded=False)

    def refresh() -> str:
        fresh = client.models.get(run_id, ckpt, contents=True).status.contents
        return str(fresh.download_url.url)

    tracker, owned = _progress(progress, show_progress)
    target.parent.mkdir(parents=True, exist_ok=True)
    archive = target.parent / (
        ".vi-model-%s-%s.tar" % (safe_name(model.run_id), safe_name(model_id or "latest"))
    )
    fetcher = _Fetcher(_storage(client), tracker, part_size=part_size, max_workers=max_workers)
    staging = target.with_name(".vi-extract-%s" % uuid.uuid4().hex[:12])
    try:
        fetcher.ranged(str(link.url), archive, overwrite=True, refresh=refresh, label=target.name)
        extract_archive(archive, staging)
        problem = _model_layout_problem(staging)
        if problem is not None:
            raise ViDownloadError(
                "The model archive of run %s has an unexpected layout: %s" % (run_id, problem)
            )
        _install(staging, target)
        _remove(archive)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if owned:
            tracker.close()
    return ModelDownloadResult(model.run_id, target, model_id)
