"""Moving data: ``assets upload/download``, ``exports``, ``annotations import/export`` and
``models download``. Each shows a progress bar on a terminal only, reports every failed file
with its reason on stderr and exits with 5 when some files failed; an interrupted upload resumes
when the same command runs again, and downloads never leave a partial file under a final name."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from typing import Any, Dict, Iterable, List, Optional

from . import columns as cols
from .commands_data import paging
from .exits import OK, PARTIAL

__all__ = ["register", "default_manifest"]


def _waiting(parser: argparse.ArgumentParser, no_wait: bool = False) -> None:
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="give up waiting after this"
    )
    parser.add_argument("--poll-interval", type=float, default=3.0, metavar="SECONDS", help="default: 3")
    if no_wait:
        parser.add_argument("--no-wait", action="store_true", help="return once storage has the bytes")


def _export_settings(parser: argparse.ArgumentParser, default_format: str = "ViFull") -> None:
    parser.add_argument(
        "--format", default=default_format, help="export format (default: %s)" % default_format
    )
    parser.add_argument(
        "--split-ratio", type=float, default=None, metavar="R", help="training share, e.g. 0.8"
    )
    parser.add_argument(
        "--no-normalize", action="store_true", help="absolute instead of normalized coordinates"
    )


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", default=".", metavar="DIR", help="target folder (default: current folder)")
    parser.add_argument("--overwrite", action="store_true", help="replace files that differ")


def register(groups: Dict[str, Any]) -> None:
    g = groups["assets"]
    p = g.add("upload", assets_upload, "upload files and folders; a rerun resumes where it stopped")
    p.add_argument("dataset_id")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--pattern", default="*", help="glob for files inside folders (default: *)")
    p.add_argument("--no-recursive", action="store_true", help="only the top level of folders")
    p.add_argument("--relative-names", action="store_true", help="name files by their path below the folder")
    p.add_argument("--resume", metavar="FILE", help="resume manifest (default: one per dataset and paths)")
    p.add_argument("--no-resume", action="store_true", help="upload everything again, keep no manifest")
    p.add_argument("--workers", type=int, default=8, metavar="N")
    p.add_argument("--failure-mode", choices=("FailAfterOne", "FailAfterAll"), default="FailAfterOne")
    p.add_argument(
        "--on-asset-overwritten",
        choices=("RemoveLinkedResource", "KeepLinkedResource"),
        default="RemoveLinkedResource",
    )
    _waiting(p, no_wait=True)
    p = g.add("download", assets_download, "download every asset of a dataset into DIR/<dataset_id>")
    p.add_argument("dataset_id")
    _target(p)
    p.add_argument("--workers", type=int, default=8, metavar="N")

    g = groups["exports"]
    p = g.add("list", exports_list, "a dataset's exports")
    p.add_argument("dataset_id")
    paging(p)
    p = g.add("create", exports_create, "start an export (--wait to wait for it)")
    p.add_argument("dataset_id")
    _export_settings(p)
    p.add_argument("--wait", action="store_true")
    _waiting(p)
    p = g.add("wait", exports_wait, "wait until an export has finished")
    p.add_argument("dataset_id")
    p.add_argument("export_id")
    _waiting(p)
    p = g.add("download", exports_download, "export (or reuse --export-id), wait, download and extract")
    p.add_argument("dataset_id")
    p.add_argument("--export-id", default=None)
    _export_settings(p)
    _target(p)
    _waiting(p)

    g = groups["annotations"]
    p = g.add(
        "import", annotations_import, "import annotation files or folders (.json/.jsonl) into a dataset"
    )
    p.add_argument("dataset_id")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--pattern", default="*")
    p.add_argument("--kind", default="Unknown", help="annotation file kind (default: Unknown)")
    _waiting(p, no_wait=True)
    p = g.add("export", annotations_export, "export a dataset's annotations in a format and download them")
    p.add_argument("dataset_id")
    p.add_argument("--format", default="ViJsonl", help="annotations-only format (default: ViJsonl)")
    p.add_argument("--export-id", default=None)
    _target(p)
    _waiting(p)

    g = groups["models"]
    p = g.add("download", models_download, "download a run's model (a checkpoint, or the latest)")
    p.add_argument("run_id")
    p.add_argument("--checkpoint", default=None, metavar="ID")
    _target(p)


# -- uploads -----------------------------------------------------------------------------------


def default_manifest(
    endpoint: str, organization_id: str, dataset_id: str, paths: Iterable[str], options: Any
) -> str:
    """Where an upload keeps its resume manifest unless ``--resume`` names one: the same command
    (same endpoint, organization, dataset, paths and options) finds the same file again."""
    key = json.dumps(
        [
            endpoint,
            organization_id,
            dataset_id,
            sorted(os.path.abspath(os.path.expanduser(p)) for p in paths),
            options,
        ]
    )
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return os.path.join(cache, "datature-vi", "uploads", "%s-%s.json" % (dataset_id, digest))


def _file_rows(result: Any, succeeded_status: str) -> List[Dict[str, Any]]:
    rows = [{"name": n, "status": succeeded_status, "reason": None} for n in result.succeeded]
    rows += [{"name": n, "status": "skipped", "reason": "already uploaded"} for n in result.skipped]
    rows += [{"name": n, "status": "failed", "reason": r} for n, r in result.failed.items()]
    return sorted(rows, key=lambda row: row["name"])


def _report(ctx: Any, rows: List[Dict[str, Any]], columns: Any, failed: Dict[str, str], summary: str) -> int:
    writer = ctx.writer(columns)
    writer.page(rows)
    writer.close()
    for name, reason in sorted(failed.items()):
        ctx.warn("failed: %s: %s" % (name, reason))
    ctx.info(summary.splitlines()[0])
    return PARTIAL if failed else OK


def assets_upload(ctx: Any) -> int:
    a = ctx.args
    client = ctx.client()
    resume: Optional[str] = None
    if not a.no_resume:
        options = [a.pattern, not a.no_recursive, a.relative_names]
        resume = a.resume or default_manifest(
            client.endpoint, client.organization_id, a.dataset_id, a.paths, options
        )
        os.makedirs(os.path.dirname(os.path.abspath(resume)), mode=0o700, exist_ok=True)
    bar = ctx.progress("Uploading")
    result = client.assets.upload(
        a.dataset_id,
        list(a.paths),
        pattern=a.pattern,
        recursive=not a.no_recursive,
        relative_names=a.relative_names,
        failure_mode=a.failure_mode,
        on_asset_overwritten=a.on_asset_overwritten,
        max_workers=a.workers,
        wait=not a.no_wait,
        timeout=a.timeout,
        poll_interval=a.poll_interval,
        resume=resume,
        progress=bar,
    )
    ctx.end_progress()
    return _report(ctx, _file_rows(result, "uploaded"), cols.UPLOAD_FILE, result.failed, result.summary())


def annotations_import(ctx: Any) -> int:
    a = ctx.args
    bar = ctx.progress("Importing")
    result = ctx.client().annotations.upload(
        a.dataset_id,
        list(a.paths),
        pattern=a.pattern,
        kind=a.kind,
        wait=not a.no_wait,
        timeout=a.timeout,
        poll_interval=a.poll_interval,
        progress=bar,
    )
    ctx.end_progress()
    return _report(ctx, _file_rows(result, "imported"), cols.UPLOAD_FILE, result.failed, result.summary())


# -- downloads ---------------------------------------------------------------------------------


def assets_download(ctx: Any) -> int:
    a = ctx.args
    bar = ctx.progress("Downloading")
    result = ctx.client().assets.download(
        a.dataset_id, a.to, overwrite=a.overwrite, show_progress=False, max_workers=a.workers, progress=bar
    )
    ctx.end_progress()
    rows = [
        {"path": str(f.path), "status": f.status, "size": f.size, "reason": f.reason}
        for f in sorted(result.files, key=lambda f: str(f.path))
    ]
    return _report(ctx, rows, cols.DOWNLOAD_FILE, result.failed, result.summary())


def _settings(a: Any) -> Dict[str, Any]:
    return {"format": a.format, "options": {"normalized": not a.no_normalize, "split_ratio": a.split_ratio}}


def _dataset_record(result: Any) -> Dict[str, Any]:
    return {
        "dataset_id": result.dataset_id,
        "export_id": result.export_id,
        "save_path": str(result.save_path),
        "downloaded": result.downloaded,
        "splits": result.splits,
        "asset_count": result.asset_count,
        "annotation_count": result.annotation_count,
    }


def exports_list(ctx: Any) -> int:
    client = ctx.client()
    ctx.listing(
        lambda: client.datasets.list_exports(ctx.args.dataset_id, page_size=ctx.args.page_size),
        cols.EXPORT,
        ctx.args.limit,
    )
    return OK


def exports_create(ctx: Any) -> int:
    a = ctx.args
    client = ctx.client()
    export = client.datasets.create_export(a.dataset_id, _settings(a))
    if a.wait:
        ctx.info("Export %s started; waiting" % export.dataset_export_id)
        export = client.datasets.wait_for_export(
            a.dataset_id, export.dataset_export_id, timeout=a.timeout, poll_interval=a.poll_interval
        )
    ctx.show(export, cols.EXPORT)
    return OK


def exports_wait(ctx: Any) -> int:
    a = ctx.args
    export = ctx.client().datasets.wait_for_export(
        a.dataset_id, a.export_id, timeout=a.timeout, poll_interval=a.poll_interval
    )
    ctx.show(export, cols.EXPORT)
    return OK


def exports_download(ctx: Any) -> int:
    a = ctx.args
    bar = ctx.progress("Downloading")
    result = ctx.client().datasets.download(
        a.dataset_id,
        a.export_id,
        export_settings=None if a.export_id else _settings(a),
        save_dir=a.to,
        overwrite=a.overwrite,
        show_progress=False,
        timeout=a.timeout,
        poll_interval=a.poll_interval,
        progress=bar,
    )
    ctx.end_progress()
    ctx.show(_dataset_record(result), cols.DATASET_DOWNLOAD)
    return OK


def annotations_export(ctx: Any) -> int:
    a = ctx.args
    bar = ctx.progress("Downloading")
    result = ctx.client().annotations.download(
        a.dataset_id,
        a.format,
        a.to,
        a.overwrite,
        False,
        export_id=a.export_id,
        timeout=a.timeout,
        poll_interval=a.poll_interval,
        progress=bar,
    )
    ctx.end_progress()
    ctx.show(_dataset_record(result), cols.DATASET_DOWNLOAD)
    return OK


def models_download(ctx: Any) -> int:
    a = ctx.args
    bar = ctx.progress("Downloading")
    result = ctx.client().models.download(a.run_id, a.checkpoint, a.to, a.overwrite, False, progress=bar)
    ctx.end_progress()
    record = {
        "run_id": result.run_id,
        "model_id": result.model_id,
        "model_dir": str(result.model_dir),
        "model_path": str(result.model_path),
        "adapter_path": str(result.adapter_path) if result.adapter_path else None,
        "downloaded": result.downloaded,
    }
    ctx.show(record, cols.MODEL_DOWNLOAD)
    return OK
