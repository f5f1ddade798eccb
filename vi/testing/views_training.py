"""Wire JSON for models (run outputs), flows, training projects and the free-form peripheral documents.

`Model`, `Flow`, `FlowAcceleratorList`, `TrainingProject` and `AggregationInsightsResult` follow the
documented shapes of runs, training projects and flows. Endpoints the protocol types as `dict` get the
documents described in each renderer's docstring.
"""

from __future__ import annotations

import copy
import datetime
import zlib
from typing import Any, Dict, List, Optional

from .operations import Operation
from .records import DocRecord, FlowRecord, ModelRecord, OrganizationRecord, RunRecord, TrainingProjectRecord
from .views_data import Signer, storage_path

__all__ = [
    "accelerators_json",
    "aggregation_json",
    "doc_json",
    "flow_json",
    "model_json",
    "run_state",
    "simple_flow_json",
    "simple_run_json",
    "training_project_json",
]

JSON = Dict[str, Any]

_ACCELERATORS = {
    "nvidia-a100-80gb": ({"vendor": "nvidia", "family": "ampere"}, {"gpuMemoryGiB": 80.0}),
    "nvidia-l4": ({"vendor": "nvidia", "family": "ada"}, {"gpuMemoryGiB": 24.0}),
    "nvidia-h100-80gb": ({"vendor": "nvidia", "family": "hopper"}, {"gpuMemoryGiB": 80.0}),
}


def _etag(*parts: Any) -> str:
    return 'W/"{}"'.format("-".join(str(p) for p in parts))


def _metadata(
    created: int, updated: int, generation: int, attributes: Optional[Dict[str, str]] = None
) -> JSON:
    return {
        "timeCreated": created,
        "lastUpdated": max(created, updated),
        "generation": generation,
        "attributes": dict(attributes or {}),
    }


def _iso(ms: int) -> str:
    stamp = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def model_json(org_id: str, run: RunRecord, model: ModelRecord, sign: Optional[Signer]) -> JSON:
    """A run output; `status.contents.downloadUrl` (a signed tar URL) only when asked (`contents=y`)."""
    storage = f"gs://vi-models/{org_id}/{run.run_id}/{model.run_output_id}.tar"
    status: JSON = {
        "observedGeneration": 1,
        "conditions": [
            {"condition": "Exported", "status": "Reached", "lastTransitionTime": model.time_created}
        ],
        "storageObject": storage,
        "contents": None,
    }
    if sign is not None:
        url, expiry = sign(storage_path("models", org_id, run.run_id, model.run_output_id + ".tar"))
        status["contents"] = {"downloadUrl": {"url": url, "expiresAt": expiry}}
    return {
        "kind": "RunOutput",
        "runId": run.run_id,
        "runOutputId": model.run_output_id,
        "workspaceId": org_id,
        "metadata": _metadata(model.time_created, model.time_created, 1),
        "spec": {"kind": "Checkpoint", "epoch": model.epoch, "evaluationMetrics": dict(model.metrics)},
        "status": status,
        "selfLink": f"/workspaces/{org_id}/runs/{run.run_id}/outputs/{model.run_output_id}",
        "etag": _etag(run.run_id, model.run_output_id),
    }


def run_state(run: RunRecord) -> str:
    """`Killed`, `Failed`, `Finished` or `Running`, from the run's conditions."""
    if run.killed_at is not None:
        return "Killed"
    statuses = {c["condition"]: c["status"] for c in run.conditions}
    if "FailedReach" in statuses.values():
        return "Failed"
    return "Finished" if statuses.get("Finished") == "Reached" else "Running"


def simple_run_json(org_id: str, run: RunRecord) -> JSON:
    """R6 item: `{runId, name, trainingProject, state, timeCreated, lastUpdated, selfLink}`."""
    return {
        "runId": run.run_id,
        "name": run.flow.get("name"),
        "trainingProject": run.training_project,
        "state": run_state(run),
        "timeCreated": run.time_created,
        "lastUpdated": run.last_updated,
        "selfLink": f"/workspaces/{org_id}/runs/{run.run_id}",
    }


def flow_json(org_id: str, flow: FlowRecord) -> JSON:
    return {
        "kind": "Flow",
        "workspaceId": org_id,
        "flowId": flow.flow_id,
        "spec": copy.deepcopy(flow.spec),
        "metadata": _metadata(flow.time_created, flow.last_updated, flow.generation, flow.attributes),
        "selfLink": f"/workspaces/{org_id}/flows/{flow.flow_id}",
        "etag": _etag(flow.flow_id, flow.generation),
    }


def simple_flow_json(org_id: str, flow: FlowRecord) -> JSON:
    """FL6 item: `{flowId, name, trainingProject, blockCount, lastUpdated, selfLink}`."""
    return {
        "flowId": flow.flow_id,
        "name": flow.spec.get("name"),
        "trainingProject": flow.spec.get("trainingProject"),
        "blockCount": len(flow.spec.get("blocks") or []),
        "lastUpdated": flow.last_updated,
        "selfLink": f"/workspaces/{org_id}/flows/{flow.flow_id}",
    }


def accelerators_json(org_id: str, flow: FlowRecord) -> JSON:
    """FL9/FL10: every accelerator the flow tolerates, with its configured counts (default 1 Allow)."""
    names: List[str] = list((flow.spec.get("tolerations") or {}).get("accelerators") or [])
    for name in flow.accelerators:
        if name not in names:
            names.append(name)
    items = []
    for name in names:
        labels, resources = _ACCELERATORS.get(name, ({"vendor": "unknown"}, {"gpuMemoryGiB": 16.0}))
        items.append(
            {
                "accelerator": {
                    "kind": "TrainingAccelerator",
                    "workspaceId": org_id,
                    "trainingAcceleratorId": name,
                    "selfLink": f"/workspaces/{org_id}/trainingAccelerators/{name}",
                    "etag": _etag(name),
                    "metadata": _metadata(flow.time_created, flow.time_created, 1),
                    "spec": {"enabled": True, "labels": dict(labels), "resources": dict(resources)},
                },
                "configurations": copy.deepcopy(
                    flow.accelerators.get(name) or [{"count": 1, "action": "Allow"}]
                ),
            }
        )
    return {
        "kind": "FlowAcceleratorList",
        "workspaceId": org_id,
        "flowId": flow.flow_id,
        "flowRequirements": copy.deepcopy(flow.requirements)
        or {"minimumSingleUnitResources": {"gpuMemoryGiB": 16.0}},
        "items": items,
    }


def aggregation_json(op: Optional[Operation], results: JSON) -> JSON:
    """`{payload: {results, timeUpdated} | null, pendingOperation: {status, timeInitiated} | null}`.

    Used for D12 and FL7 (typed `dict`) and T6 (`AggregationInsightsResult`): nothing until a
    generate call, a pending operation while it runs, then the payload (or a `Failed` pending
    operation carrying the injected reason and message).
    """
    if op is None:
        return {"payload": None, "pendingOperation": None}
    if op.state == "pending":
        return {
            "payload": None,
            "pendingOperation": {"status": "Running", "timeInitiated": _iso(op.created_ms)},
        }
    if op.state == "failed":
        return {
            "payload": None,
            "pendingOperation": {
                "status": "Failed",
                "timeInitiated": _iso(op.created_ms),
                "reason": op.reason,
                "message": op.message,
            },
        }
    return {
        "payload": {"results": results, "timeUpdated": _iso(op.finished_ms or op.created_ms)},
        "pendingOperation": None,
    }


def training_project_json(org: OrganizationRecord, project: TrainingProjectRecord) -> JSON:
    """Status lists are derived: runs and flows naming this project, and the outputs of those runs."""
    runs = [r for r in org.runs.values() if r.training_project == project.project_id]
    flows = [f.flow_id for f in org.flows.values() if f.spec.get("trainingProject") == project.project_id]
    return {
        "kind": "TrainingProject",
        "workspaceId": org.org_id,
        "trainingProjectId": project.project_id,
        "spec": dict(project.spec),
        "status": {
            "runs": [r.run_id for r in runs],
            "flows": flows,
            "runOutputs": [f"{r.run_id}/{m}" for r in runs for m in r.models],
            "tasks": [],
        },
        "metadata": _metadata(
            project.time_created, project.last_updated, project.generation, project.attributes
        ),
        "selfLink": f"/workspaces/{org.org_id}/trainingProjects/{project.project_id}",
        "etag": _etag(project.project_id, project.generation),
    }


def doc_json(org_id: str, kind: str, id_field: str, link: str, record: DocRecord) -> JSON:
    """A free-form peripheral document (deployment, deployment project/endpoint, ontology).

    `{kind, <id_field>, workspaceId, name, description, spec, status: {state}, metadata,
    selfLink, etag}` plus any extra caller fields the resource keeps (e.g. ontology `versions`).
    """
    doc = copy.deepcopy(record.doc)
    out: JSON = {"kind": kind, id_field: record.doc_id, "workspaceId": org_id}
    out["name"] = doc.pop("name", None)
    out["description"] = doc.pop("description", None)
    out["spec"] = doc.pop("spec", None) or {}
    out["status"] = {"state": "Ready"}
    out.update(doc)
    out["metadata"] = _metadata(
        record.time_created, record.last_updated, record.generation, record.attributes
    )
    out["selfLink"] = link
    out["etag"] = _etag(record.doc_id, record.generation)
    return out


def deployment_statistics(deployment_id: str, now: int) -> JSON:
    """DP6/DP7: request counts and latencies, deterministic per deployment id."""
    seed = zlib.crc32(deployment_id.encode("utf-8"))
    total = 1000 + seed % 9000
    return {
        "deploymentId": deployment_id,
        "window": {"start": now - 24 * 3600 * 1000, "end": now},
        "requests": {"total": total, "succeeded": total - seed % 17, "failed": seed % 17},
        "latencyMs": {"p50": 40 + seed % 30, "p95": 120 + seed % 80, "p99": 250 + seed % 150},
    }
