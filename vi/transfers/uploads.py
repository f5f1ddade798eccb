"""Uploads for scripts that hold a client: assets (files, folders, ``(name, bytes)`` pairs) and
annotation files, each file reported as uploaded, skipped or failed with its reason.

These take a :class:`vi.Client` and hand its parts to the workflows
(:mod:`vi.transfers.asset_uploads`, :mod:`vi.transfers.annotation_imports`);
``client.assets.upload`` and ``client.annotations.upload`` are the same workflows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .asset_uploads import DEFAULT_MULTIPART_THRESHOLD, INGESTION_BATCH_SIZE, IngestionOptions
from .sources import MIME_TYPES
from .upload_results import AnnotationUploadResult, AssetUploadResult
from .workflows import Transfers

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

__all__ = [
    "AssetUploadResult",
    "AnnotationUploadResult",
    "IngestionOptions",
    "upload_assets",
    "upload_annotations",
    "MIME_TYPES",
    "DEFAULT_MULTIPART_THRESHOLD",
    "INGESTION_BATCH_SIZE",
]


def upload_assets(client: "Client", dataset_id: str, *args: Any, **options: Any) -> AssetUploadResult:
    """Upload files, folders and/or ``(filename, bytes)`` pairs as assets of a dataset: see
    :func:`vi.transfers.asset_uploads.upload_assets` for the arguments."""
    transfers = Transfers(client.storage, max_connections=client.config.max_connections)
    return transfers.upload_assets(client.assets, dataset_id, *args, **options)


def upload_annotations(
    client: "Client", dataset_id: str, paths: Any, **options: Any
) -> AnnotationUploadResult:
    """Import annotation files into a dataset through one import session: see
    :func:`vi.transfers.annotation_imports.upload_annotations` for the options."""
    transfers = Transfers(client.storage, max_connections=client.config.max_connections)
    return transfers.upload_annotations(client.annotations, dataset_id, paths, **options)
