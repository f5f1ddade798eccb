"""Runs (with their life cycle and outputs), flows and training projects.

PUT-creates (R3, FL3, T3) use client-chosen ids so that a retried PUT is safe:
a PUT whose body equals what is stored changes nothing and counts no create; a different body
replaces the spec (generation + 1). API-created runs advance Started → Training → Finished over
`2 × operations.delay`, and a finished run gets checkpoints `ckpt-epoch-{n}` … `ckpt-final`.
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
from typing import Any, Dict, List, Optional

from .bodies import merge_attributes
from .errors import BadRequest, NotFound
from .operations import Operation
from .pagination import Page, page_by_seq
from .records import FlowRecord, ModelRecord, OrganizationRecord, RunRecord, TrainingProjectRecord
from .state import Family
from .views import run_json
from .views_data import Signer
from .views_training import (
    accelerators_json,
    aggregation_json,
    flow_json,
    model_json,
    simple_flow_json,
    simple_run_json,
    training_project_json,
)

__all__ = ["TrainingStore"]

JSON = Dict[str, Any]


def _fingerprint(spec: Any, attributes: Optional[Dict[str, str]]) -> str:
    return json.dumps([spec, attributes or {}], sort_keys=True, separators=(",", ":"))


def _condition(run: RunRecord, name: str) -> Dict[str, Any]:
    for condition in run.conditions:
        if condition["condition"] == name:
            return condition
    condition = {"condition": name, "status": "Waiting", "lastTransitionTime": run.time_created}
    run.conditions.append(condition)
    return condition


def _int_query(raw: Optional[str], name: str, minimum: int = 0) -> Optional[int]:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Invalid query parameter '{name}': {raw!r} is not an integer") from None
    if value < minimum:
        raise BadRequest(f"Invalid query parameter '{name}': must be >= {minimum}")
    return value


class TrainingStore(Family):
    """Runs and their models, flows and training projects."""

    # -- runs -------------------------------------------------------------------------------------

    def list_runs(self, org_id: str, after_seq: int, limit: int) -> Page:
        with self._lock:
            return page_by_seq(
                self._org(org_id).runs.values(), after_seq, limit, lambda r: run_json(org_id, r)
            )

    def get_run(self, org_id: str, run_id: str) -> JSON:
        with self._lock:
            run = self._org(org_id).runs.get(run_id)
            if run is None:
                raise NotFound(f"Run {run_id} not found")
            return run_json(org_id, run)

    # -- runs -------------------------------------------------------------------------------------

    def _run(self, org: OrganizationRecord, run_id: str) -> RunRecord:
        run = org.runs.get(run_id)
        if run is None:
            raise NotFound(f"Run {run_id} not found")
        return run

    def put_run(self, org_id: str, run_id: str, fields: JSON) -> JSON:
        """R3: create under the client's id, or replace; an identical repeat is a no-op."""
        with self._lock:
            org = self._org(org_id)
            spec = fields["spec"]
            attributes = fields.get("attributes")
            flow = spec["flow"]
            project = spec.get("trainingProject", flow.get("trainingProject"))
            fingerprint = _fingerprint(spec, attributes)
            run = org.runs.get(run_id)
            now = self._now_ms()
            if run is not None:
                if run.fingerprint == fingerprint:
                    return run_json(org_id, run)
                run.flow, run.training_project = copy.deepcopy(flow), project
                if attributes is not None:
                    run.attributes = dict(attributes)
                run.generation += 1
                run.last_updated = max(run.last_updated, now)
                run.fingerprint = fingerprint
                return run_json(org_id, run)
            op = self.operations.start("run")
            run = RunRecord(
                run_id=run_id,
                seq=self._next_seq(),
                flow=copy.deepcopy(flow),
                conditions=[
                    {"condition": "Started", "status": "Reached", "lastTransitionTime": now},
                    {"condition": "Training", "status": "Waiting", "lastTransitionTime": now},
                    {"condition": "Finished", "status": "Waiting", "lastTransitionTime": now},
                ],
                time_created=now,
                last_updated=now,
                training_project=project,
                attributes=dict(attributes or {}),
                op=op,
            )
            run.fingerprint = fingerprint
            org.runs[run_id] = run
            self._created("run")
            self.operations.schedule(lambda: self._run_training(org, run), steps=1)
            self.operations.schedule(lambda: self._run_finished(org, run), steps=2)
            return run_json(org_id, run)

    def _run_training(self, org: OrganizationRecord, run: RunRecord) -> None:
        if org.runs.get(run.run_id) is not run or run.killed_at is not None:
            return
        condition = _condition(run, "Training")
        if condition["status"] == "Waiting":
            condition.update(status="Reached", lastTransitionTime=self._now_ms())
            run.generation += 1
            run.last_updated = condition["lastTransitionTime"]

    def _run_finished(self, org: OrganizationRecord, run: RunRecord) -> None:
        if org.runs.get(run.run_id) is not run or run.killed_at is not None or run.op is None:
            return
        self._run_training(org, run)
        op: Operation = run.op
        succeeded = op.finish()
        finished = _condition(run, "Finished")
        finished.clear()
        finished.update(op.final_condition())
        run.generation += 1
        run.last_updated = finished["lastTransitionTime"]
        if succeeded:
            epochs = self._epochs(run)
            for epoch in range(1, epochs + 1):
                ckpt = "ckpt-final" if epoch == epochs else f"ckpt-epoch-{epoch}"
                loss = round(1.0 / (epoch + 1), 3)
                run.models[ckpt] = ModelRecord(
                    ckpt, self._next_seq(), epoch, {"loss": loss}, run.last_updated
                )
                self._created("model")

    @staticmethod
    def _epochs(run: RunRecord) -> int:
        for block in run.flow.get("blocks") or []:
            epochs = (block.get("settings") or {}).get("epochs")
            if isinstance(epochs, int) and not isinstance(epochs, bool) and 1 <= epochs <= 20:
                return epochs
        return 1

    def patch_run(self, org_id: str, run_id: str, fields: JSON) -> JSON:
        """R4: spec keys replace stored ones; `killedAt` kills (Finished → FailedReach, reason Killed)."""
        with self._lock:
            org = self._org(org_id)
            run = self._run(org, run_id)
            spec = fields.get("spec") or {}
            if "flow" in spec:
                run.flow = copy.deepcopy(spec["flow"])
            if "trainingProject" in spec:
                run.training_project = spec["trainingProject"]
            if spec.get("killedAt") is not None and run.killed_at is None:
                run.killed_at = spec["killedAt"]
                finished = _condition(run, "Finished")
                if finished["status"] == "Waiting":
                    when = self._now_ms()
                    finished.update(
                        status="FailedReach",
                        lastTransitionTime=when,
                        reason="Killed",
                        message=f"Run was killed at {run.killed_at}",
                    )
                    if run.op is not None:
                        run.op.fail("Killed", finished["message"])
            if "attributes" in fields:
                run.attributes = merge_attributes(run.attributes, fields["attributes"])
            run.generation += 1
            run.last_updated = max(run.last_updated, self._now_ms())
            run.fingerprint = None
            return run_json(org_id, run)

    def delete_run(self, org_id: str, run_id: str) -> None:
        """R5: the run and its outputs (models) go together."""
        with self._lock:
            org = self._org(org_id)
            self._run(org, run_id)
            del org.runs[run_id]

    def list_simple_runs(self, org_id: str, after: int, limit: int) -> Page:
        with self._lock:
            return page_by_seq(
                self._org(org_id).runs.values(), after, limit, lambda r: simple_run_json(org_id, r)
            )

    def run_logs(self, org_id: str, run_id: str, query: Dict[str, str]) -> JSON:
        """R7: `{runId, entries: [{time, block, level, message}], nextPage: null}`.

        Entries come from the run's conditions (block `system`) and its checkpoints (block
        `model`); `block` filters by exact block name, `since`/`until` are inclusive epoch-ms
        bounds, `limit` keeps the last N entries.
        """
        since = _int_query(query.get("since"), "since")
        until = _int_query(query.get("until"), "until")
        limit = _int_query(query.get("limit"), "limit", minimum=1)
        with self._lock:
            run = self._run(self._org(org_id), run_id)
            entries: List[JSON] = []
            for c in run.conditions:
                if c["status"] != "Waiting":
                    level = "ERROR" if c["status"] == "FailedReach" else "INFO"
                    message = f"{c['condition']} {c['status']}" + (
                        f": {c.get('message')}" if c.get("message") else ""
                    )
                    entries.append(
                        {
                            "time": c["lastTransitionTime"],
                            "block": "system",
                            "level": level,
                            "message": message,
                        }
                    )
            for model in run.models.values():
                entries.append(
                    {
                        "time": model.time_created,
                        "block": "model",
                        "level": "INFO",
                        "message": f"Saved checkpoint {model.run_output_id} (epoch {model.epoch}, loss {model.metrics.get('loss')})",
                    }
                )
            entries.sort(key=lambda e: e["time"])
            block = query.get("block")
            entries = [
                e
                for e in entries
                if (not block or e["block"] == block)
                and (since is None or e["time"] >= since)
                and (until is None or e["time"] <= until)
            ]
            if limit is not None:
                entries = entries[-limit:]
            return {"runId": run_id, "entries": entries, "nextPage": None}

    # -- models (run outputs) ------------------------------------------------------------------------

    def list_models(self, org_id: str, run_id: str, after: int, limit: int, sign: Optional[Signer]) -> Page:
        with self._lock:
            run = self._run(self._org(org_id), run_id)
            return page_by_seq(run.models.values(), after, limit, lambda m: model_json(org_id, run, m, sign))

    def get_model(self, org_id: str, run_id: str, ckpt: str, sign: Optional[Signer]) -> JSON:
        with self._lock:
            run = self._run(self._org(org_id), run_id)
            model = run.models.get(ckpt)
            if model is None:
                raise NotFound(f"Model {ckpt} not found for run {run_id}")
            return model_json(org_id, run, model, sign)

    def model_archive(self, org_id: str, run_id: str, ckpt: str) -> bytes:
        """A tiny tar with the layout `models.download` checks: `model_full/model.safetensors` and
        `model_full/run.json` (the run's flow spec)."""
        with self._lock:
            run = self._run(self._org(org_id), run_id)
            model = run.models.get(ckpt)
            if model is None:
                raise NotFound(f"Model {ckpt} not found for run {run_id}")
            header = json.dumps({"__metadata__": {"format": "pt", "checkpoint": ckpt}}).encode()
            files = {
                "model_full/model.safetensors": len(header).to_bytes(8, "little") + header,
                "model_full/run.json": json.dumps(
                    {"runId": run_id, "checkpoint": ckpt, "epoch": model.epoch, "flow": run.flow},
                    sort_keys=True,
                ).encode(),
            }
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), model.time_created // 1000, 0o644
                archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    # -- flows ------------------------------------------------------------------------------------------

    def _flow(self, org: OrganizationRecord, flow_id: str) -> FlowRecord:
        flow = org.flows.get(flow_id)
        if flow is None:
            raise NotFound(f"Flow {flow_id} not found")
        return flow

    def list_flows(self, org_id: str, after: int, limit: int, simple: bool = False) -> Page:
        with self._lock:
            render = simple_flow_json if simple else flow_json
            return page_by_seq(self._org(org_id).flows.values(), after, limit, lambda f: render(org_id, f))

    def get_flow(self, org_id: str, flow_id: str) -> JSON:
        with self._lock:
            return flow_json(org_id, self._flow(self._org(org_id), flow_id))

    def put_flow(self, org_id: str, flow_id: str, fields: JSON) -> JSON:
        with self._lock:
            org = self._org(org_id)
            fingerprint = _fingerprint(fields["spec"], fields.get("attributes"))
            flow = org.flows.get(flow_id)
            now = self._now_ms()
            if flow is None:
                flow = FlowRecord(
                    flow_id,
                    self._next_seq(),
                    copy.deepcopy(fields["spec"]),
                    now,
                    now,
                    dict(fields.get("attributes") or {}),
                )
                org.flows[flow_id] = flow
                self._created("flow")
            elif flow.fingerprint != fingerprint:
                flow.spec = copy.deepcopy(fields["spec"])
                if "attributes" in fields:
                    flow.attributes = dict(fields["attributes"])
                flow.generation += 1
                flow.last_updated = max(flow.last_updated, now)
            flow.fingerprint = fingerprint
            return flow_json(org_id, flow)

    def patch_flow(self, org_id: str, flow_id: str, fields: JSON, check: Any) -> JSON:
        """FL4: top-level spec keys replace stored ones; the merged spec must still be a FlowSpec."""
        with self._lock:
            flow = self._flow(self._org(org_id), flow_id)
            if fields.get("spec"):
                merged = dict(flow.spec, **fields["spec"])
                check(merged, "spec")
                flow.spec = copy.deepcopy(merged)
            if "attributes" in fields:
                flow.attributes = merge_attributes(flow.attributes, fields["attributes"])
            flow.generation += 1
            flow.last_updated = max(flow.last_updated, self._now_ms())
            flow.fingerprint = None
            return flow_json(org_id, flow)

    def delete_flow(self, org_id: str, flow_id: str) -> None:
        with self._lock:
            org = self._org(org_id)
            self._flow(org, flow_id)
            del org.flows[flow_id]

    def flow_statistics(self, org_id: str, flow_id: str) -> JSON:
        """FL7: `{kind, flowId, payload: {results: {blockCount, runCount, finishedRunCount}}|null, pendingOperation}`;
        runs count when their flow spec has the same name as this flow."""
        with self._lock:
            org = self._org(org_id)
            flow = self._flow(org, flow_id)
            runs = [r for r in org.runs.values() if r.flow.get("name") == flow.spec.get("name")]
            results = {
                "blockCount": len(flow.spec.get("blocks") or []),
                "runCount": len(runs),
                "finishedRunCount": sum(1 for r in runs if r.models),
            }
            out = aggregation_json(flow.aggregation, results)
            out.update({"kind": "FlowAggregationStatistics", "flowId": flow_id})
            return out

    def generate_flow_statistics(self, org_id: str, flow_id: str) -> None:
        with self._lock:
            flow = self._flow(self._org(org_id), flow_id)
            if flow.aggregation is None or flow.aggregation.done:
                flow.aggregation = self.operations.start("aggregation")
                self.operations.schedule(flow.aggregation.finish)

    def flow_accelerators(self, org_id: str, flow_id: str) -> JSON:
        with self._lock:
            return accelerators_json(org_id, self._flow(self._org(org_id), flow_id))

    def update_flow_accelerators(self, org_id: str, flow_id: str, fields: JSON) -> JSON:
        with self._lock:
            flow = self._flow(self._org(org_id), flow_id)
            flow.accelerators.update(copy.deepcopy(fields["accelerators"]))
            if fields.get("requirements") is not None:
                flow.requirements = copy.deepcopy(fields["requirements"])
            flow.generation += 1
            return accelerators_json(org_id, flow)

    # -- training projects ---------------------------------------------------------------------------

    def _project(self, org: OrganizationRecord, project_id: str) -> TrainingProjectRecord:
        project = org.training_projects.get(project_id)
        if project is None:
            raise NotFound(f"Training project {project_id} not found")
        return project

    def list_training_projects(self, org_id: str, after: int, limit: int) -> Page:
        with self._lock:
            org = self._org(org_id)
            return page_by_seq(
                org.training_projects.values(), after, limit, lambda p: training_project_json(org, p)
            )

    def get_training_project(self, org_id: str, project_id: str) -> JSON:
        with self._lock:
            org = self._org(org_id)
            return training_project_json(org, self._project(org, project_id))

    def put_training_project(self, org_id: str, project_id: str, fields: JSON) -> JSON:
        with self._lock:
            org = self._org(org_id)
            spec = {
                "name": fields["spec"]["name"],
                "description": fields["spec"].get("description"),
                "type": fields["spec"].get("type") or "",
            }
            fingerprint = _fingerprint(spec, fields.get("attributes"))
            project = org.training_projects.get(project_id)
            now = self._now_ms()
            if project is None:
                project = TrainingProjectRecord(
                    project_id, self._next_seq(), spec, now, now, dict(fields.get("attributes") or {})
                )
                org.training_projects[project_id] = project
                self._created("training_project")
            elif project.fingerprint != fingerprint:
                project.spec = spec
                if "attributes" in fields:
                    project.attributes = dict(fields["attributes"])
                project.generation += 1
                project.last_updated = max(project.last_updated, now)
            project.fingerprint = fingerprint
            return training_project_json(org, project)

    def patch_training_project(self, org_id: str, project_id: str, fields: JSON) -> JSON:
        with self._lock:
            org = self._org(org_id)
            project = self._project(org, project_id)
            project.spec = dict(project.spec, **(fields.get("spec") or {}))
            if "attributes" in fields:
                project.attributes = merge_attributes(project.attributes, fields["attributes"])
            project.generation += 1
            project.last_updated = max(project.last_updated, self._now_ms())
            project.fingerprint = None
            return training_project_json(org, project)

    def delete_training_project(self, org_id: str, project_id: str) -> None:
        """T5: runs and flows keep naming the id (as on the real service, history is not rewritten)."""
        with self._lock:
            org = self._org(org_id)
            self._project(org, project_id)
            del org.training_projects[project_id]

    def training_insights(self, org_id: str, project_id: str) -> JSON:
        """T6 `AggregationInsightsResult`; results `{bestRun, runCount, bestLoss}` once generated."""
        with self._lock:
            org = self._org(org_id)
            project = self._project(org, project_id)
            runs = [r for r in org.runs.values() if r.training_project == project_id]
            scored = [(m.metrics.get("loss", 1e9), r.run_id) for r in runs for m in r.models.values()]
            best = min(scored) if scored else None
            results = {
                "runCount": len(runs),
                "bestRun": best[1] if best else None,
                "bestLoss": best[0] if best else None,
            }
            return aggregation_json(project.insights, results)

    def generate_training_insights(self, org_id: str, project_id: str) -> None:
        with self._lock:
            project = self._project(self._org(org_id), project_id)
            if project.insights is None or project.insights.done:
                project.insights = self.operations.start("aggregation")
                self.operations.schedule(project.insights.finish)

    def dry_run_training_project(self, org_id: str, project_id: str, name: str) -> JSON:
        """T8 `DryRunResponse`: `IdAlreadyExists` if the id is taken, `NameAlreadyExists` if another
        project has the same name (case-insensitive); `{"errors": []}` when creation would succeed."""
        with self._lock:
            org = self._org(org_id)
            errors = []
            if project_id in org.training_projects:
                errors.append({"kind": "IdAlreadyExists"})
            if any(
                p.spec.get("name", "").lower() == name.lower() and p.project_id != project_id
                for p in org.training_projects.values()
            ):
                errors.append({"kind": "NameAlreadyExists"})
            return {"errors": errors}
