"""Annotation imports: one import session for a set of annotation files.

Create the session, register every file (size, base64 CRC-32C, ``kind``), PUT each file to the
URL the service gave for it, report ``FilesInserted`` (``Reached``, or ``FailedReach`` when a
file could not be sent), then with ``wait`` poll until the service has imported everything.
A file that fails is reported with its reason; files that could not be sent abandon the session
rather than importing half of it. The service's own verdict on the lines of the files (how many
annotations it inserted, how many lines it rejected) is on the result, and rejected lines make
the result not ``ok``. A failure that stops the whole import (a closed client, a refused key, a
dataset that does not exist) raises the error of the API call that met it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Union

from ..checks import check_timeout
from ..errors import ViError, ViInvalidParameterError, ViOperationError, ViTimeoutError
from ..logging import get_logger
from .asset_uploads import DEFAULT_POLL_INTERVAL
from .crc32c import crc32c_file, to_base64
from .progress import Progress, ProgressCallback
from .sources import Source, annotation_sources
from .storage import StorageSession
from .upload_jobs import UploadRun, failure_error, reason_for, upload_progress, worker_count
from .upload_results import AnnotationUploadResult

if TYPE_CHECKING:  # pragma: no cover
    from ..resources.annotations import Annotations

__all__ = ["upload_annotations"]

_log = get_logger()


def upload_annotations(
    annotations: "Annotations",
    storage: StorageSession,
    dataset_id: str,
    paths: Any,
    *,
    pattern: str = "*",
    recursive: bool = True,
    kind: str = "Unknown",
    failure_policies: Optional[Mapping[str, str]] = None,
    upload_before: Optional[int] = None,
    max_workers: int = 8,
    max_connections: Optional[int] = None,
    wait: bool = True,
    timeout: Optional[float] = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    raise_on_failure: bool = False,
    show_progress: bool = False,
    progress: Union[None, Progress, ProgressCallback] = None,
) -> AnnotationUploadResult:
    """Import annotation files (``.json``/``.jsonl``; explicit files of any extension) into a
    dataset through one import session, waiting (``wait``) at most ``timeout`` seconds for the
    service to import them.

    Files are registered under their base names (the API's keys); two files with one base name
    are refused before any request. ``failure_policies`` may set ``on_bad_annotation``,
    ``on_bad_file``, ``on_overwritten`` (``Warn``, ``RejectFile``, ``RejectSession``).

    The result's ``inserted``/``rejected`` are the service's counts once the import finished;
    ``ok`` is false if a file failed or a line was rejected. ``raise_on_failure=True`` raises
    :class:`~vi.errors.ViUploadError` for failed files or rejected lines."""
    from ..resources import check_id

    if not isinstance(kind, str) or not kind:
        raise ViInvalidParameterError("kind", "kind must be a non-empty string such as 'Unknown'")
    check_timeout(timeout)
    workers = worker_count(max_workers, max_connections)
    check_id("dataset_id", dataset_id)
    items = annotation_sources(paths, pattern=pattern, recursive=recursive, kind=kind)
    storage.check_open()
    result = AnnotationUploadResult(dataset_id=dataset_id, confirmed=wait)
    _log.info(
        "Importing %d annotation file(s), %d bytes, into dataset %s",
        len(items),
        sum(i.size for i in items),
        dataset_id,
    )
    reporter, owned = upload_progress(progress, show_progress)
    reporter.set_totals(total_bytes=sum(i.size for i in items), total_files=len(items))
    run = UploadRun(storage, dataset_id, workers, reporter)
    try:
        for item, error in run.run_all([(i, _hasher(i)) for i in items]):
            if error is not None:
                result.fail(item.name, reason_for(error), error)
        if result.failed:
            for item in items:
                result.failed.setdefault(item.name, "not sent: another file of this import could not be read")
            return _finish(result, raise_on_failure)
        session = annotations.create_import_session(dataset_id, upload_before, failure_policies)
        session_id = session.annotation_import_session_id
        result.session_id, result.session = session_id, session
        registered = annotations.add_import_files(
            dataset_id,
            session_id,
            {i.name: {"sizeBytes": i.size, "crc32c": to_base64(i.crc or 0), "kind": i.kind} for i in items},
        )
        jobs = []
        for item in items:
            target = registered.files.get(item.name)
            if target is None:
                result.failed[item.name] = "the service returned no upload URL for this file"
                continue
            jobs.append((item, _putter(run, item, target)))
        try:
            outcomes = run.run_all(jobs)
        except BaseException:
            _report_import(annotations, dataset_id, session_id, "CancelledByUser")
            raise
        for item, error in outcomes:
            if error is not None:
                result.fail(item.name, reason_for(error), error)
                reporter.file_done(item.name, failed=True)
        if result.failed:
            session = _report_import(annotations, dataset_id, session_id, "UserUploadErrored") or session
            for item in items:
                result.failed.setdefault(
                    item.name, "not imported: the session was abandoned because another file failed"
                )
            result.session = session
            return _finish(result, raise_on_failure)
        result.session = annotations.update_import_status(dataset_id, session_id, "Reached")
        if wait:
            _log.info("Import session %s: files sent, waiting for the service to import them", session_id)
            _await(annotations, result, [i.name for i in items], timeout, poll_interval)
        for item in items:
            if item.name not in result.failed:
                result.succeeded.append(item.name)
                reporter.file_done(item.name)
    finally:
        run.close()
        result.bytes_uploaded = run.bytes_sent
        if owned:
            reporter.close()
    return _finish(result, raise_on_failure)


def _hasher(item: Source) -> Any:
    def job() -> None:
        with open(str(item.path), "rb") as handle:
            item.crc = crc32c_file(handle, item.size)

    return job


def _putter(run: UploadRun, item: Source, target: Any) -> Any:
    return lambda: run.put(item, target.method, target.url, target.headers).close()


def _await(
    annotations: "Annotations",
    result: AnnotationUploadResult,
    names: List[str],
    timeout: Optional[float],
    poll_interval: float,
) -> None:
    """Wait for the import; a failed or unfinished import fails every file, with the reason."""
    dataset_id, session_id = result.dataset_id, str(result.session_id)
    try:
        result.session = annotations.wait_until_done(
            dataset_id, session_id, timeout=timeout, poll_interval=poll_interval
        )
        result.count_annotations(result.session)
    except ViOperationError as error:
        final = annotations.get_import_session(dataset_id, session_id)
        result.session = final
        why = getattr(final.status, "reason", None) or error.message
        for name in names:
            result.failed[name] = "the import failed: %s" % why
    except ViTimeoutError:
        result.confirmed = False
        for name in names:
            result.failed[name] = "uploaded, but the import did not finish within the timeout"


def _report_import(annotations: "Annotations", dataset_id: str, session_id: str, reason: str) -> Any:
    try:
        return annotations.update_import_status(dataset_id, session_id, "FailedReach", reason=reason)
    except ViError as error:
        _log.warning("Could not report the failed import %s: %s", session_id, error.message)
        return None


def _finish(result: AnnotationUploadResult, raise_on_failure: bool) -> AnnotationUploadResult:
    _log.info("%s", result.summary().splitlines()[0])
    if raise_on_failure and (result.failed or result.rejected):
        if result.failed:
            message = "%d annotation file(s) failed to import" % len(result.failed)
        else:
            message = "The import of dataset %s rejected %d line(s)" % (
                result.dataset_id,
                result.rejected or 0,
            )
        raise failure_error(
            message,
            result.failed,
            result.errors,
            session_id=result.session_id,
            result=result,
        )
    return result
