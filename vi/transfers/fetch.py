"""Moving one object from a pre-signed URL into one file, never leaving a corrupt or partial file
under its final name.

Two ways, both through the client's :class:`~vi.transfers.storage.StorageSession` (its pool, no
credentials, signatures redacted) and both retried by the client's one retry policy:

* **ranged** (dataset exports, models, :func:`fetch_url`): ``HEAD`` for the size, ETag and
  checksum, then ``Range: bytes=a-b`` parts fetched in parallel by a bounded pool and written at
  their offsets into a hidden temporary file. Every part must come back as ``206`` with the exact
  ``Content-Range`` asked for (a ``200`` would write the whole object at the part's offset).
  A small sidecar record of completed parts sits next to the temporary file, keyed by URL
  *path* + size + ETag (not the signed URL, whose signature changes), so a later call fetches
  only the missing parts.
* **streamed** (assets, one request per file, no ``HEAD`` round trip): a plain ``GET``; if the
  connection breaks mid-body the next attempt asks for the rest with ``Range: bytes=n-``, which
  must be a ``206`` starting at ``n``.

A body that is cut short or does not line up is a failed attempt like a 5xx: the storage
session retries it with the same budget and backoff. The size is checked against what storage
announced and the checksum is verified (:mod:`vi.transfers.verify`) before the temporary file is
renamed into place; a mismatch discards the bytes and downloads once more, and a second
mismatch is a :class:`~vi.errors.ViDownloadError`. Failures carry the HTTP status, the number of
attempts and the URL without its signature.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple, Union
from urllib.parse import urlsplit

import requests

from ..checks import check_count
from ..errors import ViDownloadError, ViError, ViNetworkError
from .files import temp_path_for
from .parts import Cancelled, load_sidecar, run_parts, save_sidecar, sidecar
from .progress import Progress, ProgressCallback
from .storage import StorageSession, redact_url
from .verify import Expected, Hasher, content_length, hash_file, parse_hashes

__all__ = [
    "DEFAULT_PART_SIZE",
    "FileDownload",
    "Fetcher",
    "fetch_url",
    "progress_for",
    "download_error",
    "remove_file",
]

PathArg = Union[str, "os.PathLike[str]"]
ProgressArg = Union[Progress, ProgressCallback, None]

DEFAULT_PART_SIZE = 8 * 1024 * 1024
_READ_SIZE = 256 * 1024
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def progress_for(progress: ProgressArg, show_progress: bool) -> Tuple[Progress, bool]:
    """(the Progress to report to, whether this call owns it and must close it)."""
    if isinstance(progress, Progress):
        return progress, False
    return Progress("download", callback=progress, show_progress=show_progress), True


def download_error(
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


def _bad_body(reason: str, status: int) -> ViNetworkError:
    """A body that did not arrive whole or in line: retried like a transport failure."""
    return ViNetworkError(reason, status_code=status, details={"transport": "io", "body": reason})


def _network_failure(exc: BaseException) -> bool:
    """Whether an exception while reading a body is the connection's fault (else: re-raise)."""
    if isinstance(exc, requests.RequestException):
        return True
    return isinstance(exc, (ConnectionError, socket.timeout, TimeoutError))


class Fetcher:
    """Moves one object into one file; shared settings for every file of a call."""

    def __init__(
        self,
        storage: StorageSession,
        progress: Progress,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        max_workers: int = 8,
    ) -> None:
        check_count("part_size", part_size)
        check_count("max_workers", max_workers)
        self.storage = storage
        self.progress = progress
        self.part_size = part_size
        self.max_workers = max_workers

    def _request(
        self,
        url: _Url,
        method: str,
        read: Callable[[requests.Response], Any],
        headers: Optional[Dict[str, str]] = None,
    ) -> Any:
        """One storage request, retried by the client's policy (``read`` included); an expired
        or refused signature is renewed through ``url``'s refresher when there is one. A body
        problem is raised as is, for the caller to say which part or file it hit."""
        while True:
            current = url.url
            call = self.storage.prepare(method, current, stream=True, expected=(200, 206))
            if headers is not None:
                call.headers = headers  # ours (only Range): later attempts see what read set
            try:
                return self.storage.send(call, read)
            except ViError as error:
                if error.status_code in (401, 403) and url.renew(current):
                    continue
                if "body" in error.details or isinstance(error, ViDownloadError):
                    raise
                raise download_error(
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

    def _same(self, path: Path, expected: Expected) -> bool:
        try:
            if expected.size is None or os.path.getsize(path) != expected.size:
                return False
        except OSError:
            return False
        if not expected.has_checksum:
            return False  # same size is not proof; download again
        return expected.check(hash_file(path, expected)) is None

    def _head(self, url: _Url) -> Tuple[int, str, Optional[bytes], Optional[int]]:
        response = self._request(url, "HEAD", _closed)
        size = content_length(response.headers)
        if size is None:
            raise download_error(
                "Cannot determine the size of %s: no Content-Length on HEAD" % redact_url(url.url),
                url=url.url,
                status=response.status_code,
            )
        md5, crc = parse_hashes(response.headers)
        return size, response.headers.get("ETag", ""), md5, crc

    def _skip(self, final: Path, label: Optional[str], size: int, reason: str) -> FileDownload:
        self.progress.file_done(label)
        return FileDownload(final, "skipped", size, reason=reason)

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
        expected = Expected(size, md5, crc)
        if final.exists():
            if self._same(final, expected):
                return self._skip(final, label, size, "identical")
            if not overwrite:
                return self._skip(final, label, os.path.getsize(final), "exists")
        key = {"path": urlsplit(url).path, "size": size, "etag": etag}
        temp = temp_path_for(final)
        for attempt in (1, 2):
            self._ranged_once(link, final, key, label)
            problem = expected.check(hash_file(temp, expected)) if expected.has_checksum else None
            if problem is None:
                os.replace(temp, final)
                remove_file(sidecar(temp))
                self.progress.file_done(label)
                return FileDownload(final, "downloaded", size)
            remove_file(temp)
            remove_file(sidecar(temp))
            self.progress.add_bytes(-size, label)
            if attempt == 2:
                raise download_error(
                    "Checksum mismatch for %s after %d downloads: %s" % (final.name, attempt, problem),
                    url=link.url,
                    attempts=attempt,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _ranged_once(self, link: _Url, final: Path, key: Dict[str, Any], label: Optional[str]) -> None:
        size = int(key["size"])
        temp = temp_path_for(final)
        side = sidecar(temp)
        final.parent.mkdir(parents=True, exist_ok=True)
        done = load_sidecar(side, key, self.part_size, temp)
        if not done:
            with open(temp, "wb") as handle:
                handle.truncate(size)  # sparse where the file system allows
        parts = [(start, min(start + self.part_size, size) - 1) for start in range(0, size, self.part_size)]
        missing = [p for p in parts if p[0] not in done]
        self.progress.add_bytes(sum(end - start + 1 for start, end in parts if start in done), label)
        lock = threading.Lock()
        cancel = threading.Event()
        last_save = [time.monotonic()]

        def work(part: Tuple[int, int]) -> None:
            if cancel.is_set():
                raise Cancelled()
            self._part(link, temp, part, size, label)
            with lock:
                done.add(part[0])
                if time.monotonic() - last_save[0] > 0.25:
                    save_sidecar(side, key, self.part_size, done)
                    last_save[0] = time.monotonic()

        try:
            run_parts(work, missing, self.max_workers, cancel)
        except BaseException:
            with lock:
                save_sidecar(side, key, self.part_size, done)  # what arrived stays: resumable
            raise
        if os.path.getsize(temp) != size:
            remove_file(temp)
            remove_file(side)
            raise download_error(
                "%s has %d bytes on disk, expected %d" % (final.name, os.path.getsize(temp), size),
                url=link.url,
            )

    def _part(self, link: _Url, temp: Path, part: Tuple[int, int], size: int, label: Optional[str]) -> None:
        start, end = part
        want = end - start + 1

        def read(response: requests.Response) -> None:
            status = response.status_code
            written = 0
            try:
                if status != 206:
                    raise _bad_body("storage answered %d instead of 206 to a Range request" % status, status)
                announced = response.headers.get("Content-Range", "").strip()
                match = _CONTENT_RANGE.match(announced)
                if (
                    match is None
                    or (int(match.group(1)), int(match.group(2))) != (start, end)
                    or (match.group(3) != "*" and int(match.group(3)) != size)
                ):
                    reason = "Content-Range %r does not match bytes %d-%d/%d" % (announced, start, end, size)
                    raise _bad_body(reason, status)
                with open(temp, "r+b") as handle:
                    handle.seek(start)
                    for block in response.iter_content(_READ_SIZE):
                        block = block[: want - written]
                        handle.write(block)
                        written += len(block)
                        self.progress.add_bytes(len(block), label)
                        if written >= want:
                            return
            except (requests.RequestException, OSError) as exc:
                if not _network_failure(exc):
                    raise
                self.progress.add_bytes(-written, label)
                reason = "connection failed mid-body after %d of %d bytes (%s)"
                raise _bad_body(reason % (written, want, type(exc).__name__), status) from None
            finally:
                response.close()
            self.progress.add_bytes(-written, label)
            raise _bad_body("short body: %d of %d bytes" % (written, want), status)

        try:
            self._request(link, "GET", read, {"Range": "bytes=%d-%d" % (start, end)})
        except ViError as error:
            if "body" not in error.details:
                raise
            raise download_error(
                "Part bytes %d-%d of %s failed: %s"
                % (start, end, redact_url(link.url), error.details["body"]),
                url=link.url,
                status=error.status_code,
                attempts=error.attempts,
            ) from None

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
                if self._same(final, Expected(head_size, md5, head_crc if (md5 or head_crc) else crc)):
                    return self._skip(final, label, head_size, "identical")
            if not overwrite:
                return self._skip(final, label, os.path.getsize(final), "exists")
        temp = temp_path_for(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        problem = ""
        try:
            for _attempt in (1, 2):
                stream = _Stream(temp, size, crc, self.progress, label)
                try:
                    self._request(link, "GET", stream.read, stream.headers)
                except ViError as error:
                    if "body" not in error.details:
                        raise
                    raise download_error(
                        "Download of %s failed: %s" % (redact_url(link.url), error.details["body"]),
                        url=link.url,
                        status=error.status_code,
                        attempts=error.attempts,
                    ) from None
                finally:
                    stream.close()
                assert stream.expected is not None and stream.hasher is not None
                problem = stream.expected.check(stream.hasher) or ""
                if not problem:
                    os.replace(temp, final)
                    self.progress.file_done(label)
                    return FileDownload(final, "downloaded", stream.written)
                self.progress.add_bytes(-stream.written, label)
            raise download_error(
                "Checksum mismatch for %s after 2 downloads: %s" % (final.name, problem),
                url=link.url,
                attempts=2,
            )
        finally:
            remove_file(temp)


class _Stream:
    """One streamed download into ``temp``: what arrived so far, so that the next attempt after
    a broken connection asks for the rest (and starts over when the rest does not line up)."""

    def __init__(
        self, temp: Path, size_hint: Optional[int], crc_hint: Optional[int], progress: Progress, label: Any
    ) -> None:
        self.handle = open(temp, "wb")
        self.size_hint = size_hint
        self.crc_hint = crc_hint
        self.progress = progress
        self.label = label
        self.expected: Optional[Expected] = None
        self.hasher: Optional[Hasher] = None
        self.written = 0
        self.headers: Dict[str, str] = {}

    def close(self) -> None:
        self.handle.close()

    def _restart(self) -> None:
        self.progress.add_bytes(-self.written, self.label)
        self.handle.seek(0)
        self.handle.truncate()
        self.written, self.expected, self.hasher = 0, None, None
        self.headers.clear()

    def read(self, response: requests.Response) -> None:
        status = response.status_code
        try:
            if self.expected is not None and self.written > 0:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
                if (
                    status != 206
                    or match is None
                    or int(match.group(1)) != self.written
                    or (match.group(3) != "*" and int(match.group(3)) != self.expected.size)
                ):
                    # the rest cannot be trusted to line up: start this file again
                    reason = "resume answered %d %r" % (status, response.headers.get("Content-Range"))
                    self._restart()
                    raise _bad_body(reason, status)
            else:
                if status != 200:
                    raise _bad_body("storage answered %d to a plain GET" % status, status)
                md5, crc = parse_hashes(response.headers)
                if md5 is None and crc is None:
                    crc = self.crc_hint
                length = content_length(response.headers)
                self.expected = Expected(length if length is not None else self.size_hint, md5, crc)
                self.hasher = self.expected.hasher()
            assert self.hasher is not None
            for block in response.iter_content(_READ_SIZE):
                self.handle.write(block)
                self.hasher.update(block)
                self.written += len(block)
                self.progress.add_bytes(len(block), self.label)
            size = self.expected.size
            if size is None or self.written == size:
                self.handle.flush()
                return
            if self.written > size:
                raise download_error(
                    "%s: storage sent %d bytes, announced %d"
                    % (redact_url(response.url), self.written, size),
                    url=response.url,
                    status=status,
                )
            raise _bad_body("short body: %d of %d bytes" % (self.written, size), status)
        except (requests.RequestException, OSError) as exc:
            if not _network_failure(exc):
                raise
            self.handle.flush()
            reason = "connection failed mid-body after %d bytes (%s)" % (self.written, type(exc).__name__)
            raise _bad_body(reason, status) from None
        finally:
            response.close()
            if self.expected is not None and self.written > 0:
                self.headers["Range"] = "bytes=%d-" % self.written  # in case this attempt failed


def _closed(response: requests.Response) -> requests.Response:
    response.close()
    return response


def remove_file(path: Path) -> None:
    """Delete a file if it is there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def fetch_url(
    storage: StorageSession,
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
    tracker, owned = progress_for(progress, show_progress)
    try:
        fetcher = Fetcher(storage, tracker, part_size=part_size, max_workers=max_workers)
        tracker.set_totals(total_files=1)
        return fetcher.ranged(
            url, Path(path), overwrite=overwrite, refresh=refresh_url, label=Path(path).name
        )
    finally:
        if owned:
            tracker.close()
