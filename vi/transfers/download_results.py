"""What a download workflow hands back: the folder it filled, per-file outcomes, and a summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, List, Optional

from .fetch import FileDownload

__all__ = ["AssetDownloadResult", "DatasetDownloadResult", "ModelDownloadResult", "SPLITS"]

SPLITS = ("training", "validation", "dump")

#: Files in ``<split>/annotations`` that hold annotations, whatever the export format: Vi JSONL,
#: COCO (``.json``), Pascal VOC (``.xml``), YOLO (``.txt``), CSV and TFRecord.
ANNOTATION_SUFFIXES = (".jsonl", ".json", ".xml", ".txt", ".csv", ".tfrecord")
#: Files there that are not annotations: the class lists of the YOLO formats.
NOT_ANNOTATIONS = ("classes.txt",)


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


class AssetDownloadResult:
    """What an asset download did: per-file outcomes and where they went."""

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


class DatasetDownloadResult:
    """An extracted dataset export.

    ``downloaded`` is False when the folder already held the dataset and ``overwrite`` was not
    set: nothing was exported or downloaded, and the files are those of the earlier download
    (``export_id`` and ``format`` then come from its ``metadata.json``)."""

    def __init__(
        self,
        dataset_id: str,
        save_dir: Path,
        export_id: Optional[str] = None,
        downloaded: bool = True,
        format: Optional[str] = None,
    ) -> None:
        self.dataset_id = dataset_id
        self.save_dir = str(save_dir)
        self.export_id = export_id
        self.downloaded = downloaded
        self.format = format

    @property
    def save_path(self) -> Path:
        return Path(self.save_dir)

    @property
    def size_mb(self) -> float:
        return _dir_size(self.save_path) / (1024 * 1024)

    @property
    def splits(self) -> List[str]:
        return [s for s in SPLITS if (self.save_path / s).is_dir()]

    def _count(self, sub: str, keep: Callable[[Path], bool]) -> Dict[str, int]:
        out = {}
        for split in self.splits:
            folder = self.save_path / split / sub
            out[split] = (
                sum(1 for p in folder.rglob("*") if p.is_file() and keep(p)) if folder.is_dir() else 0
            )
        return out

    @property
    def asset_count(self) -> Dict[str, int]:
        """Files in ``<split>/images`` (the service's layout) or ``<split>/assets``, per split."""
        images, assets = self._count("images", lambda path: True), self._count("assets", lambda path: True)
        return {split: images[split] + assets[split] for split in images}

    @property
    def annotation_count(self) -> Dict[str, int]:
        """Annotation files in ``<split>/annotations``, per split, in any export format: Vi JSONL,
        COCO, Pascal VOC, YOLO (not its ``classes.txt``), CSV, TFRecord."""
        return self._count(
            "annotations",
            lambda path: path.suffix.lower() in ANNOTATION_SUFFIXES and path.name not in NOT_ANNOTATIONS,
        )

    @property
    def file_list(self) -> List[str]:
        return _file_list(self.save_path)

    def summary(self) -> str:
        lines = ["Dataset %s → %s (%.2f MB)" % (self.dataset_id, self.save_dir, self.size_mb)]
        if not self.downloaded:
            lines[0] += ": already there, not downloaded again (overwrite=True downloads a fresh copy)"
        assets, annotations = self.asset_count, self.annotation_count
        for split in self.splits:
            lines.append("  %s: %d assets, %d annotation files" % (split, assets[split], annotations[split]))
        return "\n".join(lines)

    def info(self) -> None:
        print(self.summary())

    def __repr__(self) -> str:
        return "DatasetDownloadResult(%r, save_dir=%r%s)" % (
            self.dataset_id,
            self.save_dir,
            "" if self.downloaded else ", downloaded=False",
        )


class ModelDownloadResult:
    """A downloaded model checkpoint."""

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
        return "Model %s%s → %s (%.2f MB%s)%s" % (
            self.run_id,
            "/" + self.model_id if self.model_id else "",
            self._dir,
            self.size_mb,
            ", adapter" if self.has_adapter else "",
            ""
            if self.downloaded
            else ": already there, not downloaded again (overwrite=True downloads it afresh)",
        )

    def info(self) -> None:
        print(self.summary())

    def __repr__(self) -> str:
        return "ModelDownloadResult(%r, model_dir=%r)" % (self.run_id, str(self._dir))
