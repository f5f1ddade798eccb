"""Downloads for scripts that hold a client: assets, dataset exports, annotations, models and
any pre-signed URL, each ending in complete, verified files or a clear error.

These take a :class:`vi.Client` and hand its parts to the workflows
(:mod:`vi.transfers.download_workflows`, :mod:`vi.transfers.fetch`); the resource methods
``client.assets.download``, ``client.datasets.download`` / ``client.get_dataset``,
``client.annotations.download`` and ``client.models.download`` / ``client.get_model`` are the
same workflows with the arguments of the official client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .archives import extract_archive
from .download_results import AssetDownloadResult, DatasetDownloadResult, ModelDownloadResult
from .download_workflows import ANNOTATION_FORMATS, FULL_FORMATS
from .fetch import FileDownload, PathArg, fetch_url
from .workflows import Transfers

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

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
    "extract_archive",
]


def download_url(client: "Client", url: str, path: PathArg, **options: Any) -> FileDownload:
    """One pre-signed URL to ``path``, ranged, parallel and resumable: see
    :func:`vi.transfers.fetch.fetch_url` for the options."""
    return fetch_url(client.storage, url, path, **options)


def download_assets(
    client: "Client", dataset_id: str, save_dir: PathArg, **options: Any
) -> AssetDownloadResult:
    """Every asset file of a dataset into ``<save_dir>/<dataset_id>/``: see
    :func:`vi.transfers.download_workflows.download_assets` for the options."""
    return _transfers(client).download_assets(client.assets, dataset_id, save_dir, **options)


def download_dataset(client: "Client", dataset_id: str, **options: Any) -> DatasetDownloadResult:
    """Export (or reuse an export of) a dataset, download and extract it: see
    :func:`vi.transfers.download_workflows.download_dataset` for the options."""
    return _transfers(client).download_dataset(client.datasets, dataset_id, **options)


def download_annotations(client: "Client", dataset_id: str, **options: Any) -> DatasetDownloadResult:
    """The annotations of a dataset in an annotations-only format: see
    :func:`vi.transfers.download_workflows.download_annotations` for the options."""
    return _transfers(client).download_annotations(client.datasets, dataset_id, **options)


def download_model(
    client: "Client", run_id: str, ckpt: Optional[str] = None, **options: Any
) -> ModelDownloadResult:
    """A model checkpoint into ``<save_dir>/<run_id>/``: see
    :func:`vi.transfers.download_workflows.download_model` for the options."""
    return _transfers(client).download_model(client.models, run_id, ckpt, **options)


def _transfers(client: "Client") -> Transfers:
    return Transfers(client.storage, max_connections=client.config.max_connections)
