"""Dataset exports: the formats a new export may ask for, the settings of a request, and the
export documents the service answers with. The calls themselves are methods of
:class:`vi.resources.Datasets` (``create_export``, ``get_export``, ``wait_for_export``, …)."""

from __future__ import annotations

import enum
from typing import Any, Dict, List, Mapping, Optional, Union

from .. import fields as f
from ..checks import (
    check_choice,
    check_number,
)
from ..documents import Document, strip_org_prefix
from ..errors import ViInvalidParameterError
from .embedded import (
    ResourceCondition,
    ResourceMetadata,
    condition_list,
    resource_metadata,
)

__all__ = [
    "DatasetExportFormat",
    "EXPORT_FORMATS",
    "DatasetExportOptions",
    "DatasetExportSettings",
    "DatasetExport",
    "DatasetExportSpec",
    "DatasetExportStatus",
    "DatasetExportDownloadUrl",
]


class DatasetExportFormat(str, enum.Enum):
    """Export formats a new export may ask for (the request side of)."""

    VI_FULL = "ViFull"
    VI_JSONL = "ViJsonl"
    VI_TFRECORD = "ViTfrecord"
    CSV_FOUR_CORNER = "CsvFourCorner"
    CSV_WIDTH_HEIGHT = "CsvWidthHeight"
    COCO = "Coco"
    PASCAL_VOC = "PascalVoc"
    YOLO_DARKNET = "YoloDarknet"
    YOLO_KERAS_PYTORCH = "YoloKerasPytorch"

    def __str__(self) -> str:
        return self.value


EXPORT_FORMATS = tuple(fmt.value for fmt in DatasetExportFormat)


class DatasetExportOptions(Document):
    """``normalized`` coordinates, and the train fraction of a split export (``None``: no split)."""

    _repr_fields = ("normalized", "split_ratio")

    normalized: bool = f.boolean()
    split_ratio: Optional[float] = f.number(optional=True)


class DatasetExportSettings:
    """What :meth:`Datasets.create_export` asks for: ``format`` plus ``options``.

    ``DatasetExportSettings()`` is the official default (``ViFull``, normalized, no split).
    Dicts are accepted wherever settings are: ``{"format": "ViJsonl", "options":
    {"normalized": True, "split_ratio": 0.8}}`` (``splitRatio`` also works)."""

    __slots__ = ("format", "options")

    def __init__(
        self,
        format: Union[str, DatasetExportFormat] = DatasetExportFormat.VI_FULL,  # noqa: A002
        options: Union[DatasetExportOptions, Mapping[str, Any], None] = None,
    ) -> None:
        self.format = check_choice("format", format, EXPORT_FORMATS)
        self.options = _export_options(options)

    @classmethod
    def coerce(
        cls, value: Union["DatasetExportSettings", Mapping[str, Any], None]
    ) -> "DatasetExportSettings":
        if value is None:
            return cls()
        if isinstance(value, DatasetExportSettings):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in ("format", "options"))
            if unknown:
                raise ViInvalidParameterError(
                    "export_settings",
                    "export_settings accepts only 'format' and 'options', got %s" % ", ".join(unknown),
                )
            return cls(value.get("format", DatasetExportFormat.VI_FULL), value.get("options"))
        raise ViInvalidParameterError(
            "export_settings",
            "export_settings must be a DatasetExportSettings or a dict, got %s" % type(value).__name__,
        )

    def to_body(self) -> Dict[str, Any]:
        """The export request body: every key present, ``splitRatio`` ``null`` when unset."""
        return {
            "spec": {
                "format": self.format,
                "options": {"normalized": self.options.normalized, "splitRatio": self.options.split_ratio},
            }
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatasetExportSettings):
            return NotImplemented
        return (self.format, self.options) == (other.format, other.options)

    def __repr__(self) -> str:
        return "DatasetExportSettings(format=%r, options=%r)" % (self.format, self.options)


def _export_options(options: Any) -> DatasetExportOptions:
    if options is None:
        return DatasetExportOptions(normalized=True, split_ratio=None)
    if isinstance(options, DatasetExportOptions):
        values = {"normalized": options.normalized, "split_ratio": options.split_ratio}
    elif isinstance(options, Mapping):
        aliases = {"normalized": "normalized", "split_ratio": "split_ratio", "splitRatio": "split_ratio"}
        unknown = sorted(str(k) for k in options if k not in aliases)
        if unknown:
            raise ViInvalidParameterError(
                "options", "export options accept 'normalized' and 'split_ratio', got %s" % ", ".join(unknown)
            )
        values = {"normalized": True, "split_ratio": None}
        values.update({aliases[k]: v for k, v in options.items()})
    else:
        raise ViInvalidParameterError(
            "options", "options must be a DatasetExportOptions or a dict, got %s" % type(options).__name__
        )
    if not isinstance(values["normalized"], bool):
        raise ViInvalidParameterError("options.normalized", "normalized must be True or False")
    if values["split_ratio"] is not None:
        check_number("options.split_ratio", values["split_ratio"], low=0.0, high=1.0)
    return DatasetExportOptions(normalized=values["normalized"], split_ratio=values["split_ratio"])


class DatasetExportSpec(Document):
    """``format`` is kept as sent, even for formats beyond ViFull/ViJsonl/ViTfrecord (the
    official client cannot read those back)."""

    _repr_fields = ("format", "options")

    format: str = f.string()
    options: DatasetExportOptions = f.nested(DatasetExportOptions)


class DatasetExportDownloadUrl(Document):
    """The pre-signed archive URL; the repr shows only the expiry."""

    _repr_fields = ("expires_at",)

    url: str = f.string()
    expires_at: int = f.integer()


class DatasetExportStatus(Document):
    _repr_fields = ("conditions",)

    conditions: List[ResourceCondition] = condition_list()
    download_url: Optional[DatasetExportDownloadUrl] = f.nested(DatasetExportDownloadUrl, optional=True)


class DatasetExport(Document, kind="DatasetExport"):
    _repr_fields = ("dataset_export_id", "dataset_id")

    organization_id: str = f.identifier("workspaceId")
    dataset_id: str = f.identifier()
    dataset_export_id: str = f.identifier()
    spec: DatasetExportSpec = f.nested(DatasetExportSpec)
    status: DatasetExportStatus = f.nested(DatasetExportStatus)
    metadata: ResourceMetadata = resource_metadata()
    self_link: str = f.string()
    etag: str = f.string()

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


# -- bulk asset deletion -------------------------------------------------------------
