"""Annotations (PROTOCOL §7.4), addressed under their asset.

``Annotation.spec.contents`` is a union tagged by ``kind``: a :class:`Caption` or a
:class:`PhraseGroundingBoundingBox`. A kind this version does not know stays a plain ``dict``
(the service may add annotation types; one new type must not break a whole listing).
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Union

from marshmallow import fields, validate

from ..models import IdField, Model, ModelSchema, strip_org_prefix
from ..pagination import Page
from ._base import Resource, check_id
from .common import (
    PaginationArg,
    PaginationParams,
    ResourceMetadata,
    StrictInt,
    StrictNumber,
    TaggedModelSchema,
    TaggedUnion,
    nested,
    resource_metadata,
)

__all__ = [
    "Annotation",
    "AnnotationSpec",
    "AnnotationAggregation",
    "AnnotationContents",
    "Whole",
    "ThisPart",
    "Caption",
    "PhraseGroundingBoundingBox",
    "Annotations",
]


class Caption(Model):
    """The caption text that bounding boxes point into by character span."""

    KIND = "Caption"
    _repr_fields = ("contents",)

    contents: str

    @property
    def kind(self) -> str:
        return self.KIND


class CaptionSchema(TaggedModelSchema):
    __model__ = Caption
    __kind__ = "Caption"

    contents = fields.String(data_key="contents", load_default="")


class PhraseGroundingBoundingBox(Model):
    """A box (four ``[x, y]`` corners) grounding the phrase at ``target`` = ``[start, end]``."""

    KIND = "PhraseGroundingBoundingBox"
    _repr_fields = ("target", "bound")

    bound: List[List[float]]
    target: List[int]

    @property
    def kind(self) -> str:
        return self.KIND


class PhraseGroundingBoundingBoxSchema(TaggedModelSchema):
    __model__ = PhraseGroundingBoundingBox
    __kind__ = "PhraseGroundingBoundingBox"

    bound = fields.List(fields.List(StrictNumber()), data_key="bound", required=True)
    target = fields.List(
        StrictInt(), data_key="target", required=True, validate=validate.Length(equal=2)
    )


#: What ``AnnotationSpec.contents`` holds: a known model, or the raw dict of an unknown kind.
AnnotationContents = Union[Caption, PhraseGroundingBoundingBox, Dict[str, Any]]


class Whole(Model):
    _repr_fields = ("id",)

    id: str


class WholeSchema(ModelSchema):
    __model__ = Whole

    id = fields.String(data_key="id", required=True)


class ThisPart(Model):
    _repr_fields = ("role",)

    role: str


class ThisPartSchema(ModelSchema):
    __model__ = ThisPart

    role = fields.String(data_key="role", required=True)


class AnnotationAggregation(Model):
    """Groups the parts (caption, boxes) of one phrase-grounding annotation."""

    _repr_fields = ("whole", "this_part")

    whole: Whole
    this_part: ThisPart


class AnnotationAggregationSchema(ModelSchema):
    __model__ = AnnotationAggregation

    whole = nested(WholeSchema(), data_key="whole", required=True)
    this_part = nested(ThisPartSchema(), data_key="thisPart", required=True)


class AnnotationSpec(Model):
    _repr_fields = ("bound_type", "tag")

    bound_type: str
    tag: int
    aggregation: AnnotationAggregation
    contents: AnnotationContents


class AnnotationSpecSchema(ModelSchema):
    __model__ = AnnotationSpec

    bound_type = fields.String(data_key="boundType", required=True)
    tag = StrictInt(data_key="tag", required=True)
    aggregation = nested(AnnotationAggregationSchema(), data_key="aggregation", required=True)
    contents = TaggedUnion(
        {
            "Caption": CaptionSchema(),
            "PhraseGroundingBoundingBox": PhraseGroundingBoundingBoxSchema(),
        },
        data_key="contents",
        required=True,
    )


class Annotation(Model):
    _repr_fields = ("annotation_id", "asset_id")

    annotation_id: str
    asset_id: str
    organization_id: str
    dataset_id: str
    spec: AnnotationSpec
    metadata: ResourceMetadata
    self_link: str
    etag: str

    def _after_load(self) -> None:
        self.dataset_id = strip_org_prefix(self.organization_id, self.dataset_id)


class AnnotationSchema(TaggedModelSchema):
    __model__ = Annotation
    __kind__ = "Annotation"

    annotation_id = IdField("annotationId")
    asset_id = IdField("assetId")
    organization_id = IdField("workspaceId")
    dataset_id = IdField("datasetId")
    spec = nested(AnnotationSpecSchema(), data_key="spec", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)


_ANNOTATION = AnnotationSchema()


class Annotations(Resource):
    """``client.annotations``: call it with dataset and asset ids to walk every annotation."""

    def list(
        self,
        dataset_id: str,
        asset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Annotation]:
        """The first page of an asset's annotations (N1). ``asset_id`` may be passed by
        position or keyword; both spellings appear in the resource-management guide."""
        path = self._ds(dataset_id, "assets", check_id("asset_id", asset_id), "annotations")
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            path,
            _ANNOTATION,
            "annotation",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def get(self, dataset_id: str, asset_id: str, annotation_id: str) -> Annotation:
        """One annotation (N2); unlike the official client, ``asset_id`` is validated too."""
        path = self._ds(
            dataset_id,
            "assets",
            check_id("asset_id", asset_id),
            "annotations",
            check_id("annotation_id", annotation_id),
        )
        return self._get_one(path, _ANNOTATION, "annotation")  # type: ignore[no-any-return]

    def __call__(
        self,
        dataset_id: str,
        asset_id: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Iterator[Annotation]:
        """Every annotation of an asset, across pages (first page fetched now)."""
        return self.list(
            dataset_id, asset_id, pagination, page_size=page_size, page_token=page_token
        ).all_items()

    def __iter__(self) -> Iterator[Annotation]:
        raise TypeError(
            "client.annotations needs ids: iterate client.annotations(dataset_id, asset_id) instead"
        )
