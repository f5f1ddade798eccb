"""The download workflows: which API calls lead to which storage objects, and where they land.

Each takes the API resource it needs and the client's storage sender, nothing else of the
client: every asset of a dataset (every page of the listing, one streamed request per file),
a dataset export or the annotations of a dataset (export, wait, ranged download, safe
extraction), and a model checkpoint (ranged download, safe extraction, layout check).
"""

from __future__ import annotations

import binascii
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union

from ..checks import check_count
from ..errors import ViDownloadError, ViError, ViOperationError, ViValidationError
from ..logging import get_logger
from . import crc32c
from .archives import fetch_and_extract
from .download_results import AssetDownloadResult, DatasetDownloadResult, ModelDownloadResult
from .fetch import DEFAULT_PART_SIZE, Fetcher, FileDownload, ProgressArg, download_error, progress_for
from .files import safe_join, safe_name, unique_names
from .storage import StorageSession

if TYPE_CHECKING:  # pragma: no cover
    from ..resources.assets import Assets
    from ..resources.datasets import Datasets
    from ..resources.models import Models

__all__ = [
    "ANNOTATION_FORMATS",
    "FULL_FORMATS",
    "download_annotations",
    "download_assets",
    "download_dataset",
    "download_model",
]

PathArg = Union[str, "os.PathLike[str]"]

_log = get_logger()

#: Which export formats each dataset type accepts.
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


# -- assets -------------------------------------------------------------------------------------


def _asset_crc(asset: Any) -> Optional[int]:
    digest = getattr(getattr(asset, "metadata", None), "hash", None)
    if digest is None or str(getattr(digest, "algorithm", "")).lower() != "crc32c":
        return None
    try:
        return crc32c.from_base64(str(digest.contents))
    except (ValueError, binascii.Error):
        return None


def download_assets(
    assets: "Assets",
    storage: StorageSession,
    dataset_id: str,
    save_dir: PathArg,
    *,
    overwrite: bool = False,
    max_workers: int = 8,
    show_progress: bool = False,
    progress: ProgressArg = None,
    raise_on_failure: bool = False,
    page_size: int = 1000,
) -> AssetDownloadResult:
    """Download every asset file of a dataset into ``<save_dir>/<dataset_id>/``.

    Walks every page of the asset listing (with contents). File names come from each asset's
    ``filename``, sanitised (:func:`~vi.transfers.files.safe_name`); assets whose names collide
    are kept as ``name (asset-id).ext``. Identical files already there are skipped; different
    ones are replaced only with ``overwrite``. A file that fails is reported in ``failed``
    (name → reason) — or raised as :class:`ViDownloadError` after the others finished, with
    ``raise_on_failure``. Expired URLs are re-signed by reading the asset again."""
    check_count("max_workers", max_workers)
    target = Path(save_dir).expanduser() / safe_name(dataset_id)
    listed = []
    for asset in assets.list(dataset_id, contents=True, page_size=page_size).all_items():
        contents = getattr(asset, "contents", None)
        link = getattr(contents, "asset", None) if contents is not None else None
        if link is not None and getattr(link, "url", None):
            listed.append((asset, link.url))
    names = unique_names((a.asset_id, a.filename) for a, _ in listed)
    _log.info("Downloading %d asset file(s) of dataset %s into %s", len(listed), dataset_id, target)
    tracker, owned = progress_for(progress, show_progress)
    tracker.set_totals(
        total_files=len(listed),
        total_bytes=sum(int(getattr(a.metadata, "file_size", 0) or 0) for a, _ in listed),
    )
    fetcher = Fetcher(storage, tracker)
    target.mkdir(parents=True, exist_ok=True)

    def one(item: Tuple[Any, str]) -> FileDownload:
        asset, url = item
        name = names[asset.asset_id]
        final = safe_join(target, name)

        def refresh() -> str:
            contents = assets.get(dataset_id, asset.asset_id, contents=True).contents
            return _url_of(contents.asset if contents is not None else None, "asset %s" % asset.asset_id)

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
        if max_workers == 1 or len(listed) <= 1:
            outcomes = [one(item) for item in listed]
        else:
            with ThreadPoolExecutor(min(max_workers, len(listed)), thread_name_prefix="vi-assets") as pool:
                outcomes = list(pool.map(one, listed))
    finally:
        if owned:
            tracker.close()
    failed = {o.path.name: o.reason or "failed" for o in outcomes if o.status == "failed"}
    result = AssetDownloadResult(dataset_id, target, outcomes, len(listed), failed)
    _log.info("%s", result.summary())
    if failed and raise_on_failure:
        first = next(o.error for o in outcomes if o.status == "failed")
        raise ViDownloadError(
            "%d of %d asset downloads failed: %s"
            % (len(failed), len(listed), "; ".join("%s: %s" % kv for kv in sorted(failed.items())[:5])),
            status_code=getattr(first, "status_code", None),
            attempts=getattr(first, "attempts", None),
            path=getattr(first, "path", None),
            details={"failed": failed},
        )
    return result


def _url_of(link: Any, what: str) -> str:
    """The URL of a freshly signed link, or a clear error when the service no longer gives one."""
    url = getattr(link, "url", None)
    if not url:
        raise download_error("The %s no longer has a download URL" % what)
    return str(url)


# -- datasets -----------------------------------------------------------------------------------


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


def _existing_export(target: Path) -> Dict[str, Any]:
    """What the ``metadata.json`` of an earlier download says (empty when there is none)."""
    try:
        with open(target / "metadata.json", encoding="utf-8") as handle:
            found = json.load(handle)
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def download_dataset(
    datasets: "Datasets",
    storage: StorageSession,
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
    ``<save_dir>/<dataset_id>/``.

    Order: an existing non-empty target with ``overwrite=False`` is returned at once (no export
    is created; the result's ``downloaded`` is False and the reuse is logged); the export
    format is checked against the dataset's type *before* any export is created; the wait has a
    ``timeout`` (``ViTimeoutError``). Without ``export_settings`` the format is ``ViFull``, or
    ``ViJsonl`` with ``annotations_only``. With ``export_id`` the existing export's own format
    decides (``annotations_only`` and ``export_settings`` do not apply to it). The archive
    download is ranged, verified and resumable; extraction goes to a staging folder that
    replaces the target only when complete."""
    from ..resources.datasets import DatasetExportSettings

    target = Path(save_dir).expanduser() / safe_name(dataset_id)
    if not overwrite and _non_empty(target):
        earlier = _existing_export(target)
        _log.info(
            "Dataset %s is already in %s (export %s): not downloading it again; pass overwrite=True to "
            "download a fresh copy",
            dataset_id,
            target,
            earlier.get("exportId") or "unknown",
        )
        return DatasetDownloadResult(
            dataset_id,
            target,
            export_id or earlier.get("exportId"),
            downloaded=False,
            format=earlier.get("format"),
        )
    if export_settings is None:
        settings = DatasetExportSettings(format="ViJsonl" if annotations_only else "ViFull")
    else:
        settings = DatasetExportSettings.coerce(export_settings)
    if export_id is None:
        dataset = datasets.get(dataset_id)
        _check_format(dataset.type, str(settings.format), annotations_only)
        export_id = datasets.create_export(dataset_id, settings).dataset_export_id
        _log.info(
            "Export %s of dataset %s created (%s); waiting for it", export_id, dataset_id, settings.format
        )
    wait_args: Dict[str, Any] = {"timeout": timeout}
    if poll_interval is not None:
        wait_args["poll_interval"] = poll_interval
    export = datasets.wait_for_export(dataset_id, export_id, **wait_args)
    link = getattr(export.status, "download_url", None)
    if link is None or not getattr(link, "url", None):
        raise ViOperationError("The dataset download URL is not available. The export may have failed.")
    fixed_export_id: str = export_id

    def refresh() -> str:
        fresh = datasets.get_export(dataset_id, fixed_export_id).status.download_url
        if fresh is None:
            raise download_error("The export %s no longer has a download URL" % fixed_export_id)
        return str(fresh.url)

    _log.info("Export %s of dataset %s is ready; downloading it into %s", export_id, dataset_id, target)
    tracker, owned = progress_for(progress, show_progress)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fetch_and_extract(
            Fetcher(storage, tracker, part_size=part_size, max_workers=max_workers),
            str(link.url),
            archive=target.parent / (".vi-%s-%s.zip" % (safe_name(dataset_id), safe_name(export_id))),
            target=target,
            refresh=refresh,
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
    result = DatasetDownloadResult(dataset_id, target, export_id, format=str(export.spec.format))
    _log.info("Dataset %s downloaded into %s", dataset_id, target)
    return result


def download_annotations(
    datasets: "Datasets",
    storage: StorageSession,
    dataset_id: str,
    *,
    export_format: str = "ViJsonl",
    normalized: bool = True,
    split_ratio: Optional[float] = None,
    **options: Any,
) -> DatasetDownloadResult:
    """The annotations of a dataset in one of the annotations-only formats:
    :func:`download_dataset` with ``annotations_only=True`` (same ``options``)."""
    settings = {"format": export_format, "options": {"normalized": normalized, "split_ratio": split_ratio}}
    return download_dataset(
        datasets, storage, dataset_id, annotations_only=True, export_settings=settings, **options
    )


# -- models -------------------------------------------------------------------------------------


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
    models: "Models",
    storage: StorageSession,
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
    """Download and extract a model checkpoint into ``<save_dir>/<runId>/``.

    An existing folder whose layout checks out is returned as is unless ``overwrite``; one that
    does not (a partial folder from elsewhere) is downloaded again, never raised on. The archive
    is fetched with the ranged, resumable downloader and extracted safely; the layout check runs
    before the new folder replaces anything."""
    model = models.get(run_id, ckpt, contents=True)
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
        _log.info(
            "Model of run %s is already in %s: not downloading it again; pass overwrite=True to download "
            "a fresh copy",
            model.run_id,
            target,
        )
        return ModelDownloadResult(model.run_id, target, model_id, downloaded=False)
    _log.info("Downloading model %s of run %s into %s", model_id or "(latest)", model.run_id, target)

    def refresh() -> str:
        contents = models.get(run_id, ckpt, contents=True).status.contents
        return _url_of(contents.download_url if contents is not None else None, "model of run %s" % run_id)

    def check(staging: Path) -> None:
        problem = _model_layout_problem(staging)
        if problem is not None:
            raise ViDownloadError(
                "The model archive of run %s has an unexpected layout: %s" % (run_id, problem)
            )

    tracker, owned = progress_for(progress, show_progress)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fetch_and_extract(
            Fetcher(storage, tracker, part_size=part_size, max_workers=max_workers),
            str(link.url),
            archive=target.parent
            / (".vi-model-%s-%s.tar" % (safe_name(model.run_id), safe_name(model_id or "latest"))),
            target=target,
            refresh=refresh,
            label=target.name,
            check=check,
        )
    finally:
        if owned:
            tracker.close()
    _log.info("Model of run %s downloaded into %s", model.run_id, target)
    return ModelDownloadResult(model.run_id, target, model_id)
