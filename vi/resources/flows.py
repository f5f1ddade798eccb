"""Flows: the training pipelines runs execute, and the accelerators they may use.

``FlowSpec`` is modelled down to its blocks; block ``settings``/``style`` and the flow
``settings``/``tolerations`` stay dicts, because their shape belongs to the training system.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from marshmallow import fields

from .. import fields as f
from ..checks import check_body
from ..documents import Document
from ..fields import StrictNumber
from ..pagination import Page, PaginationArg
from ._base import DeletedResource, verb
from ._documents import DocumentResource, new_id
from .bodies import dump_spec
from .embedded import ResourceMetadata, resource_metadata

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


class FlowBlock(Document):
    _repr_fields = ("block",)

    block: str = f.string()
    settings: Dict[str, Any] = f.dict_of()
    style: Dict[str, Any] = f.dict_of()


class FlowSpec(Document):
    _repr_fields = ("name", "schema")

    name: str = f.string()
    schema: str = f.string()
    tolerations: Dict[str, List[str]] = f.dict_of(fields.List(fields.String()))
    settings: Dict[str, Any] = f.dict_of()
    blocks: List[FlowBlock] = f.nested_list(FlowBlock)
    training_project: Optional[str] = f.string(optional=True)


class Flow(Document, kind="Flow"):
    _repr_fields = ("flow_id", "spec")

    organization_id: str = f.identifier("workspaceId")
    flow_id: str = f.identifier()
    spec: FlowSpec = f.nested(FlowSpec)
    metadata: ResourceMetadata = resource_metadata()
    self_link: str = f.string()
    etag: str = f.string()


def _number_map(data_key: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), values=StrictNumber(), data_key=data_key, load_default=None, allow_none=True
    )


class FlowAcceleratorRequirements(Document):
    _repr_fields = ("minimum_single_unit_resources",)

    accelerator_labels: Optional[Dict[str, str]] = f.str_dict(optional=True)
    minimum_single_unit_resources: Optional[Dict[str, float]] = f.custom(
        _number_map("minimumSingleUnitResources")
    )
    minimum_total_resources: Optional[Dict[str, float]] = f.custom(_number_map("minimumTotalResources"))
    equally_unit_shardable_quantities: Optional[Dict[str, float]] = f.custom(
        _number_map("equallyUnitShardableQuantities")
    )


class AcceleratorConfiguration(Document):
    """``action`` is ``Allow``, ``Deny`` or ``Warn`` — kept as sent if the service adds one."""

    _repr_fields = ("count", "action")

    count: int = f.integer()
    action: str = f.string()
    reason: Optional[str] = f.string(optional=True)


class TrainingAcceleratorSpec(Document):
    _repr_fields = ("enabled", "labels")

    enabled: bool = f.boolean()
    labels: Dict[str, str] = f.str_dict()
    resources: Dict[str, float] = f.dict_of(StrictNumber())
    multi_unit_configuration: Optional[Dict[str, Any]] = f.dict_of(optional=True)


class TrainingAccelerator(Document, kind="TrainingAccelerator"):
    _repr_fields = ("training_accelerator_id",)

    organization_id: str = f.identifier("workspaceId")
    training_accelerator_id: str = f.identifier()
    self_link: str = f.string()
    etag: str = f.string()
    metadata: ResourceMetadata = resource_metadata()
    spec: TrainingAcceleratorSpec = f.nested(TrainingAcceleratorSpec)


class FlowAccelerator(Document):
    _repr_fields = ("accelerator", "configurations")

    accelerator: TrainingAccelerator = f.nested(TrainingAccelerator)
    configurations: List[AcceleratorConfiguration] = f.nested_list(AcceleratorConfiguration)


class FlowAcceleratorList(Document, kind="FlowAcceleratorList"):
    _repr_fields = ("flow_id", "items")

    organization_id: str = f.identifier("workspaceId")
    flow_id: str = f.identifier()
    flow_requirements: FlowAcceleratorRequirements = f.nested(FlowAcceleratorRequirements)
    items: List[FlowAccelerator] = f.nested_list(FlowAccelerator)


FlowSpecArg = Union[FlowSpec, Mapping[str, Any]]


class Flows(DocumentResource):
    """``client.flows``: iterate it to walk every flow of the organization."""

    _collection = "flows"
    _simple_collection = "simpleFlows"
    _id_name = "flow_id"
    _document = Flow
    _what = "flow"

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Flow]:
        """The first page of flows; the page fetches the rest lazily."""
        return self._list_docs(pagination, page_size, page_token)

    def get(self, flow_id: str) -> Flow:
        """One flow."""
        return self._get_doc(flow_id)

    def create(
        self,
        spec: FlowSpecArg,
        metadata: Optional[Mapping[str, str]] = None,
        *,
        flow_id: Optional[str] = None,
    ) -> Flow:
        """Create a flow (a PUT to a new UUID4 id). ``spec`` is a :class:`FlowSpec` or a dict
        (checked against the schema before any request). Pass ``flow_id`` to choose the id —
        repeating a create with the same id is then idempotent (not in the official client)."""
        path = self._doc_path(new_id("flow_id", flow_id))
        body = dump_spec("spec", spec, FlowSpec)
        return self._put_doc(path, body, metadata)

    def replace(self, flow_id: str, spec: FlowSpecArg, metadata: Optional[Mapping[str, str]] = None) -> Flow:
        """Replace a flow's spec (a PUT)."""
        path = self._doc_path(flow_id)
        return self._put_doc(path, dump_spec("spec", spec, FlowSpec), metadata)

    def update(
        self,
        flow_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Flow:
        """Patch a flow with ``{"spec"?, "metadata"?}``; both ``None`` is refused."""
        return self._patch_doc(flow_id, spec, metadata)

    def delete(self, flow_id: str) -> DeletedResource:
        """Delete a flow; a non-empty success body is accepted."""
        return self._delete_doc(flow_id)

    def list_simple(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """Lightweight flow listing, dict items."""
        return self._list_simple_docs(pagination, page_size, page_token)

    def get_aggregation_statistics(self, flow_id: str) -> Dict[str, Any]:
        """The flow's aggregation statistics, as sent."""
        return self._get_dict(self._doc_path(flow_id, "aggregationStatistics"), "aggregation statistics")

    def generate_aggregation_statistics(self, flow_id: str) -> None:
        """Ask for them to be recomputed (body-less)."""
        self._call_ignoring_body("POST", self._doc_path(flow_id, verb("aggregationStatistics", "generate")))

    def get_accelerators(self, flow_id: str) -> FlowAcceleratorList:
        """Accelerators the flow may run on."""
        return self._get_one(
            self._doc_path(flow_id, "accelerators"), FlowAcceleratorList, "flow accelerator list"
        )

    def update_accelerators(self, flow_id: str, body: Mapping[str, Any]) -> FlowAcceleratorList:
        """Change them (a POST of ``body`` verbatim)."""
        path = self._doc_path(flow_id, "accelerators")
        return self._get_one(
            path, FlowAcceleratorList, "flow accelerator list", method="POST", json=check_body("body", body)
        )

    def __iter__(self) -> Iterator[Flow]:
        return self.list().all_items()
