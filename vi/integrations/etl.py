"""Download, transform and upload one partition of a dataset, resumably, one report per file.

An :class:`EtlJob` is the picklable description of the whole job; :func:`run_partition` does
one partition of it in the calling process (a Dask task, a process-pool job, a Ray task, a
Spark ``mapPartitions`` call) and returns one record per asset. Bytes move through the SDK's
own transfer functions: ``vi.transfers.downloads.download_url`` (atomic, verified, an identical
file already there is skipped) and ``client.assets.upload`` with a ``resume`` manifest (a file
recorded as uploaded is not sent again).

Resuming after a worker died: a partition that finished without failures leaves a small done
file in ``state_dir`` named after a digest of its assets (ids, names, sizes, checksums); a rerun
that finds it reports every file of that partition as skipped without any transfer. An
unfinished partition is redone file by file: downloads skip identical files, transforms skip
outputs that already exist for an unchanged input, and the upload manifest skips files that
arrived (and asks the service about files it is unsure of). Target names are the same on every
run and file names are unique within a dataset, so a file sent twice replaces its earlier copy
instead of adding an asset: nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Union

from ..errors import ViConfigurationError, ViError
from ..transfers.files import safe_name
from .partitions import AssetPartition, asset_record, fetch_assets, fingerprint
from .workers import ClientSource, task

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..resources.assets import Asset

__all__ = ["EtlJob", "EtlSummary", "run_partition", "summarize", "FILE_COLUMNS", "worker_label"]

#: Columns of a file record, as returned by :func:`run_partition`.
FILE_COLUMNS = (
    ("asset_id", "object"),
    ("filename", "object"),
    ("partition", "int64"),
    ("status", "object"),  # succeeded / failed / skipped
    ("stage", "object"),  # download / transform / upload / done (where it failed or stopped)
    ("reason", "object"),
    ("download", "object"),
    ("transform", "object"),
    ("upload", "object"),
    ("output", "object"),
)

Transform = Callable[[Path, Path, Dict[str, Any]], Any]
PathArg = Union[str, "os.PathLike[str]"]


def worker_label() -> str:
    """The Dask worker's name inside a Dask worker, else ``pid<N>``: the ``{worker}`` of a path."""
    try:
        from distributed import get_worker

        return safe_name(str(get_worker().name))
    except (ImportError, ValueError):
        return "pid%d" % os.getpid()


class EtlJob:
    """Everything a worker needs to process partitions of ``dataset_id`` (picklable).

    ``work_dir`` holds downloads (``assets/``) and transform outputs (``out/``); it may be a shared
    folder or, with ``{worker}`` or ``{host}`` in it, a per-worker one. ``state_dir`` holds the
    done files and upload manifests and must be shared by all workers for a rerun to skip work
    done elsewhere (default: ``work_dir/.vi-state`` when ``work_dir`` is shared).

    ``transform(source, target, record)`` reads the downloaded file ``source`` and writes
    ``target`` (a temporary name with the final extension, renamed when it returns), ``record``
    being the asset's :func:`~vi.integrations.partitions.asset_record`; returning ``False``
    skips the asset. ``output_name(record)`` names the result (default: the asset's file name).
    With ``target_dataset_id`` the results (or, without a transform, the downloaded files) are
    uploaded there."""

    def __init__(
        self,
        source: Any,
        dataset_id: str,
        *,
        work_dir: PathArg,
        state_dir: Optional[PathArg] = None,
        transform: Optional[Transform] = None,
        output_name: Optional[Callable[[Dict[str, Any]], str]] = None,
        target_dataset_id: Optional[str] = None,
        overwrite: bool = False,
        download_workers: int = 4,
        upload_workers: int = 4,
        poll_interval: float = 0.5,
        upload_timeout: Optional[float] = 600.0,
    ) -> None:
        self.source = ClientSource.coerce(source)
        self.dataset_id = dataset_id
        self.work_dir = os.fspath(work_dir)
        per_worker = "{worker}" in self.work_dir or "{host}" in self.work_dir
        if state_dir is None:
            if per_worker:
                raise ViConfigurationError(
                    "A per-worker work_dir needs a state_dir that every worker shares (done files and "
                    "upload manifests), or a rerun cannot know what other workers finished"
                )
            state_dir = os.path.join(self.work_dir, ".vi-state")
        self.state_dir = os.fspath(state_dir)
        self.transform = transform
        self.output_name = output_name
        self.target_dataset_id = target_dataset_id
        self.overwrite = bool(overwrite)
        for name, value in (("download_workers", download_workers), ("upload_workers", upload_workers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ViConfigurationError("%s must be an integer >= 1" % name)
        self.download_workers = download_workers
        self.upload_workers = upload_workers
        self.poll_interval = poll_interval
        self.upload_timeout = upload_timeout

    def identity(self) -> str:
        """What makes two jobs the same job (for done files): source, target and functions."""
        return "|".join(
            (
                self.dataset_id,
                self.target_dataset_id or "",
                _qualname(self.transform),
                _qualname(self.output_name),
            )
        )

    def work_path(self) -> Path:
        folder = self.work_dir.replace("{worker}", worker_label()).replace(
            "{host}", safe_name(socket.gethostname())
        )
        return Path(folder).expanduser()

    def __repr__(self) -> str:
        return "EtlJob(%r → %r, work_dir=%r)" % (self.dataset_id, self.target_dataset_id, self.work_dir)


def _qualname(func: Any) -> str:
    if func is None:
        return ""
    return "%s.%s" % (getattr(func, "__module__", "?"), getattr(func, "__qualname__", type(func).__name__))


def _record(asset: "Asset", partition: int) -> Dict[str, Any]:
    return {
        "asset_id": asset.asset_id,
        "filename": asset.filename,
        "partition": partition,
        "status": "succeeded",
        "stage": "done",
        "reason": None,
        "download": None,
        "transform": None,
        "upload": None,
        "output": None,
    }


def _fail(record: Dict[str, Any], stage: str, reason: str) -> Dict[str, Any]:
    record.update(status="failed", stage=stage, reason=reason)
    record[stage] = "failed"
    return record


def _error_text(error: BaseException) -> str:
    if isinstance(error, ViError):
        return error.message
    return "%s: %s" % (type(error).__name__, error)


def _download(
    client: "Client", job: EtlJob, asset: "Asset", folder: Path, record: Dict[str, Any]
) -> Optional[Path]:
    from ..transfers.downloads import download_url

    contents = getattr(asset, "contents", None)
    link = getattr(contents, "asset", None) if contents is not None else None
    url = getattr(link, "url", None)
    if not url:
        _fail(record, "download", "the listing gave no download URL for this asset")
        return None
    path = folder / safe_name(asset.filename)
    dataset_id, asset_id = job.dataset_id, asset.asset_id

    def refresh() -> str:
        fresh = client.assets.get(dataset_id, asset_id, contents=True)
        return str(fresh.contents.asset.url)  # type: ignore[union-attr]

    try:
        result = download_url(client, url, path, overwrite=True, max_workers=1, refresh_url=refresh)
    except ViError as error:
        _fail(record, "download", error.message)
        return None
    record["download"] = "skipped" if result.status == "skipped" else "succeeded"
    record["output"] = str(path)
    return path


def _transform(
    job: EtlJob, source: Path, asset: "Asset", folder: Path, record: Dict[str, Any]
) -> Optional[Path]:
    assert job.transform is not None
    details = asset_record(asset)
    name = safe_name(job.output_name(details) if job.output_name is not None else asset.filename)
    target = folder / name
    if target.exists() and record["download"] == "skipped" and not job.overwrite:
        record["transform"] = "skipped"
        record["output"] = str(target)
        return target
    temp = folder / (".vi-tmp-%d-%d-%s" % (os.getpid(), threading.get_ident(), name))
    try:
        outcome = job.transform(source, temp, details)
        if outcome is False:
            record.update(status="skipped", stage="transform", reason="the transform skipped this asset")
            record["transform"] = "skipped"
            return None
        if not temp.is_file():
            _fail(record, "transform", "the transform wrote no file")
            return None
        os.replace(temp, target)
    except Exception as error:  # the user's function: any failure is this file's failure
        _fail(record, "transform", _error_text(error))
        return None
    finally:
        if temp.exists():
            temp.unlink()
    record["transform"] = "succeeded"
    record["output"] = str(target)
    return target


def _upload(client: "Client", job: EtlJob, outputs: Dict[str, Dict[str, Any]], manifest: Path) -> None:
    """Upload ``outputs`` (path → record) in one call with a resume manifest; fill the records."""
    assert job.target_dataset_id is not None
    by_name: Dict[str, Dict[str, Any]] = {}
    paths: List[str] = []
    for path, record in outputs.items():
        name = os.path.basename(path)
        if name in by_name:
            _fail(record, "upload", "another asset of this partition has the output name %r" % name)
            continue
        by_name[name] = record
        paths.append(path)
    if not paths:
        return
    try:
        result = client.assets.upload(
            job.target_dataset_id,
            paths,
            max_workers=job.upload_workers,
            poll_interval=job.poll_interval,
            timeout=job.upload_timeout,
            resume=str(manifest),
        )
    except ViError as error:
        for record in by_name.values():
            _fail(record, "upload", error.message)
        return
    for name in result.succeeded:
        if name in by_name:
            by_name[name]["upload"] = "succeeded"
    for name in result.skipped:
        if name in by_name:
            by_name[name]["upload"] = "skipped"
    for name, reason in result.failed.items():
        if name in by_name:
            _fail(by_name[name], "upload", reason)
    for record in by_name.values():
        if record["upload"] is None:
            _fail(record, "upload", "the upload reported nothing for this file")


def _settle(record: Dict[str, Any]) -> Dict[str, Any]:
    """Overall status: failed at a stage, skipped when every stage found its work done."""
    if record["status"] != "succeeded":
        return record
    stages = [record[s] for s in ("download", "transform", "upload") if record[s] is not None]
    if stages and all(s == "skipped" for s in stages):
        record.update(status="skipped", reason="already done (identical file)")
    return record


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    os.replace(temp, path)


@task
def run_partition(job: EtlJob, partition: AssetPartition) -> List[Dict[str, Any]]:
    """Process one partition in this process; one record per asset (:data:`FILE_COLUMNS`).

    A failure of the whole partition (its listing cannot be fetched, say) raises a ``ViError``
    with nothing chained to it (:func:`~vi.integrations.workers.detached`)."""
    if not partition.query.get("contents"):
        raise ViConfigurationError("ETL partitions must be planned with contents=True (download URLs)")
    client = job.source.client()
    assets = list(fetch_assets(client, partition))
    digest = fingerprint(assets, job.identity())
    done_file = Path(job.state_dir).expanduser() / "done" / ("%s.json" % digest)
    try:
        with open(done_file, encoding="utf-8") as handle:
            earlier = json.load(handle)
    except (OSError, ValueError):
        earlier = None
    if isinstance(earlier, list) and len(earlier) == len(assets):
        for record in earlier:
            if record.get("stage") != "transform":  # a transform's own "skip this one" stays as it was
                record.update(status="skipped", stage="done", reason="completed in an earlier run")
            record["partition"] = partition.index
        return earlier
    work = job.work_path()
    downloads, outputs_dir = work / "assets", work / "out"
    downloads.mkdir(parents=True, exist_ok=True)
    if job.transform is not None:
        outputs_dir.mkdir(parents=True, exist_ok=True)

    def one(asset: "Asset") -> Dict[str, Any]:
        record = _record(asset, partition.index)
        source = _download(client, job, asset, downloads, record)
        if source is not None and job.transform is not None:
            _transform(job, source, asset, outputs_dir, record)
        return record

    with ThreadPoolExecutor(
        max(1, min(job.download_workers, len(assets))), thread_name_prefix="vi-etl"
    ) as pool:
        records = list(pool.map(one, assets))
    if job.target_dataset_id is not None:
        ready = {r["output"]: r for r in records if r["status"] == "succeeded" and r["output"]}
        manifest = Path(job.state_dir).expanduser() / "uploads" / ("%s.json" % digest)
        manifest.parent.mkdir(parents=True, exist_ok=True)
        _upload(client, job, ready, manifest)
    records = [_settle(r) for r in records]
    if not any(r["status"] == "failed" for r in records):
        _write_json(done_file, records)
    return records


class EtlSummary:
    """Counts of file outcomes and the failed records (each with its stage and reason)."""

    def __init__(self, counts: Dict[str, int], failures: List[Dict[str, Any]]) -> None:
        self.succeeded = int(counts.get("succeeded", 0))
        self.failed = int(counts.get("failed", 0))
        self.skipped = int(counts.get("skipped", 0))
        self.failures = failures

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.skipped

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        text = "%d file(s): %d succeeded, %d skipped, %d failed" % (
            self.total,
            self.succeeded,
            self.skipped,
            self.failed,
        )
        for record in self.failures[:20]:
            text += "\n  %s (%s) at %s: %s" % (
                record["filename"],
                record["asset_id"],
                record["stage"],
                record["reason"],
            )
        return text

    def __repr__(self) -> str:
        return "EtlSummary(succeeded=%d, skipped=%d, failed=%d)" % (self.succeeded, self.skipped, self.failed)


def summarize(records: Iterable[Dict[str, Any]]) -> EtlSummary:
    """An :class:`EtlSummary` of file records gathered in this process."""
    counts: Dict[str, int] = {}
    failures = []
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
        if record["status"] == "failed":
            failures.append(record)
    return EtlSummary(counts, failures)
