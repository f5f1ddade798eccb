"""``ViDataset``: read a downloaded dataset as ``(asset, annotations)`` pairs, split by split.

The names and entry points are those of the official ``vi-sdk`` loader, so code written for it
runs: ``ViDataset("dataset-id")`` (from the default download folder) or ``ViDataset(path)``,
``len``, indexing, iteration, the ``dump``/``training``/``validation`` splits, ``metadata`` and
``info()``. What differs is how it reads: annotations are paired with their image by file name,
nothing is held in memory beyond a compact index, any pair can be read by index without reading
the files before it, one dataset can be shared by threads, and bad input fails with an error
that names the file and line.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union, overload

from ..documents import Document
from ..errors import ViNotFoundError
from .annotations import ViAnnotation, ViAsset
from .index import SplitIndex
from .layout import (
    DEFAULT_SPLITS,
    DUMP_SPLIT_NAME,
    TRAINING_SPLIT_NAME,
    VALIDATION_SPLIT_NAME,
    ViDatasetMetadata,
    find_splits,
    read_metadata,
    split_info_missing,
)

__all__ = [
    "ViDataset",
    "ViDatasetSplit",
    "ViDatasetInfo",
    "ViDatasetSplitInfo",
    "DEFAULT_DATASET_EXPORT_DIR",
]

#: where ``client.get_dataset`` puts datasets unless told otherwise
DEFAULT_DATASET_EXPORT_DIR = os.path.join("~", ".datature", "vi", "datasets")

Pair = Tuple[ViAsset, List[ViAnnotation]]
PathLike = Union[str, "os.PathLike[str]"]


class ViDatasetSplitInfo(Document):
    """Counts of one split: images and annotation lines."""

    _fields = ("assets", "annotations")
    assets: int
    annotations: int


class ViDatasetInfo(Document):
    """:meth:`ViDataset.info`: the metadata and the counts, per split and in total."""

    _fields = (
        "name",
        "organization_id",
        "created_at",
        "export_dir",
        "splits",
        "total_assets",
        "total_annotations",
    )
    _repr_fields = ("name", "total_assets", "total_annotations")
    name: str
    organization_id: Optional[str]
    created_at: Optional[str]
    export_dir: Optional[str]
    splits: Dict[str, ViDatasetSplitInfo]
    total_assets: int
    total_annotations: int


class _Column(Sequence[Any]):
    """A lazy, read-only view over one split: ``len``, indexing, iteration; nothing is cached."""

    def __init__(self, split: "ViDatasetSplit", read: Any) -> None:
        self._split = split
        self._read = read

    def __len__(self) -> int:
        return len(self._split)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> List[Any]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._read(i) for i in range(*index.indices(len(self)))]
        return self._read(self._split._check(index))

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self._read(i)


class ViDatasetSplit:
    """One split (``dump``, ``training`` or ``validation``) of a dataset.

    A split that is not in the dataset is present as an empty split (``exists`` is False), as in
    the official loader, so ``len(dataset.training)`` is 0 on a dump-only export."""

    def __init__(self, split_name: str, base_dir: Optional[str], index: Optional[SplitIndex]) -> None:
        self.split_name = split_name
        #: the dataset folder the split lives in (None when the split is absent)
        self.base_dir = base_dir
        self._index = index
        #: the split's images, a lazy sequence of :class:`ViAsset`
        self.assets: Sequence[ViAsset] = _Column(self, self._asset)
        #: each image's annotations, aligned with :attr:`assets` (a lazy sequence of lists)
        self.annotations: Sequence[List[ViAnnotation]] = _Column(self, self._annotations)

    @property
    def exists(self) -> bool:
        return self._index is not None

    @property
    def path(self) -> Optional[str]:
        return self._index.split_dir if self._index is not None else None

    @property
    def annotation_count(self) -> int:
        """Annotation lines in this split (an image may have several, or none)."""
        return self._index.annotation_count if self._index is not None else 0

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else 0

    def __repr__(self) -> str:
        return "ViDatasetSplit(%r, assets=%d)" % (self.split_name, len(self))

    def _check(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("split indices must be integers, got %s" % type(index).__name__)
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(
                "index %d is out of range for the %s split of %d assets" % (index, self.split_name, size)
            )
        return index

    def _asset(self, index: int) -> ViAsset:
        assert self._index is not None
        width, height = self._index.dimensions(index)
        return ViAsset(
            filename=self._index.names[index],
            width=width,
            height=height,
            filepath=self._index.filepath(index),
            url=None,
            split=self.split_name,
        )

    def _annotations(self, index: int) -> List[ViAnnotation]:
        assert self._index is not None
        return self._index.annotations(index)

    def pair(self, index: int) -> Pair:
        """The ``(asset, annotations)`` pair at ``index`` of this split."""
        index = self._check(index)
        return self._asset(index), self._annotations(index)

    def __getitem__(self, index: int) -> Pair:
        return self.pair(index)

    def __iter__(self) -> Iterator[Pair]:
        return self.iter_pairs()

    def iter_pairs(self) -> Iterator[Pair]:
        """Every ``(asset, annotations)`` pair, images in file-name order, read one at a time."""
        for i in range(len(self)):
            yield self._asset(i), self._annotations(i)

    def find(self, filename: str) -> Optional[Pair]:
        """The pair of the image named ``filename``, or None."""
        if self._index is None:
            return None
        i = self._index.position(filename)
        return None if i is None else (self._asset(i), self._annotations(i))

    def info(self) -> ViDatasetSplitInfo:
        return ViDatasetSplitInfo(assets=len(self), annotations=self.annotation_count)


def _resolve(
    dataset_id_or_path: PathLike,
    save_path: PathLike,
    overwrite: bool,
    client: Any,
    credentials: Dict[str, Optional[str]],
) -> str:
    """The folder to read: an existing path as given, else ``<save_path>/<id>``, downloaded
    first when it is missing (or ``overwrite``) and there is a client or credentials to do it."""
    given = os.path.expanduser(os.fspath(dataset_id_or_path))
    if os.path.isdir(given):
        return os.path.abspath(given)
    dataset_id = os.fspath(dataset_id_or_path)
    folder = os.path.abspath(os.path.join(os.path.expanduser(os.fspath(save_path)), dataset_id))
    if os.path.isdir(folder) and not overwrite:
        return folder
    if client is None and not (credentials.get("secret_key") or os.environ.get("DATATURE_VI_SECRET_KEY")):
        raise ViNotFoundError(
            "No dataset at %s and no credentials to download %r" % (folder, dataset_id),
            details={"file": folder},
            suggestion="Download it first with client.get_dataset(%r), or pass client= or secret_key="
            % dataset_id,
        )
    _download(dataset_id, save_path, overwrite, client, credentials)
    return folder


def _download(
    dataset_id: str, save_path: PathLike, overwrite: bool, client: Any, credentials: Dict[str, Optional[str]]
) -> None:
    owned = client is None
    if owned:
        from ..client import Client

        client = Client(
            secret_key=credentials.get("secret_key"),
            organization_id=credentials.get("organization_id"),
            endpoint=credentials.get("endpoint"),
        )
    try:
        client.get_dataset(dataset_id, save_dir=save_path, overwrite=overwrite, show_progress=False)
    finally:
        if owned:
            client.close()


class ViDataset:
    """A downloaded dataset, read lazily.

    ``ViDataset("dataset-id")`` reads ``~/.datature/vi/datasets/dataset-id``;
    ``ViDataset("/path/to/folder")`` reads that folder. When the dataset is not there yet and a
    ``client`` (or credentials, as arguments or ``DATATURE_VI_SECRET_KEY``) is given, it is
    downloaded first; ``overwrite=True`` downloads it again.

    ``len(dataset)`` counts images over all splits; ``dataset[i]`` and iteration give
    ``(ViAsset, [ViAnnotation, ...])`` pairs, the ``dump`` split first, then ``validation``,
    then ``training`` (the official loader's order). Reading never writes into the folder.

    The official loader's cache and prefetch settings (``memory_limit``, ``prefetch_size``,
    ``max_prefetch_queue_size``, ``enable_memory_mapping``) are accepted and ignored: this
    loader holds no samples, only an index of where each one is.
    """

    def __init__(
        self,
        dataset_id_or_path: PathLike,
        secret_key: Optional[str] = None,
        organization_id: Optional[str] = None,
        endpoint: Optional[str] = None,
        save_path: PathLike = DEFAULT_DATASET_EXPORT_DIR,
        overwrite: bool = False,
        memory_limit: int = 1000,
        prefetch_size: int = 10,
        max_prefetch_queue_size: int = 100,
        enable_memory_mapping: bool = True,
        *,
        client: Any = None,
        warn: bool = True,
    ) -> None:
        credentials = {"secret_key": secret_key, "organization_id": organization_id, "endpoint": endpoint}
        root = _resolve(dataset_id_or_path, save_path, overwrite, client, credentials)
        self.path = root
        self.metadata: ViDatasetMetadata = read_metadata(root)
        present = find_splits(root)
        self._splits: Dict[str, ViDatasetSplit] = {}
        for name in DEFAULT_SPLITS:
            index = SplitIndex(root, name, warn=warn) if name in present else None
            self._splits[name] = ViDatasetSplit(name, root if index is not None else None, index)
        self._order = [self._splits[name] for name in DEFAULT_SPLITS if self._splits[name].exists]
        self._offsets = [0]
        for split in self._order:
            self._offsets.append(self._offsets[-1] + len(split))

    # -- splits ------------------------------------------------------------------------------

    @property
    def dump(self) -> ViDatasetSplit:
        return self._splits[DUMP_SPLIT_NAME]

    @property
    def training(self) -> ViDatasetSplit:
        return self._splits[TRAINING_SPLIT_NAME]

    @property
    def validation(self) -> ViDatasetSplit:
        return self._splits[VALIDATION_SPLIT_NAME]

    @property
    def splits(self) -> List[str]:
        """The names of the splits this dataset has."""
        return [split.split_name for split in self._order]

    def split(self, name: str) -> ViDatasetSplit:
        """The split ``name``; a :class:`vi.errors.ViNotFoundError` naming the folder if absent."""
        split = self._splits.get(name)
        if split is None or not split.exists:
            raise split_info_missing(self.path, name)
        return split

    # -- the sequence of pairs ---------------------------------------------------------------

    def __len__(self) -> int:
        return self._offsets[-1]

    def _locate(self, index: int) -> Tuple[ViDatasetSplit, int]:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("dataset indices must be integers, got %s" % type(index).__name__)
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("Index %d is out of range for dataset of size %d" % (index, size))
        for k, split in enumerate(self._order):
            if index < self._offsets[k + 1]:
                return split, index - self._offsets[k]
        raise AssertionError("unreachable")  # pragma: no cover

    def __getitem__(self, index: int) -> Pair:
        split, local = self._locate(index)
        return split.pair(local)

    def __iter__(self) -> Iterator[Pair]:
        for split in self._order:
            yield from split.iter_pairs()

    def get_batch(self, indices: Sequence[int]) -> List[Pair]:
        """The pairs at ``indices`` (all checked before any is read)."""
        located = [self._locate(i) for i in indices]
        return [split.pair(local) for split, local in located]

    def get_split_indices(self, split_name: str) -> List[int]:
        """The global indices of the pairs of one split."""
        for k, split in enumerate(self._order):
            if split.split_name == split_name:
                return list(range(self._offsets[k], self._offsets[k + 1]))
        return []

    def get_sample_info(self, index: int) -> Dict[str, Union[str, int]]:
        split, local = self._locate(index)
        return {"split": split.split_name, "local_index": local, "global_index": index % max(len(self), 1)}

    # -- about the dataset -------------------------------------------------------------------

    def info(self) -> ViDatasetInfo:
        """Metadata and counts (images and annotation lines), per split and in total."""
        splits = {split.split_name: split.info() for split in self._order}
        created = self.metadata.created_at
        return ViDatasetInfo(
            name=self.metadata.name,
            organization_id=self.metadata.organization_id,
            created_at=(
                datetime.fromtimestamp(created, tz=timezone.utc).isoformat() if created is not None else None
            ),
            export_dir=self.metadata.export_dir or self.path,
            splits=splits,
            total_assets=sum(s.assets for s in splits.values()),
            total_annotations=sum(s.annotations for s in splits.values()),
        )

    def to_dataframe(self, *, annotations: bool = False) -> Any:
        """One row per image (or per annotation with ``annotations=True``) as a pandas
        DataFrame (the ``pandas`` extra); see :mod:`vi.tables` for the columns."""
        from .. import tables

        return tables.to_dataframe(self.annotation_rows() if annotations else self)

    def annotation_rows(self) -> Iterator[Dict[str, Any]]:
        """One flat row per annotation (:func:`vi.tables.loaded_annotation_row`)."""
        from ..tables import loaded_annotation_row

        for asset, found in self:
            for annotation in found:
                yield loaded_annotation_row(asset, annotation)

    def close(self) -> None:
        """Close the annotation files kept open for reading (reopened if read again)."""
        for split in self._order:
            if split._index is not None:
                split._index.close()

    def __enter__(self) -> "ViDataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "ViDataset(%r, splits=%s, assets=%d)" % (self.path, self.splits, len(self))
