"""The core data-plane resources (PROTOCOL §7): resource classes and the models they return.

The client builds one instance of each resource class around its requester; the models are
plain values (no secret key, no network access) and can be pickled, compared and printed.
"""
from __future__ import annotations

from ._base import Resource, check_id
from .annotations import (
    Annotation,
    AnnotationAggregation,
    AnnotationContents,
    Annotations,
    AnnotationSpec,
    Caption,
    PhraseGroundingBoundingBox,
    ThisPart,
    Whole,
)
from .assets import (
    Asset,
    AssetAnnotations,
    AssetContents,
    AssetDimensions,
    AssetGenerations,
    AssetHash,
    AssetMetadata,
    AssetPixelRatio,
    Assets,
    AssetSortCriterion,
    Contents,
)
from .common import PaginationParams, ResourceCondition, ResourceMetadata, User
from .datasets import (
    DATASET_TYPES,
    AssetStatusDetail,
    Dataset,
    DatasetAccess,
    Datasets,
    DatasetStatistic,
    DeletedDataset,
    DeletedDatasetStatus,
    TagDetail,
)
from .organizations import (
    Organization,
    OrganizationBilling,
    OrganizationLockStatus,
    OrganizationMetadata,
    Organizations,
)
from .runs import FlowBlock, FlowSpec, Run, Runs, RunSpec, RunStatus

__all__ = [
    # resource classes
    "Resource",
    "Organizations",
    "Datasets",
    "Assets",
    "Annotations",
    "Runs",
    # arguments
    "PaginationParams",
    "AssetSortCriterion",
    "DATASET_TYPES",
    "check_id",
    # shared models
    "ResourceMetadata",
    "ResourceCondition",
    "User",
    # organizations
    "Organization",
    "OrganizationBilling",
    "OrganizationMetadata",
    "OrganizationLockStatus",
    # datasets
    "Dataset",
    "DatasetStatistic",
    "DatasetAccess",
    "AssetStatusDetail",
    "TagDetail",
    "DeletedDataset",
    "DeletedDatasetStatus",
    # assets
    "Asset",
    "AssetMetadata",
    "AssetGenerations",
    "AssetAnnotations",
    "AssetDimensions",
    "AssetPixelRatio",
    "AssetHash",
    "AssetContents",
    "Contents",
    # annotations
    "Annotation",
    "AnnotationSpec",
    "AnnotationAggregation",
    "AnnotationContents",
    "Whole",
    "ThisPart",
    "Caption",
    "PhraseGroundingBoundingBox",
    # runs
    "Run",
    "RunSpec",
    "RunStatus",
    "FlowSpec",
    "FlowBlock",
]
