"""Where things are in a downloaded dataset folder, and its ``metadata.json``.

The service's export archives hold one folder per split: ``dump/`` (no split asked for) or
``training/`` + ``validation/``. Each split has its images under ``images/`` (``assets/`` is
accepted too) and its annotations in ``annotations/*.jsonl``. ``metadata.json`` at the top is
written by the download. Nothing here writes to the folder.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any, List, Optional

from marshmallow import ValidationError

from .. import fields as f
from ..documents import Document
from ..errors import ViInvalidFileFormatError, ViNotFoundError, ViValidationError
from .annotations import _Int

__all__ = [
    "TRAINING_SPLIT_NAME",
    "VALIDATION_SPLIT_NAME",
    "DUMP_SPLIT_NAME",
    "DEFAULT_SPLITS",
    "FORMAT_VERSION",
    "ViDatasetMetadata",
    "read_metadata",
    "find_splits",
    "images_dir",
    "annotation_files",
]

TRAINING_SPLIT_NAME = "training"
VALIDATION_SPLIT_NAME = "validation"
DUMP_SPLIT_NAME = "dump"
#: the order splits are numbered in for ``len``/indexing (the official loader's order)
DEFAULT_SPLITS = (DUMP_SPLIT_NAME, VALIDATION_SPLIT_NAME, TRAINING_SPLIT_NAME)
#: the newest ``metadata.json`` layout this version reads (absent = 1)
FORMAT_VERSION = 1
IMAGE_FOLDERS = ("images", "assets")
ANNOTATION_SUFFIXES = (".jsonl", ".json")


class ViDatasetMetadata(Document):
    """``metadata.json``: which dataset this is, where it came from and when it was downloaded."""

    _repr_fields = ("name", "organization_id", "created_at")

    name: str = f.string()
    organization_id: Optional[str] = f.string(optional=True)
    export_dir: Optional[str] = f.string(optional=True)
    created_at: Optional[int] = f.custom(_Int(data_key="createdAt", load_default=None, allow_none=True))
    license: Any = f.raw(optional=True)
    export_id: Optional[str] = f.string(optional=True)
    format: Optional[str] = f.string(optional=True)
    format_version: int = f.custom(_Int(data_key="formatVersion", load_default=1))

    @property
    def created(self) -> Optional[datetime]:
        """``created_at`` (epoch seconds) as an aware UTC datetime."""
        if self.created_at is None:
            return None
        return datetime.fromtimestamp(self.created_at, tz=timezone.utc)


def read_metadata(root: str) -> ViDatasetMetadata:
    """``<root>/metadata.json``, or metadata made up from the folder when the file is absent
    (a dataset unpacked by hand). A newer format version than this one reads is refused."""
    path = os.path.join(root, "metadata.json")
    if not os.path.isfile(path):
        return ViDatasetMetadata(
            name=os.path.basename(os.path.normpath(root)),
            organization_id=None,
            export_dir=root,
            created_at=None,
            license=None,
            export_id=None,
            format=None,
            format_version=FORMAT_VERSION,
        )
    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ViInvalidFileFormatError(
            "%s is not valid JSON: %s" % (path, err),
            details={"file": path},
            suggestion="Download the dataset again (overwrite=True)",
        ) from None
    version = document.get("formatVersion", 1) if isinstance(document, dict) else 1
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ViInvalidFileFormatError(
            "%s has format version %d; this version of vi reads up to %d" % (path, version, FORMAT_VERSION),
            details={"file": path, "format_version": version},
            suggestion="Upgrade vi-requests to read this dataset",
        )
    try:
        metadata: ViDatasetMetadata = ViDatasetMetadata.wire_schema().load(document)
    except ValidationError as err:
        raise ViInvalidFileFormatError(
            "%s is not a dataset metadata file: %s" % (path, err.messages),
            details={"file": path},
        ) from None
    return metadata


def find_splits(root: str) -> List[str]:
    """The splits present, in :data:`DEFAULT_SPLITS` order; a :class:`ViValidationError` naming
    the missing folder when there is neither ``dump/`` nor both ``training/`` and ``validation/``."""
    present = [name for name in DEFAULT_SPLITS if os.path.isdir(os.path.join(root, name))]
    if DUMP_SPLIT_NAME in present:
        return present
    pair = (TRAINING_SPLIT_NAME, VALIDATION_SPLIT_NAME)
    missing = [name for name in pair if name not in present]
    if not missing:
        return present
    if len(missing) == 1:
        where = os.path.join(root, missing[0])
        message = "Split folder %s is missing (%s is there)" % (where, [s for s in pair if s in present][0])
    else:
        where = root
        message = "%s has no split folder: expected %s/ or %s/ + %s/" % (
            root,
            DUMP_SPLIT_NAME,
            TRAINING_SPLIT_NAME,
            VALIDATION_SPLIT_NAME,
        )
    raise ViValidationError(
        message,
        details={"file": where},
        suggestion="Is this the folder a dataset was downloaded into? Download it again (overwrite=True)",
    )


def images_dir(split_dir: str) -> Optional[str]:
    """``<split>/images`` (or ``<split>/assets``), None for an annotations-only export."""
    for name in IMAGE_FOLDERS:
        path = os.path.join(split_dir, name)
        if os.path.isdir(path):
            return path
    return None


def image_files(folder: str) -> List[str]:
    """File names in an images folder, sorted; hidden files and sub-folders left out."""
    with os.scandir(folder) as entries:
        names = [e.name for e in entries if not e.name.startswith(".") and e.is_file()]
    names.sort()
    return names


def annotation_files(split_dir: str) -> List[str]:
    """The names of a split's annotation files (``annotations/*.jsonl``), sorted."""
    folder = os.path.join(split_dir, "annotations")
    if not os.path.isdir(folder):
        return []
    with os.scandir(folder) as entries:
        names = [
            e.name
            for e in entries
            if not e.name.startswith(".") and e.name.lower().endswith(ANNOTATION_SUFFIXES) and e.is_file()
        ]
    names.sort()
    return names


def split_info_missing(root: str, split: str) -> ViNotFoundError:
    """The error for asking a split this dataset does not have."""
    return ViNotFoundError(
        "This dataset has no %s split (%s does not exist)" % (split, os.path.join(root, split)),
        details={"file": os.path.join(root, split)},
    )
