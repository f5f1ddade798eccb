"""Training projects: groups of flows, runs and their outputs."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from .. import fields as f
from ..checks import check_id, check_str
from ..documents import Document
from ..pagination import Page, PaginationArg
from ._base import DeletedResource, verb
from ._documents import DocumentResource, new_id
from .bodies import dump_spec
from .embedded import ResourceMetadata, resource_metadata

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


class TrainingProjectSpec(Document):
    _repr_fields = ("name", "type")

    name: str = f.string()
    description: Optional[str] = f.string(optional=True)
    type: str = f.string(default="")


class TrainingProjectStatus(Document):
    _repr_fields = ("runs", "flows")

    runs: List[str] = f.list_of(fields.String(), default=list)
    flows: List[str] = f.list_of(fields.String(), default=list)
    run_outputs: List[str] = f.list_of(fields.String(), default=list)
    tasks: List[Any] = f.list_of(fields.Raw(), default=list)


class TrainingProject(Document, kind="TrainingProject"):
    _repr_fields = ("training_project_id", "spec")

    organization_id: str = f.identifier("workspaceId")
    training_project_id: str = f.identifier()
    spec: TrainingProjectSpec = f.nested(TrainingProjectSpec)
    status: TrainingProjectStatus = f.nested(TrainingProjectStatus)
    metadata: ResourceMetadata = resource_metadata()
    self_link: str = f.string()
    etag: str = f.string()


class AggregationInsightsPayload(Document):
    _repr_fields = ("time_updated",)

    results: Dict[str, Any] = f.dict_of(default=dict)
    time_updated: Optional[str] = f.string(optional=True)


class PendingOperation(Document):
    _repr_fields = ("status",)

    status: str = f.string()
    time_initiated: Optional[str] = f.string(optional=True)


class AggregationInsightsResult(Document):
    _repr_fields = ("payload", "pending_operation")

    payload: Optional[AggregationInsightsPayload] = f.nested(AggregationInsightsPayload, optional=True)
    pending_operation: Optional[PendingOperation] = f.nested(PendingOperation, optional=True)


class DryRunError(Document):
    _repr_fields = ("kind",)

    kind: str = f.string()


class DryRunResponse(Document):
    _repr_fields = ("errors",)

    errors: List[DryRunError] = f.nested_list(DryRunError, default=list)


class TrainingProjects(DocumentResource):
    """``client.training_projects``: iterate it to walk every training project."""

    _collection = "trainingProjects"
    _id_name = "training_project_id"
    _document = TrainingProject
    _what = "training project"

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[TrainingProject]:
        """The first page of training projects; the page fetches the rest lazily."""
        return self._list_docs(pagination, page_size, page_token)

    def get(self, training_project_id: str) -> TrainingProject:
        """One training project."""
        return self._get_doc(training_project_id)

    def create(
        self,
        spec: Union[TrainingProjectSpec, Mapping[str, Any]],
        training_project_id: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> TrainingProject:
        """Create a training project (a PUT to ``training_project_id`` or a new UUID4).
        ``spec`` is a :class:`TrainingProjectSpec` or a dict such as ``{"name": …,
        "description": …, "type": …}``, checked before any request."""
        path = self._doc_path(new_id("training_project_id", training_project_id))
        body = dump_spec("spec", spec, TrainingProjectSpec)
        return self._put_doc(path, body, metadata)

    def update(
        self,
        training_project_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Optional[str]]] = None,
    ) -> TrainingProject:
        """Patch a training project with ``{"spec"?, "metadata"?}``. Metadata values may be
        ``None`` here (as in the official signature); both arguments ``None`` is refused."""
        return self._patch_doc(training_project_id, spec, metadata, allow_none_values=True)

    def delete(self, training_project_id: str) -> DeletedResource:
        """Delete a training project; a non-empty success body is accepted."""
        return self._delete_doc(training_project_id)

    def get_aggregation_insights(self, training_project_id: str) -> AggregationInsightsResult:
        """Aggregated insights; ``pending_operation`` is set while they are computed."""
        path = self._doc_path(training_project_id, "aggregationInsights")
        return self._get_one(path, AggregationInsightsResult, "aggregation insights")

    def generate_aggregation_insights(self, training_project_id: str) -> None:
        """Ask for them to be recomputed (body-less)."""
        self._call_ignoring_body(
            "POST", self._doc_path(training_project_id, verb("aggregationInsights", "generate"))
        )

    def dry_run_create(self, training_project_id: str, name: str) -> DryRunResponse:
        """Check whether a create would succeed (``POST /dryRuns/workspaces/{org}/trainingProjects``).
        Unlike the official client, the id is validated."""
        check_id("training_project_id", training_project_id)
        check_str("name", name, allow_empty=False)
        path = "/dryRuns" + self._ws("trainingProjects")
        body = {"trainingProjectId": training_project_id, "spec": {"name": name}}
        return self._get_one(path, DryRunResponse, "dry run", method="POST", json=body)

    def __iter__(self) -> Iterator[TrainingProject]:
        return self.list().all_items()
