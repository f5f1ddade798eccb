"""The server's internal state, kept in plain records rather than wire JSON.

Derived numbers (dataset statistics, per-asset annotation counts, an organization's dataset list)
are not stored here at all: they are computed when rendering, so they cannot drift from the lists.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

__all__ = [
    "AnnotationRecord",
    "AssetRecord",
    "DatasetRecord",
    "DeleteOperationRecord",
    "OrganizationRecord",
    "RunRecord",
    "now_ms",
]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class AnnotationRecord:
    annotation_id: str
    asset_id: str
    seq: int
    tag: int
    role: str  # "Caption" or "PhraseGroundingBoundingBox"
    group_id: str
    time_created: int
    last_updated: int
    caption: str = ""
    bound: Optional[List[List[float]]] = None
    target: Optional[List[int]] = None
    generation: int = 1
    attributes: Dict[str, str] = field(default_factory=dict)


@dataclass
class AssetRecord:
    asset_id: str
    seq: int
    filename: str
    owner_user: str
    file_size: int
    height: int
    width: int
    mime_type: str
    crc32c: str
    time_created: int
    last_updated: int
    custom_metadata: Dict[str, Any] = field(default_factory=dict)
    status: str = "none"
    generation: int = 1
    annotations: "OrderedDict[str, AnnotationRecord]" = field(default_factory=OrderedDict)


@dataclass
class DatasetRecord:
    org_id: str
    short_id: str
    seq: int
    name: str
    owner_user: str
    create_date: int
    last_accessed: int
    type: str = "phrase-grounding"
    content: str = "Image"
    description: Optional[str] = None
    localization: str = "Datature/Multi"
    data_localization: str = "Datature/Multi"
    status: int = 0
    tags: Dict[str, int] = field(default_factory=dict)
    tag_details: Dict[str, Dict[str, Optional[str]]] = field(default_factory=dict)
    preference: Dict[str, Any] = field(default_factory=dict)
    attributes: Dict[str, str] = field(default_factory=dict)
    generation: int = 1
    assets: "OrderedDict[str, AssetRecord]" = field(default_factory=OrderedDict)

    @property
    def composite_id(self) -> str:
        return f"{self.org_id}_{self.short_id}"


@dataclass
class RunRecord:
    run_id: str
    seq: int
    flow: Dict[str, Any]
    conditions: List[Dict[str, Any]]
    time_created: int
    last_updated: int
    training_project: Optional[str] = None
    killed_at: Optional[int] = None
    generation: int = 1
    attributes: Dict[str, str] = field(default_factory=dict)


@dataclass
class DeleteOperationRecord:
    org_id: str
    dataset_id: str  # composite
    user: str
    time_created: int
    last_updated: int
    generation: int = 1


@dataclass
class OrganizationRecord:
    org_id: str
    seq: int
    name: str
    owner_user: str
    billing_email: str
    create_date: int
    last_access: int
    tier: str = "Developer"
    attributes: Dict[str, str] = field(default_factory=dict)
    preference: Dict[str, Any] = field(default_factory=dict)
    generation: int = 1
    datasets: "OrderedDict[str, DatasetRecord]" = field(default_factory=OrderedDict)
    runs: "OrderedDict[str, RunRecord]" = field(default_factory=OrderedDict)
    delete_operations: Dict[str, DeleteOperationRecord] = field(default_factory=dict)
