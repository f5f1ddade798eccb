"""Reading a downloaded dataset: :class:`ViDataset` and the typed annotations it yields.

``from vi.dataset import ViDataset`` as with the official ``vi-sdk``. Standard library (and the
SDK's own marshmallow) only; images are decoded only when asked, with Pillow (an extra), and
the PyTorch / Hugging Face adapters live in :mod:`vi.dataset.adapters`.
"""

from .annotations import (
    Freeform,
    GroundedPhrase,
    PhraseGrounding,
    ViAnnotation,
    ViAnnotationContents,
    ViAsset,
    Vqa,
    VqaPair,
)
from .geometry import Box
from .index import ViDatasetWarning
from .layout import (
    DUMP_SPLIT_NAME,
    FORMAT_VERSION,
    TRAINING_SPLIT_NAME,
    VALIDATION_SPLIT_NAME,
    ViDatasetMetadata,
)
from .loader import DEFAULT_DATASET_EXPORT_DIR, ViDataset, ViDatasetInfo, ViDatasetSplit, ViDatasetSplitInfo

__all__ = [
    "ViDataset",
    "ViDatasetSplit",
    "ViDatasetInfo",
    "ViDatasetSplitInfo",
    "ViDatasetMetadata",
    "ViDatasetWarning",
    "ViAsset",
    "ViAnnotation",
    "ViAnnotationContents",
    "PhraseGrounding",
    "GroundedPhrase",
    "Vqa",
    "VqaPair",
    "Freeform",
    "Box",
    "DUMP_SPLIT_NAME",
    "TRAINING_SPLIT_NAME",
    "VALIDATION_SPLIT_NAME",
    "FORMAT_VERSION",
    "DEFAULT_DATASET_EXPORT_DIR",
]
