"""The transfer workflows of one client, as its resources reach them.

Resources do not import the transfers (transfers build on resources, not the other way round):
the client, the composition root, gives each resource this object, which holds what the
workflows need besides the resource itself: the storage sender and the client's pool size.
The workflow modules are imported on first use, so building a client stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .storage import StorageSession

if TYPE_CHECKING:  # pragma: no cover
    from ..resources.annotations import Annotations
    from ..resources.assets import Assets
    from ..resources.datasets import Datasets
    from ..resources.models import Models
    from .download_results import AssetDownloadResult, DatasetDownloadResult, ModelDownloadResult
    from .upload_results import AnnotationUploadResult, AssetUploadResult

__all__ = ["Transfers"]


class Transfers:
    """Entry points of the upload and download workflows, with this client's collaborators."""

    def __init__(self, storage: StorageSession, *, max_connections: int) -> None:
        self.storage = storage
        self.max_connections = max_connections

    def __repr__(self) -> str:
        return "<Transfers max_connections=%d>" % self.max_connections

    def upload_assets(
        self, assets: "Assets", dataset_id: str, *args: Any, **options: Any
    ) -> "AssetUploadResult":
        from .asset_uploads import upload_assets

        options.setdefault("max_connections", self.max_connections)
        return upload_assets(assets, self.storage, dataset_id, *args, **options)

    def upload_annotations(
        self, annotations: "Annotations", dataset_id: str, paths: Any, **options: Any
    ) -> "AnnotationUploadResult":
        from .annotation_imports import upload_annotations

        options.setdefault("max_connections", self.max_connections)
        return upload_annotations(annotations, self.storage, dataset_id, paths, **options)

    def download_assets(
        self, assets: "Assets", dataset_id: str, save_dir: Any, **options: Any
    ) -> "AssetDownloadResult":
        from .download_workflows import download_assets

        return download_assets(assets, self.storage, dataset_id, save_dir, **options)

    def download_dataset(
        self, datasets: "Datasets", dataset_id: str, **options: Any
    ) -> "DatasetDownloadResult":
        from .download_workflows import download_dataset

        return download_dataset(datasets, self.storage, dataset_id, **options)

    def download_annotations(
        self, datasets: "Datasets", dataset_id: str, **options: Any
    ) -> "DatasetDownloadResult":
        from .download_workflows import download_annotations

        return download_annotations(datasets, self.storage, dataset_id, **options)

    def download_model(
        self, models: "Models", run_id: str, ckpt: Optional[str] = None, **options: Any
    ) -> "ModelDownloadResult":
        from .download_workflows import download_model

        return download_model(models, self.storage, run_id, ckpt, **options)
