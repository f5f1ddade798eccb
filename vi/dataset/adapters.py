"""A loaded dataset in the shapes training libraries take: PyTorch and Hugging Face.

Both are optional. :class:`TorchDataset` is the map-style protocol ``torch.utils.data.DataLoader``
reads (``__len__`` and ``__getitem__``) and imports nothing itself, so it also serves other
libraries that take the same protocol; it pickles (without open files) so ``DataLoader`` workers
each get their own copy. :func:`to_hf_dataset` builds a ``datasets.Dataset`` from a generator,
so the dataset is written to Hugging Face's Arrow cache pair by pair instead of being held in
memory (the ``datasets`` extra).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from ..errors import ViError
from .annotations import ViAnnotation, ViAsset
from .loader import ViDataset, ViDatasetSplit

__all__ = ["TorchDataset", "to_hf_dataset", "hf_features", "hf_row"]

Source = Union[ViDataset, ViDatasetSplit]
Transform = Callable[[Any, List[ViAnnotation]], Any]


class TorchDataset:
    """A map-style dataset over a :class:`ViDataset` (or one of its splits).

    ``dataset[i]`` is ``(image, annotations)``: ``image`` is the decoded Pillow image when
    ``load_images`` (the ``images`` extra), else the :class:`ViAsset` (with ``filepath``).
    ``transform(image, annotations)``, when given, turns that into whatever the model wants
    (tensors, say); it must be picklable for ``DataLoader(num_workers > 0)``.
    """

    def __init__(
        self,
        source: Union[Source, str],
        split: Optional[str] = None,
        *,
        transform: Optional[Transform] = None,
        load_images: bool = False,
    ) -> None:
        dataset: Source = ViDataset(source) if isinstance(source, str) else source
        if split is not None:
            if not isinstance(dataset, ViDataset):
                raise ViError("split= needs a whole ViDataset, not one of its splits")
            dataset = dataset.split(split)
        self.source = dataset
        self.transform = transform
        self.load_images = load_images

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> Any:
        asset, annotations = self.source[index]
        image: Any = asset.load_image() if self.load_images else asset
        if self.transform is not None:
            return self.transform(image, annotations)
        return image, annotations

    def __repr__(self) -> str:
        return "TorchDataset(%r, items=%d)" % (self.source, len(self))


def hf_row(asset: ViAsset, annotations: List[ViAnnotation], *, images: bool = False) -> Dict[str, Any]:
    """One pair as a row of the schema :func:`hf_features` describes."""
    from ..tables import loaded_annotation_row

    out: List[Dict[str, Any]] = []
    for annotation in annotations:
        row = loaded_annotation_row(asset, annotation)
        out.append(
            {
                "id": row["annotation_id"],
                "type": row["type"],
                "category": None if row["category"] is None else str(row["category"]),
                "caption": row["caption"],
                "text": row["text"],
                "phrases": [
                    {
                        "phrase": p["phrase"],
                        "start": p["start"],
                        "end": p["end"],
                        "bounds": [[float(v) for v in _flat(b)] for b in p["bounds"]],
                    }
                    for p in row["phrases"] or []
                ],
                "interactions": row["interactions"] or [],
            }
        )
    record: Dict[str, Any] = {
        "split": asset.split,
        "filename": asset.filename,
        "filepath": asset.filepath,
        "width": asset.width,
        "height": asset.height,
        "annotations": out,
    }
    if images:
        record["image"] = asset.filepath
    return record


def _flat(bound: Any) -> List[Any]:
    """A box as ``[xmin, ymin, xmax, ymax]`` numbers, whatever shape it was stored in."""
    from .geometry import to_box

    try:
        return list(to_box(bound))
    except ValueError:
        return []


def hf_features(images: bool = False) -> Any:
    """The ``datasets.Features`` of :func:`to_hf_dataset`'s rows."""
    datasets = _datasets()
    Value = datasets.Value
    phrase = {
        "phrase": Value("string"),
        "start": Value("int64"),
        "end": Value("int64"),
        "bounds": [[Value("float64")]],
    }
    pair = {"order": Value("int64"), "question": Value("string"), "answer": Value("string")}
    annotation = {
        "id": Value("string"),
        "type": Value("string"),
        "category": Value("string"),
        "caption": Value("string"),
        "text": Value("string"),
        "phrases": [phrase],
        "interactions": [pair],
    }
    features: Dict[str, Any] = {
        "split": Value("string"),
        "filename": Value("string"),
        "filepath": Value("string"),
        "width": Value("int64"),
        "height": Value("int64"),
        "annotations": [annotation],
    }
    if images:
        features["image"] = datasets.Image()
    return datasets.Features(features)


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise ViError(
            "to_hf_dataset needs the Hugging Face datasets library, which is not installed",
            suggestion="pip install 'vi-requests[datasets]'",
        ) from None
    return datasets


def _generate(path: str, splits: Tuple[str, ...], images: bool) -> Iterator[Dict[str, Any]]:
    # Module-level and fed only strings: Hugging Face fingerprints the generator and its
    # arguments to name its cache, and reopening by path keeps that fingerprint stable.
    dataset = ViDataset(path, warn=False)
    try:
        for name in splits:
            for asset, annotations in dataset.split(name):
                yield hf_row(asset, annotations, images=images)
    finally:
        dataset.close()


def to_hf_dataset(
    source: Union[ViDataset, str], split: Optional[str] = None, *, images: bool = False, **kwargs: Any
) -> Any:
    """A ``datasets.Dataset`` of the pairs of ``source`` (one split, or all of them), built with
    ``Dataset.from_generator`` so that it streams into the Arrow cache. With ``images=True`` an
    ``image`` column of type ``datasets.Image`` points at each file. ``kwargs`` go to
    ``from_generator`` (``cache_dir=``, ``keep_in_memory=``, ``num_proc=`` …)."""
    datasets = _datasets()
    dataset = ViDataset(source, warn=False) if isinstance(source, str) else source
    splits = tuple(dataset.splits) if split is None else (dataset.split(split).split_name,)
    return datasets.Dataset.from_generator(
        _generate,
        features=hf_features(images),
        gen_kwargs={"path": dataset.path, "splits": splits, "images": images},
        **kwargs,
    )
