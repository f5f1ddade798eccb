"""Training runs (PROTOCOL §7.5).

The flow a run executes is modelled down to its blocks; the block ``settings``/``style`` and the
flow ``settings``/``tolerations`` stay dicts, because the protocol types them as free-form and
their shape belongs to the training system, not to this client.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

from marshmallow import fields

from ..models import IdField, Model, ModelSchema
from ..pagination import Page
from ._base import Resource, check_id
from .common import (
    PaginationArg,
    PaginationParams,
    ResourceCondition,
    ResourceMetadata,
    StrictInt,
    TaggedModelSchema,
    condition_list,
    nested,
    nested_list,
    resource_metadata,
)

__all__ = ["Run", "RunSpec", "RunStatus", "FlowSpec", "FlowBlock", "Runs"]


class FlowBlock(Model):
    _repr_fields = ("block",)

    block: str
    settings: Dict[str, Any]
    style: Dict[str, Any]


class FlowBlockSchema(ModelSchema):
    __model__ = FlowBlock

    block = fields.String(data_key="block", required=True)
    settings = fields.Dict(keys=fields.String(), data_key="settings", required=True)
    style = fields.Dict(keys=fields.String(), data_key="style", required=True)


class FlowSpec(Model):
    _repr_fields = ("name", "schema")

    name: str
    schema: str
    tolerations: Dict[str, List[str]]
    settings: Dict[str, Any]
    blocks: List[FlowBlock]
    training_project: Optional[str]


class FlowSpecSchema(ModelSchema):
    __model__ = FlowSpec

    name = fields.String(data_key="name", required=True)
    schema = fields.String(data_key="schema", required=True)
    tolerations = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), data_key="tolerations", required=True
    )
    settings = fields.Dict(keys=fields.String(), data_key="settings", required=True)
    blocks = nested_list(FlowBlockSchema(), data_key="blocks", required=True)
    training_project = fields.String(data_key="trainingProject", load_default=None, allow_none=True)


class RunSpec(Model):
    _repr_fields = ("flow", "killed_at")

    flow: FlowSpec
    killed_at: Optional[int]
    training_project: Optional[str]


class RunSpecSchema(ModelSchema):
    __model__ = RunSpec

    flow = nested(FlowSpecSchema(), data_key="flow", required=True)
    killed_at = StrictInt(data_key="killedAt", load_default=None, allow_none=True)
    training_project = fields.String(data_key="trainingProject", load_default=None, allow_none=True)


class RunStatus(Model):
    _repr_fields = ("observed_generation", "conditions")

    log: str
    observed_generation: int
    conditions: List[ResourceCondition]


class RunStatusSchema(ModelSchema):
    __model__ = RunStatus

    log = fields.String(data_key="log", required=True)
    observed_generation = StrictInt(data_key="observedGeneration", required=True)
    conditions = condition_list(data_key="conditions", required=True)


class Run(Model):
    _repr_fields = ("run_id",)

    organization_id: str
    run_id: str
    spec: RunSpec
    status: RunStatus
    metadata: ResourceMetadata
    self_link: str
    etag: str


class RunSchema(TaggedModelSchema):
    __model__ = Run
    __kind__ = "Run"

    organization_id = IdField("workspaceId")
    run_id = IdField("runId")
    spec = nested(RunSpecSchema(), data_key="spec", required=True)
    status = nested(RunStatusSchema(), data_key="status", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)


_RUN = RunSchema()


class Runs(Resource):
    """``client.runs``: iterate it to walk every run of the organization."""

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Run]:
        """The first page of runs (R1); the page fetches the rest lazily."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws("runs"), _RUN, "run", page_size=paging.page_size, page_token=paging.page_token
        )

    def get(self, run_id: str) -> Run:
        """One run (R2); progress is in ``status.conditions`` (there is no run waiter)."""
        return self._get_one(  # type: ignore[no-any-return]
            self._ws("runs", check_id("run_id", run_id)), _RUN, "run"
        )

    def __iter__(self) -> Iterator[Run]:
        return self.list().all_items()
