"""Asset uploads, batch by batch: ingestion sessions, parallel PUTs, multipart for large files.

What they promise, against the official client's upload bugs:

* files are streamed from disk (never read whole), through the client's shared pool, with at
  most ``max_workers`` (≤ the client's ``max_connections``) requests in flight;
* every storage PUT and every multipart part carries ``Content-Length`` and the method the
  server asked for; retries rewind the body; 4xx such as an expired signature are not retried;
* the CRC-32C is sent as the ingestion flow wants it (:mod:`vi.transfers.crc32c`);
* a file that fails — locally, at storage, or rejected by the service (``ECORRUPT``,
  ``EBADSIZE`` …) — is in the result's ``failed`` with its reason, never swallowed;
  ``raise_on_failure=True`` turns that into ``ViUploadError`` (with the status and the error of
  the first file that failed);
* a failure that stops the whole call — a closed client, a refused key (401/403), a dataset
  that does not exist (404), any error opening an ingestion session — raises the same
  ``ViError`` subclass the plain API call raises, with that error chained as its cause;
* server descriptors are matched by the exact name sent, never by basename;
* with ``resume=<path>`` a rerun skips what already arrived (:mod:`vi.transfers.manifest`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from ..checks import check_choice, check_count, check_timeout
from ..errors import (
    ViClientClosedError,
    ViError,
    ViInvalidParameterError,
    ViOperationError,
    ViTimeoutError,
    ViValidationError,
)
from ..logging import get_logger
from .crc32c import crc32c, crc32c_file, to_signed
from .manifest import UploadManifest
from .progress import Progress, ProgressCallback
from .sources import Cancelled, Source, asset_sources
from .storage import StorageSession
from .upload_jobs import UploadRun, failure_error, reason_for, upload_progress, worker_count, workflow_error
from .upload_results import AssetUploadResult

if TYPE_CHECKING:  # pragma: no cover
    from ..resources.assets import Assets

__all__ = ["IngestionOptions", "upload_assets", "DEFAULT_MULTIPART_THRESHOLD", "INGESTION_BATCH_SIZE"]

PathArg = Union[str, "os.PathLike[str]"]

#: Files of this size and more go multipart.
DEFAULT_MULTIPART_THRESHOLD = 1024**3
#: Above this size the asset flow sends no CRC-32C (``null``), as the protocol does.
CRC_SIZE_LIMIT = 1024**3
#: At most this many assets per ingestion session.
INGESTION_BATCH_SIZE = 5000
#: Seconds between polls of a session being processed.
DEFAULT_POLL_INTERVAL = 3.0

#: What the service's per-file error codes mean.
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


@dataclass(frozen=True)
class IngestionOptions:
    """How the batches of one call are ingested; checked on construction, before any I/O."""

    failure_mode: str = "FailAfterOne"
    on_asset_overwritten: str = "RemoveLinkedResource"
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD
    batch_size: int = INGESTION_BATCH_SIZE
    wait: bool = True
    timeout: Optional[float] = None
    poll_interval: float = DEFAULT_POLL_INTERVAL

    def __post_init__(self) -> None:
        from ..resources.ingestion import FAILURE_MODES, RETENTION_MODES

        check_choice("failure_mode", self.failure_mode, FAILURE_MODES)
        check_choice("on_asset_overwritten", self.on_asset_overwritten, RETENTION_MODES)
        check_count("multipart_threshold", self.multipart_threshold)
        check_count("batch_size", self.batch_size)
        check_timeout(self.timeout)


def upload_assets(
    assets: "Assets",
    storage: StorageSession,
    dataset_id: str,
    paths: Any = None,
    assets_bytes: Optional[Iterable[Tuple[str, bytes]]] = None,
    *,
    pattern: str = "*",
    recursive: bool = True,
    relative_names: bool = False,
    max_workers: int = 8,
    max_connections: Optional[int] = None,
    raise_on_failure: bool = False,
    resume: Optional[PathArg] = None,
    show_progress: bool = False,
    progress: Union[None, Progress, ProgressCallback] = None,
    **options: Any,
) -> AssetUploadResult:
    """Upload files, folders and/or ``(filename, bytes)`` pairs as assets of a dataset.

    ``paths``: a file, a folder or a list of either. Folders are scanned (``recursive``) for
    files whose name matches ``pattern`` and whose extension is a supported image/video type
    (:data:`~vi.transfers.sources.MIME_TYPES`); explicit files must have such an extension too.
    Each file is uploaded under its base name, or with ``relative_names=True`` under its path
    relative to the folder given with its folders joined by ``_`` (``train/cat.jpg`` →
    ``"train_cat.jpg"``: the API takes bare names). Everything is validated before the first
    request. ``options`` are the fields of :class:`IngestionOptions`.

    Files of ``multipart_threshold`` bytes and more go multipart. ``wait`` polls each ingestion
    session until the service has processed it (``timeout`` seconds at most), which is what
    reveals files it rejected. ``resume`` names a JSON manifest: files it records as uploaded
    are skipped, and it is kept up to date as files arrive. ``progress`` is a callback taking a
    :class:`~vi.transfers.progress.ProgressEvent` (or a ``Progress``); ``show_progress`` draws a
    tqdm bar when stderr is a terminal.

    Returns an :class:`AssetUploadResult`; with ``raise_on_failure=True`` any failed file raises
    :class:`~vi.errors.ViUploadError` whose ``details["failed"]`` maps names to reasons,
    ``details["errors"]`` names to exceptions, and ``details["result"]`` holds the result; its
    ``status_code`` and cause are those of the first file that failed with an error.

    A failure that is not about one file stops the call with the error the API call raised (same
    class, chained as the cause; ``details["result"]`` holds what earlier batches did): the
    client is closed, the key is refused, the dataset does not exist, or an ingestion session
    cannot be opened."""
    from ..resources import check_id

    settings = IngestionOptions(**options)
    if not isinstance(pattern, str) or not pattern:
        raise ViInvalidParameterError("pattern", "pattern must be a non-empty glob pattern")
    if paths is None and assets_bytes is None:
        raise ViValidationError("Pass paths or assets_bytes", details={"parameter": "paths"})
    workers = worker_count(max_workers, max_connections)
    check_id("dataset_id", dataset_id)  # checked before any I/O too
    items = asset_sources(
        paths, assets_bytes, pattern=pattern, recursive=recursive, relative_names=relative_names
    )
    storage.check_open()  # before reading every file for its checksum
    result = AssetUploadResult(dataset_id=dataset_id, confirmed=settings.wait)
    _log.info(
        "Uploading %d file(s), %d bytes, to dataset %s",
        len(items),
        sum(i.size for i in items),
        dataset_id,
    )
    manifest = UploadManifest(resume, dataset_id) if resume is not None else None
    reporter, owned = upload_progress(progress, show_progress)
    run = UploadRun(storage, dataset_id, workers, reporter)
    try:
        if manifest is not None:
            items = _apply_manifest(assets, run, manifest, items, result)
        reporter.set_totals(
            total_bytes=sum(i.size for i in items), total_files=len(items) + len(result.skipped)
        )
        _checksums(run, items, result)
        batches = _Batches(assets, run, result, manifest, settings)
        for start in range(0, len(items), settings.batch_size):
            batch = [i for i in items[start : start + settings.batch_size] if i.name not in result.failed]
            if batch:
                batches.send(batch)
    finally:
        run.close()
        if manifest is not None:
            manifest.save(force=True)
        if owned:
            reporter.close()
    result.bytes_uploaded = run.bytes_sent
    _log.info("%s", result.summary().splitlines()[0])
    if raise_on_failure and result.failed:
        raise failure_error(
            "%d of %d file(s) failed to upload" % (len(result.failed), result.total),
            result.failed,
            result.errors,
            succeeded=list(result.succeeded),
            session_ids=list(result.session_ids),
            result=result,
        )
    return result


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


def _apply_manifest(
    assets: "Assets", run: UploadRun, manifest: UploadManifest, items: List[Source], result: AssetUploadResult
) -> List[Source]:
    """Drop items the manifest shows as uploaded (checking unconfirmed ones with the service)."""
    todo: List[Source] = []
    unconfirmed: Dict[str, List[Source]] = {}
    for item in items:
        entry = manifest.get(item.name) or {}
        same = (
            bool(entry)
            and entry.get("size") == item.size
            and entry.get("path") == item.path
            and (item.path is None or entry.get("mtime_ns") == item.mtime_ns)
        )
        if same and item.path is None:  # bytes: same content?
            same = entry.get("crc32c") == crc32c(item.data or b"")
        if not same:
            todo.append(item)
        elif entry.get("state") == "done":
            result.skipped.append(item.name)
        elif entry.get("session"):
            unconfirmed.setdefault(entry["session"], []).append(item)
        else:
            todo.append(item)
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


def _checksums(run: UploadRun, items: List[Source], result: AssetUploadResult) -> None:
    """CRC-32C of every item up to ``CRC_SIZE_LIMIT`` (the protocol sends null above it)."""

    def one(item: Source) -> None:
        if item.size > CRC_SIZE_LIMIT:
            return
        if item.data is not None:
            item.crc = crc32c(item.data)
            return
        with open(str(item.path), "rb") as handle:
            item.crc = crc32c_file(handle, item.size)

    jobs = [(item, _bind(one, item)) for item in items]
    for item, error in run.run_all(jobs):
        if error is not None:
            result.fail(item.name, reason_for(error), error)
            run.progress.file_done(item.name, failed=True)


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


@dataclass
class _Multipart:
    item: Source
    upload_id: str
    part_count: int
    error: Optional[str] = None


@dataclass
class _Batch:
    """One ingestion session: what was sent, what failed, the multipart uploads in flight."""

    session: Any
    failed: Dict[str, str] = field(default_factory=dict)
    errors: Dict[str, BaseException] = field(default_factory=dict)
    sent: List[Source] = field(default_factory=list)
    multiparts: Dict[str, _Multipart] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return str(self.session.asset_ingestion_session_id)


class _Batches:
    """Sends the batches of one call, one ingestion session each, into one result."""

    def __init__(
        self,
        assets: "Assets",
        run: UploadRun,
        result: AssetUploadResult,
        manifest: Optional[UploadManifest],
        options: IngestionOptions,
    ) -> None:
        self.assets = assets
        self.run = run
        self.dataset_id = run.dataset_id
        self.result = result
        self.manifest = manifest
        self.options = options

    def send(self, items: List[Source]) -> None:
        batch = self._open(items)
        if batch is None:
            return
        try:
            self._transfer(batch, items)
        except BaseException:
            # Ctrl-C or a bug: stop the session (files that arrived are kept), free the parts.
            for state in batch.multiparts.values():
                self._abort(state)
            self._cancel(batch.session_id)
            raise
        closed = next((e for e in batch.errors.values() if isinstance(e, ViClientClosedError)), None)
        if closed is not None:  # closed in another thread meanwhile: nothing more can be sent
            raise workflow_error(closed, "Upload to dataset %s stopped" % self.dataset_id, self.result)
        for name, reason in batch.failed.items():
            self.result.fail(name, reason, batch.errors.get(name))
            self.run.progress.file_done(name, failed=True)
            if self.manifest is not None:
                self.manifest.forget(name)
        if batch.failed:
            self._cancel(batch.session_id)  # the service would wait for the missing files until expiry
        self._confirm(batch)

    def _open(self, items: List[Source]) -> Optional[_Batch]:
        specs = [
            {
                "filename": i.name,
                "mime": i.mime,
                "size": i.size,
                "crc32c": to_signed(i.crc) if i.crc is not None else None,
                "kind": i.kind,
            }
            for i in items
        ]
        try:
            session = self.assets.create_ingestion_session(
                self.dataset_id, specs, self.options.failure_mode, self.options.on_asset_overwritten
            )
        except ViError as error:
            raise workflow_error(
                error,
                "Cannot upload to dataset %s: could not start an ingestion session" % self.dataset_id,
                self.result,
            ) from error
        batch = _Batch(session)
        self.result.session_ids.append(batch.session_id)
        _log.info(
            "Ingestion session %s: sending %d file(s) to dataset %s",
            batch.session_id,
            len(items),
            self.dataset_id,
        )
        return batch

    def _transfer(self, batch: _Batch, items: List[Source]) -> None:
        """PUT every file (or its parts), then complete the multipart uploads."""
        descriptors = {a.metadata.filename: a.upload for a in (batch.session.status.assets or [])}
        jobs: List[Tuple[Tuple[str, int], Callable[[], Any]]] = []
        for item in items:
            upload = descriptors.get(item.name)
            if upload is None or not getattr(upload, "url", None):
                batch.failed[item.name] = "the service returned no upload URL for this file"
            elif item.size >= self.options.multipart_threshold:
                jobs.extend(self._multipart_jobs(batch, item))
            else:
                jobs.append(((item.name, 0), _bind(self._put_whole, item, upload)))
        by_name = {i.name: i for i in items}

        def on_result(key: Tuple[str, int], error: Optional[BaseException]) -> None:
            name, number = key
            if error is None:
                if number == 0:  # recorded as it arrives, so an interruption keeps the record
                    self._after_send(batch, by_name[name])
            elif number == 0:
                batch.failed[name] = reason_for(error)
                batch.errors[name] = error
            elif batch.multiparts[name].error is None:
                batch.errors[name] = error
                batch.multiparts[name].error = "part %d: %s" % (number, reason_for(error))

        self.run.run_all(jobs, on_result)
        for name, state in batch.multiparts.items():
            if state.error is None:
                try:
                    self.assets.complete_multipart_upload(self.dataset_id, state.upload_id)
                except ViError as error:
                    state.error = "could not complete the multipart upload: %s" % reason_for(error)
                    batch.errors[name] = error
            if state.error is not None:
                batch.failed[name] = state.error
                self._abort(state)
            else:
                self._after_send(batch, state.item)

    def _put_whole(self, item: Source, upload: Any) -> None:
        self.run.put(item, upload.method, upload.url, upload.headers).close()

    def _multipart_jobs(self, batch: _Batch, item: Source) -> List[Tuple[Tuple[str, int], Callable[[], Any]]]:
        try:
            mpu = self.assets.create_multipart_upload(
                self.dataset_id, batch.session.ingestion_id, item.name, item.size, item.mime
            )
        except ViError as error:
            batch.failed[item.name] = "could not start a multipart upload: %s" % reason_for(error)
            batch.errors[item.name] = error
            return []
        state = _Multipart(item, mpu.multipart_upload_id, max(1, mpu.status.part_count))
        batch.multiparts[item.name] = state
        return [((item.name, n), _bind(self._send_part, state, n)) for n in range(1, state.part_count + 1)]

    def _send_part(self, state: _Multipart, number: int) -> None:
        if state.error is not None:
            raise Cancelled("another part of this file failed")
        item = state.item
        part_size = item.size // state.part_count
        offset = (number - 1) * part_size
        length = item.size - offset if number == state.part_count else part_size
        part = self.assets.get_multipart_part_url(self.dataset_id, state.upload_id, number)
        response = self.run.put(item, part.method, part.url, part.headers, offset, length)
        try:
            echoed = {name: response.headers.get(name, "") for name in (part.response_headers or [])}
            body = response.content if part.response_body else None
        finally:
            response.close()
        self.assets.complete_multipart_part(self.dataset_id, state.upload_id, number, echoed, body or None)

    def _after_send(self, batch: _Batch, item: Source) -> None:
        """A file whose bytes storage accepted: check it did not change meanwhile, then record it."""
        if item.path is not None:
            try:
                st = os.stat(item.path)
                if st.st_size != item.size or st.st_mtime_ns != item.mtime_ns:
                    batch.failed[item.name] = "the file changed while it was being uploaded; upload it again"
                    return
            except OSError as error:
                batch.failed[item.name] = "cannot read the file: %s" % error
                batch.errors[item.name] = error
                return
        batch.sent.append(item)
        if self.manifest is not None:
            self.manifest.record(
                item.name,
                "sent",
                path=item.path,
                size=item.size,
                mtime_ns=item.mtime_ns,
                crc32c=item.crc,
                session=batch.session_id,
            )

    def _confirm(self, batch: _Batch) -> None:
        """Wait for the service's verdict on every file sent (or take storage's word for it)."""
        result, manifest = self.result, self.manifest
        final = batch.session
        if self.options.wait or batch.failed:
            if self.options.wait:
                _log.info("Ingestion session %s: waiting for the service to process it", batch.session_id)
            final = self._await(batch.session_id)
            if final is None:
                for item in batch.sent:
                    result.failed[item.name] = (
                        "uploaded, but the service did not confirm it within the timeout"
                    )
                    self.run.progress.file_done(item.name, failed=True)
                result.confirmed = False
                return
        result.sessions.append(final)
        errors = _session_errors(final) if final is not batch.session else {}
        for item in batch.sent:
            code = errors.get(item.name)
            if code is not None:
                result.failed[item.name] = _describe_ingestion_error(code)
                self.run.progress.file_done(item.name, failed=True)
                if manifest is not None:
                    manifest.forget(item.name)
            else:
                result.succeeded.append(item.name)
                self.run.progress.file_done(item.name)
                if manifest is not None and final is not batch.session:
                    manifest.set_state(item.name, "done")
        if manifest is not None:
            manifest.save(force=True)

    def _abort(self, state: _Multipart) -> None:
        try:
            self.assets.abort_multipart_upload(self.dataset_id, state.upload_id)
        except ViError as error:
            _log.warning("Could not abort multipart upload %s: %s", state.upload_id, error.message)

    def _cancel(self, session_id: str) -> None:
        try:
            self.assets.cancel_ingestion_session(self.dataset_id, session_id)
        except ViError as error:  # e.g. 409: it finished meanwhile
            _log.debug("Cancelling ingestion session %s: %s", session_id, error.message)

    def _await(self, session_id: str) -> Any:
        """The session once processed (also when it ended FailedReach); None on timeout."""
        try:
            return self.assets.wait_until_done(
                self.dataset_id,
                session_id,
                timeout=self.options.timeout,
                poll_interval=self.options.poll_interval,
            )
        except ViOperationError:
            return self.assets.get_ingestion_session(self.dataset_id, session_id)
        except ViTimeoutError:
            return None
