"""Flows (PROTOCOL §8.9): the training pipelines runs execute, and the accelerators they may use.

``FlowSpec`` is modelled down to its blocks; block ``settings``/``style`` and the flow
``settings``/``tolerations`` stay dicts, because their shape belongs to the training system.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from ..checks import check_body
from ..documents import Model, ModelSchema, TaggedModelSchema
from ..fields import IdField, StrictBool, StrictInt, StrictNumber
from ..pagination import Page, PaginationArg
from ._base import DeletedResource, verb
from ._documents import DocumentResource, new_id
from .bodies import dump_spec
from .embedded import ResourceMetadata, nested, nested_list, resource_metadata

__all__ = [
    "FlowBlock",
    "FlowSpec",
    "Flow",
    "FlowAcceleratorList",
    "FlowAcceleratorRequirements",
    "FlowAccelerator",
    "AcceleratorConfiguration",
    "TrainingAccelerator",
    "TrainingAcceleratorSpec",
    "Flows",
]


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


class Flow(Model):
    _repr_fields = ("flow_id", "spec")

    organization_id: str
    flow_id: str
    spec: FlowSpec
    metadata: ResourceMetadata
    self_link: str
    etag: str


class FlowSchema(TaggedModelSchema):
    __model__ = Flow
    __kind__ = "Flow"

    organization_id = IdField("workspaceId")
    flow_id = IdField("flowId")
    spec = nested(FlowSpecSchema(), data_key="spec", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)


class FlowAcceleratorRequirements(Model):
    _repr_fields = ("minimum_single_unit_resources",)

    accelerator_labels: Optional[Dict[str, str]]
    minimum_single_unit_resources: Optional[Dict[str, float]]
    minimum_total_resources: Optional[Dict[str, float]]
    equally_unit_shardable_quantities: Optional[Dict[str, float]]


def _number_map(data_key: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), values=StrictNumber(), data_key=data_key, load_default=None, allow_none=True
    )


class FlowAcceleratorRequirementsSchema(ModelSchema):
    __model__ = FlowAcceleratorRequirements

    accelerator_labels = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        data_key="acceleratorLabels",
        load_default=None,
        allow_none=True,
    )
    minimum_single_unit_resources = _number_map("minimumSingleUnitResources")
    minimum_total_resources = _number_map("minimumTotalResources")
    equally_unit_shardable_quantities = _number_map("equallyUnitShardableQuantities")


class AcceleratorConfiguration(Model):
    """``action`` is ``Allow``, ``Deny`` or ``Warn`` — kept as sent if the service adds one."""

    _repr_fields = ("count", "action")

    count: int
    action: str
    reason: Optional[str]


class AcceleratorConfigurationSchema(ModelSchema):
    __model__ = AcceleratorConfiguration

    count = StrictInt(data_key="count", required=True)
    action = fields.String(data_key="action", required=True)
    reason = fields.String(data_key="reason", load_default=None, allow_none=True)


class TrainingAcceleratorSpec(Model):
    _repr_fields = ("enabled", "labels")

    enabled: bool
    labels: Dict[str, str]
    resources: Dict[str, float]
    multi_unit_configuration: Optional[Dict[str, Any]]


class TrainingAcceleratorSpecSchema(ModelSchema):
    __model__ = TrainingAcceleratorSpec

    enabled = StrictBool(data_key="enabled", required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), data_key="labels", required=True)
    resources = fields.Dict(keys=fields.String(), values=StrictNumber(), data_key="resources", required=True)
    multi_unit_configuration = fields.Dict(
        keys=fields.String(), data_key="multiUnitConfiguration", load_default=None, allow_none=True
    )


class TrainingAccelerator(Model):
    _repr_fields = ("training_accelerator_id",)

    organization_id: str
    training_accelerator_id: str
    self_link: str
    etag: str
    metadata: ResourceMetadata
    spec: TrainingAcceleratorSpec


class TrainingAcceleratorSchema(TaggedModelSchema):
    __model__ = TrainingAccelerator
    __kind__ = "TrainingAccelerator"

    organization_id = IdField("workspaceId")
    training_accelerator_id = IdField("trainingAcceleratorId")
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)
    metadata = resource_metadata(data_key="metadata", required=True)
    spec = nested(TrainingAcceleratorSpecSchema(), data_key="spec", required=True)


class FlowAccelerator(Model):
    _repr_fields = ("accelerator", "configurations")

    accelerator: TrainingAccelerator
    configurations: List[AcceleratorConfiguration]


class FlowAcceleratorSchema(ModelSchema):
    __model__ = FlowAccelerator

    accelerator = nested(TrainingAcceleratorSchema(), data_key="accelerator", required=True)
    configurations = nested_list(AcceleratorConfigurationSchema(), data_key="configurations", required=True)


class FlowAcceleratorList(Model):
    _repr_fields = ("flow_id", "items")

    organization_id: str
    flow_id: str
    flow_requirements: FlowAcceleratorRequirements
    items: List[FlowAccelerator]


class FlowAcceleratorListSchema(TaggedModelSchema):
    __model__ = FlowAcceleratorList
    __kind__ = "FlowAcceleratorList"

    organization_id = IdField("workspaceId")
    flow_id = IdField("flowId")
    flow_requirements = nested(
        FlowAcceleratorRequirementsSchema(), data_key="flowRequirements", required=True
    )
    items = nested_list(FlowAcceleratorSchema(), data_key="items", required=True)


_FLOW_SPEC = FlowSpecSchema()
_FLOW = FlowSchema()
_ACCELERATORS = FlowAcceleratorListSchema()

FlowSpecArg = Union[FlowSpec, Mapping[str, Any]]


class Flows(DocumentResource):
    """``client.flows``: iterate it to walk every flow of the organization."""

    _collection = "flows"
    _simple_collection = "simpleFlows"
    _id_name = "flow_id"
    _document = _FLOW
    _what = "flow"

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Flow]:
        """The first page of flows (FL1); the page fetches the rest lazily."""
        return self._list_docs(pagination, page_size, page_token)

    def get(self, flow_id: str) -> Flow:
        """One flow (FL2)."""
        return self._get_doc(flow_id)  # type: ignore[no-any-return]

    def create(
        self,
        spec: FlowSpecArg,
        metadata: Optional[Mapping[str, str]] = None,
        *,
        flow_id: Optional[str] = None,
    ) -> Flow:
        """Create a flow (FL3, a PUT to a new UUID4 id). ``spec`` is a :class:`FlowSpec` or a dict
        (checked against the schema before any request). Pass ``flow_id`` to choose the id —
        repeating a create with the same id is then idempotent (not in the official client)."""
        path = self._doc_path(new_id("flow_id", flow_id))
        body = dump_spec("spec", spec, FlowSpec)
        return self._put_doc(path, body, metadata)  # type: ignore[no-any-return]

    def replace(self, flow_id: str, spec: FlowSpecArg, metadata: Optional[Mapping[str, str]] = None) -> Flow:
        """Replace a flow's spec (FL3 PUT)."""
        path = self._doc_path(flow_id)
        return self._put_doc(path, dump_spec("spec", spec, FlowSpec), metadata)  # type: ignore[no-any-return]

    def update(
        self,
        flow_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Flow:
        """Patch a flow (FL4) with ``{"spec"?, "metadata"?}``; both ``None`` is refused."""
        return self._patch_doc(flow_id, spec, metadata)  # type: ignore[no-any-return]

    def delete(self, flow_id: str) -> DeletedResource:
        """Delete a flow (FL5); a non-empty success body is accepted."""
        return self._delete_doc(flow_id)

    def list_simple(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """Lightweight flow listing (FL6), dict items."""
        return self._list_simple_docs(pagination, page_size, page_token)

    def get_aggregation_statistics(self, flow_id: str) -> Dict[str, Any]:
        """The flow's aggregation statistics (FL7), as sent."""
        return self._get_dict(self._doc_path(flow_id, "aggregationStatistics"), "aggregation statistics")

    def generate_aggregation_statistics(self, flow_id: str) -> None:
        """Ask for them to be recomputed (FL8, body-less)."""
        self._call_ignoring_body("POST", self._doc_path(flow_id, verb("aggregationStatistics", "generate")))

    def get_accelerators(self, flow_id: str) -> FlowAcceleratorList:
        """Accelerators the flow may run on (FL9)."""
        return self._get_one(  # type: ignore[no-any-return]
            self._doc_path(flow_id, "accelerators"), _ACCELERATORS, "flow accelerator list"
        )

    def update_accelerators(self, flow_id: str, body: Mapping[str, Any]) -> FlowAcceleratorList:
        """Change them (FL10, a POST of ``body`` verbatim)."""
        path = self._doc_path(flow_id, "accelerators")
        return self._get_one(  # type: ignore[no-any-return]
            path, _ACCELERATORS, "flow accelerator list", method="POST", json=check_body("body", body)
        )

    def __iter__(self) -> Iterator[Flow]:
        return self.list().all_items()
