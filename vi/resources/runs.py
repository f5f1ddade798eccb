"""Training runs.

The flow a run executes is modelled down to its blocks; the block ``settings``/``style`` and the
flow ``settings``/``tolerations`` stay dicts, because the protocol types them as free-form and
their shape belongs to the training system, not to this client.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from .. import fields as f
from ..checks import check_body, check_id, check_optional_id, check_optional_int, check_optional_str
from ..documents import Document
from ..errors import ViInvalidParameterError
from ..pagination import Page, PaginationArg
from ._base import DeletedResource
from ._documents import DocumentResource, new_id
from .bodies import dump_spec, metadata_body
from .embedded import ResourceCondition, ResourceMetadata, condition_list, resource_metadata
from .flows import Flow, FlowBlock, FlowSpec

__all__ = ["Run", "RunSpec", "RunStatus", "FlowSpec", "FlowBlock", "Runs"]


class RunSpec(Document):
    _repr_fields = ("flow", "killed_at")

    flow: FlowSpec = f.nested(FlowSpec)
    killed_at: Optional[int] = f.integer(optional=True)
    training_project: Optional[str] = f.string(optional=True)


class RunStatus(Document):
    _repr_fields = ("observed_generation", "conditions")

    log: str = f.string()
    observed_generation: int = f.integer()
    conditions: List[ResourceCondition] = condition_list()


class Run(Document, kind="Run"):
    _repr_fields = ("run_id",)

    organization_id: str = f.identifier("workspaceId")
    run_id: str = f.identifier()
    spec: RunSpec = f.nested(RunSpec)
    status: RunStatus = f.nested(RunStatus)
    metadata: ResourceMetadata = resource_metadata()
    self_link: str = f.string()
    etag: str = f.string()


def _now_ms() -> int:
    return int(time.time() * 1000)


class Runs(DocumentResource):
    """``client.runs``: iterate it to walk every run of the organization.

    Starting a run is creating it (a PUT of a flow spec to a new id); stopping it is setting
    ``spec.killedAt`` (:meth:`kill`). Progress is in ``status.conditions``."""

    _collection = "runs"
    _simple_collection = "simpleRuns"
    _id_name = "run_id"
    _document = Run
    _what = "run"

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Run]:
        """The first page of runs; the page fetches the rest lazily."""
        return self._list_docs(pagination, page_size, page_token)

    def get(self, run_id: str) -> Run:
        """One run; progress is in ``status.conditions`` (there is no run waiter)."""
        return self._get_doc(run_id)

    def create(
        self,
        flow: Union[FlowSpec, Flow, Mapping[str, Any], str],
        training_project: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        run_id: Optional[str] = None,
    ) -> Run:
        """Start a run of ``flow`` (R3: a PUT to a client-generated UUID4 id).

        ``flow`` is a :class:`FlowSpec`, a :class:`Flow` (its spec is used), a spec dict
        (checked against the schema before any request) or a flow id, which is fetched first
        and decoded as the ``Flow`` document it is — the official client decodes it as a
        bare spec and fails. Pass ``run_id`` to choose the id: repeating the
        create with the same id is idempotent, so a caller can safely retry after a timeout."""
        check_optional_id("training_project", training_project)
        meta = metadata_body(metadata)
        path = self._doc_path(new_id("run_id", run_id))
        if isinstance(flow, str):
            fetched: Flow = self._get_one(self._ws("flows", check_id("flow", flow)), Flow, "flow")
            flow_json = dump_spec("flow", fetched.spec, FlowSpec)
        elif isinstance(flow, Flow):
            flow_json = dump_spec("flow", flow.spec, FlowSpec)
        elif isinstance(flow, (FlowSpec, Mapping)):
            flow_json = dump_spec("flow", flow, FlowSpec)
        else:
            raise ViInvalidParameterError(
                "flow", "flow must be a FlowSpec, a Flow, a dict or a flow id, got %s" % type(flow).__name__
            )
        spec: Dict[str, Any] = {"flow": flow_json}
        if training_project is not None:
            spec["trainingProject"] = training_project
        body: Dict[str, Any] = {"spec": spec}
        if meta is not None:
            body["metadata"] = meta
        return self._get_one(path, Run, "run", method="PUT", json=body)

    #: The official client's alias of :meth:`create`.
    start = create

    def replace(
        self, run_id: str, spec: Mapping[str, Any], metadata: Optional[Mapping[str, str]] = None
    ) -> Run:
        """Replace a run's spec (a PUT ``{"spec": spec, "metadata"?}``), ``spec`` verbatim."""
        path = self._doc_path(run_id)
        return self._put_doc(path, check_body("spec", spec), metadata)

    def update(
        self,
        run_id: str,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Run:
        """Patch a run with ``{"spec"?, "metadata"?}`` — nested, unlike datasets. Both
        ``None`` is refused before any request."""
        return self._patch_doc(run_id, spec, metadata)

    def kill(self, run_id: str) -> Run:
        """Stop a run: a PATCH of ``{"spec": {"killedAt": <now, epoch ms>}}``."""
        path = self._doc_path(run_id)
        body = {"spec": {"killedAt": _now_ms()}}
        return self._get_one(path, Run, "run", method="PATCH", json=body)

    def delete(self, run_id: str) -> DeletedResource:
        """Delete a run; a non-empty success body is accepted."""
        return self._delete_doc(run_id)

    def list_simple(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """Lightweight run listing, dict items; ``s`` always sent."""
        return self._list_simple_docs(pagination, page_size, page_token)

    def get_logs(
        self,
        run_id: str,
        block: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A run's logs, optionally sliced by ``block``, ``since``/``until`` and ``limit``."""
        path = self._doc_path(run_id, "logs")
        query = {
            "block": check_optional_str("block", block),
            "since": check_optional_str("since", since),
            "until": check_optional_str("until", until),
            "limit": check_optional_int("limit", limit, minimum=1),
        }
        params = {k: (str(v) if k == "limit" else v) for k, v in query.items() if v is not None}
        return self._get_dict(path, "run logs", params=params or None)

    def __iter__(self) -> Iterator[Run]:
        return self.list().all_items()
