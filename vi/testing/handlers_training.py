"""HTTP handlers for runs, models, flows and training projects."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from . import bodies
from .filters import parse_bool
from .handlers_base import HandlerBase

__all__ = ["TRAINING_ROUTES", "TrainingHandlers"]

Result = Tuple[int, Any]

_WS = ("workspaces", "{org}")

TRAINING_ROUTES: List[Tuple[Tuple[str, ...], Dict[str, str]]] = [
    (_WS + ("simpleRuns",), {"GET": "list_simple_runs"}),
    (_WS + ("runs", "{run}", "logs"), {"GET": "run_logs"}),
    (_WS + ("runs", "{run}", "outputs"), {"GET": "list_models"}),
    (_WS + ("runs", "{run}", "outputs", "{ckpt}"), {"GET": "get_model"}),
    (_WS + ("flows",), {"GET": "list_flows"}),
    (_WS + ("simpleFlows",), {"GET": "list_simple_flows"}),
    (
        _WS + ("flows", "{flow}"),
        {"GET": "get_flow", "PUT": "put_flow", "PATCH": "patch_flow", "DELETE": "delete_flow"},
    ),
    (_WS + ("flows", "{flow}", "aggregationStatistics"), {"GET": "flow_statistics"}),
    (_WS + ("flows", "{flow}", "aggregationStatistics:generate"), {"POST": "generate_flow_statistics"}),
    (
        _WS + ("flows", "{flow}", "accelerators"),
        {"GET": "flow_accelerators", "POST": "update_flow_accelerators"},
    ),
    (_WS + ("trainingProjects",), {"GET": "list_training_projects"}),
    (
        _WS + ("trainingProjects", "{project}"),
        {
            "GET": "get_training_project",
            "PUT": "put_training_project",
            "PATCH": "patch_training_project",
            "DELETE": "delete_training_project",
        },
    ),
    (_WS + ("trainingProjects", "{project}", "aggregationInsights"), {"GET": "training_insights"}),
    (
        _WS + ("trainingProjects", "{project}", "aggregationInsights:generate"),
        {"POST": "generate_training_insights"},
    ),
    (("dryRuns", "workspaces", "{org}", "trainingProjects"), {"POST": "dry_run_training_project"}),
]


class TrainingHandlers(HandlerBase):
    # -- runs ------------------------------------------------------------------------------------------

    def put_run(self, request: Any, org_id: str, org: str, run: str) -> Result:
        fields = bodies.resource_body(request.json_object(), bodies.run_spec(partial=False), partial=False)
        return 200, self.store.put_run(org, run, fields)

    def patch_run(self, request: Any, org_id: str, org: str, run: str) -> Result:
        fields = bodies.resource_body(request.json_object(), bodies.run_spec(partial=True), partial=True)
        return 200, self.store.patch_run(org, run, fields)

    def delete_run(self, request: Any, org_id: str, org: str, run: str) -> Result:
        self.store.delete_run(org, run)
        return 204, None

    def list_simple_runs(self, request: Any, org_id: str, org: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_simple_runs(org, after, size))

    def run_logs(self, request: Any, org_id: str, org: str, run: str) -> Result:
        return 200, self.store.run_logs(org, run, request.query)

    # -- models: always an items envelope (M2 too), `contents=y` adds signed download URLs ----------

    def _model_signer(self, request: Any) -> Any:
        return self._signer(request) if parse_bool(request.query.get("contents")) else None

    def list_models(self, request: Any, org_id: str, org: str, run: str) -> Result:
        sign = self._model_signer(request)
        return self._paged(request, lambda after, size: self.store.list_models(org, run, after, size, sign))

    def get_model(self, request: Any, org_id: str, org: str, run: str, ckpt: str) -> Result:
        model = self.store.get_model(org, run, ckpt, self._model_signer(request))
        return 200, {"items": [model], "nextPage": None, "prevPage": None}

    # -- flows ------------------------------------------------------------------------------------------

    def list_flows(self, request: Any, org_id: str, org: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_flows(org, after, size))

    def list_simple_flows(self, request: Any, org_id: str, org: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_flows(org, after, size, simple=True))

    def get_flow(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        return 200, self.store.get_flow(org, flow)

    def put_flow(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        fields = bodies.resource_body(
            request.json_object(), lambda s: bodies.flow_spec(s, "spec"), partial=False
        )
        return 200, self.store.put_flow(org, flow, fields)

    def patch_flow(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        fields = bodies.resource_body(request.json_object(), bodies.flow_patch_spec, partial=True)
        return 200, self.store.patch_flow(org, flow, fields, bodies.flow_spec)

    def delete_flow(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        self.store.delete_flow(org, flow)
        return 204, None

    def flow_statistics(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        return 200, self.store.flow_statistics(org, flow)

    def generate_flow_statistics(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        self.store.generate_flow_statistics(org, flow)
        return 204, None

    def flow_accelerators(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        return 200, self.store.flow_accelerators(org, flow)

    def update_flow_accelerators(self, request: Any, org_id: str, org: str, flow: str) -> Result:
        fields = bodies.accelerators_body(request.json_object())
        return 200, self.store.update_flow_accelerators(org, flow, fields)

    # -- training projects -----------------------------------------------------------------------------

    def list_training_projects(self, request: Any, org_id: str, org: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_training_projects(org, after, size))

    def get_training_project(self, request: Any, org_id: str, org: str, project: str) -> Result:
        return 200, self.store.get_training_project(org, project)

    def put_training_project(self, request: Any, org_id: str, org: str, project: str) -> Result:
        fields = bodies.resource_body(
            request.json_object(), bodies.training_project_spec(False), partial=False
        )
        return 200, self.store.put_training_project(org, project, fields)

    def patch_training_project(self, request: Any, org_id: str, org: str, project: str) -> Result:
        fields = bodies.resource_body(request.json_object(), bodies.training_project_spec(True), partial=True)
        return 200, self.store.patch_training_project(org, project, fields)

    def delete_training_project(self, request: Any, org_id: str, org: str, project: str) -> Result:
        self.store.delete_training_project(org, project)
        return 204, None

    def training_insights(self, request: Any, org_id: str, org: str, project: str) -> Result:
        return 200, self.store.training_insights(org, project)

    def generate_training_insights(self, request: Any, org_id: str, org: str, project: str) -> Result:
        self.store.generate_training_insights(org, project)
        return 204, None

    def dry_run_training_project(self, request: Any, org_id: str, org: str) -> Result:
        fields = bodies.dry_run_body(request.json_object())
        return 200, self.store.dry_run_training_project(org, fields["id"], fields["name"])
