"""Training projects (PROTOCOL §8.8): groups of flows, runs and their outputs."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from ..checks import check_id, check_str
from ..documents import Model, ModelSchema, TaggedModelSchema
from ..fields import IdField
from ..pagination import Page, PaginationArg
from ._base import DeletedResource, verb
from ._documents import DocumentResource, new_id
from .bodies import dump_spec
from .embedded import ResourceMetadata, nested, nested_list, resource_metadata

__all__ = [
    "TrainingProject",
    "TrainingProjectSpec",
    "TrainingProjectStatus",
    "AggregationInsightsResult",
    "AggregationInsightsPayload",
    "PendingOperation",
    "DryRunResponse",
    "DryRunError",
    "TrainingProjects",
]


class TrainingProjectSpec(Model):
    _repr_fields = ("name", "type")

    name: str
    description: Optional[str]
    type: str


class TrainingProjectSpecSchema(ModelSchema):
    __model__ = TrainingProjectSpec

    name = fields.String(data_key="name", required=True)
    description = fields.String(data_key="description", load_default=None, allow_none=True)
    type = fields.String(data_key="type", load_default="")


class TrainingProjectStatus(Model):
    _repr_fields = ("runs", "flows")

    runs: List[str]
    flows: List[str]
    run_outputs: List[str]
    tasks: List[Any]


class TrainingProjectStatusSchema(ModelSchema):
    __model__ = TrainingProjectStatus

    runs = fields.List(fields.String(), data_key="runs", load_default=list)
    flows = fields.List(fields.String(), data_key="flows", load_default=list)
    run_outputs = fields.List(fields.String(), data_key="runOutputs", load_default=list)
    tasks = fields.List(fields.Raw(), data_key="tasks", load_default=list)


class TrainingProject(Model):
    _repr_fields = ("training_project_id", "spec")

    organization_id: str
    training_project_id: str
    spec: TrainingProjectSpec
    status: TrainingProjectStatus
    metadata: ResourceMetadata
    self_link: str
    etag: str


class TrainingProjectSchema(TaggedModelSchema):
    __model__ = TrainingProject
    __kind__ = "TrainingProject"

    organization_id = IdField("workspaceId")
    training_project_id = IdField("trainingProjectId")
    spec = nested(TrainingProjectSpecSchema(), data_key="spec", required=True)
    status = nested(TrainingProjectStatusSchema(), data_key="status", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)


class AggregationInsightsPayload(Model):
    _repr_fields = ("time_updated",)

    results: Dict[str, Any]
    time_updated: Optional[str]


class AggregationInsightsPayloadSchema(ModelSchema):
    __model__ = AggregationInsightsPayload

    results = fields.Dict(keys=fields.String(), data_key="results", load_default=dict)
    time_updated = fields.String(data_key="timeUpdated", load_default=None, allow_none=True)


class PendingOperation(Model):
    _repr_fields = ("status",)

    status: str
    time_initiated: Optional[str]


class PendingOperationSchema(ModelSchema):
    __model__ = PendingOperation

    status = fields.String(data_key="status", required=True)
    time_initiated = fields.String(data_key="timeInitiated", load_default=None, allow_none=True)


class AggregationInsightsResult(Model):
    _repr_fields = ("payload", "pending_operation")

    payload: Optional[AggregationInsightsPayload]
    pending_operation: Optional[PendingOperation]


class AggregationInsightsResultSchema(ModelSchema):
    __model__ = AggregationInsightsResult

    payload = nested(
        AggregationInsightsPayloadSchema(), data_key="payload", load_default=None, allow_none=True
    )
    pending_operation = nested(
        PendingOperationSchema(), data_key="pendingOperation", load_default=None, allow_none=True
    )


class DryRunError(Model):
    _repr_fields = ("kind",)

    kind: str


class DryRunErrorSchema(ModelSchema):
    __model__ = DryRunError

    kind = fields.String(data_key="kind", required=True)


class DryRunResponse(Model):
    _repr_fields = ("errors",)

    errors: List[DryRunError]


class DryRunResponseSchema(ModelSchema):
    __model__ = DryRunResponse

    errors = nested_list(DryRunErrorSchema(), data_key="errors", load_default=list)


_SPEC = TrainingProjectSpecSchema()
_TRAINING_PROJECT = TrainingProjectSchema()
_INSIGHTS = AggregationInsightsResultSchema()
_DRY_RUN = DryRunResponseSchema()


class TrainingProjects(DocumentResource):
    """``client.training_projects``: iterate it to walk every training project."""

    _collection = "trainingProjects"
    _id_name = "training_project_id"
    _document = _TRAINING_PROJECT
    _what = "training project"

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[TrainingProject]:
        """The first page of training projects (T1); the page fetches the rest lazily."""
        return self._list_docs(pagination, page_size, page_token)

    def get(self, training_project_id: str) -> TrainingProject:
        """One training project (T2)."""
        return self._get_doc(training_project_id)  # type: ignore[no-any-return]

    def create(
        self,
        spec: Union[TrainingProjectSpec, Mapping[str, Any]],
        training_project_id: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> TrainingProject:
        """Create a training project (T3, a PUT to ``training_project_id`` or a new UUID4).
        ``spec`` is a :class:`TrainingProjectSpec` or a dict such as ``{"name": …,
        "description": …, "type": …}``, checked before any request."""
        path = self._doc_path(new_id("training_project_id", training_project_id))
        body = dump_spec("spec", spec, TrainingProjectSpec)
        return self._put_doc(path, body, metadata)  # type: ignore[no-any-return]

    def update(
        self,
        training_project_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Optional[str]]] = None,
    ) -> TrainingProject:
        """Patch a training project (T4) with ``{"spec"?, "metadata"?}``. Metadata values may be
        ``None`` here (as in the official signature); both arguments ``None`` is refused."""
        return self._patch_doc(  # type: ignore[no-any-return]
            training_project_id, spec, metadata, allow_none_values=True
        )

    def delete(self, training_project_id: str) -> DeletedResource:
        """Delete a training project (T5); a non-empty success body is accepted."""
        return self._delete_doc(training_project_id)

    def get_aggregation_insights(self, training_project_id: str) -> AggregationInsightsResult:
        """Aggregated insights (T6); ``pending_operation`` is set while they are computed."""
        path = self._doc_path(training_project_id, "aggregationInsights")
        return self._get_one(path, _INSIGHTS, "aggregation insights")  # type: ignore[no-any-return]

    def generate_aggregation_insights(self, training_project_id: str) -> None:
        """Ask for them to be recomputed (T7, body-less)."""
        self._call_ignoring_body(
            "POST", self._doc_path(training_project_id, verb("aggregationInsights", "generate"))
        )

    def dry_run_create(self, training_project_id: str, name: str) -> DryRunResponse:
        """Check whether a create would succeed (T8, ``POST /dryRuns/workspaces/{org}/trainingProjects``).
        Unlike the official client, the id is validated."""
        check_id("training_project_id", training_project_id)
        check_str("name", name, allow_empty=False)
        path = "/dryRuns" + self._ws("trainingProjects")
        body = {"trainingProjectId": training_project_id, "spec": {"name": name}}
        return self._get_one(path, _DRY_RUN, "dry run", method="POST", json=body)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[TrainingProject]:
        return self.list().all_items()
