"""Request-body checks for the write endpoints beyond organizations and datasets.

Same policy as `validation.py`: unknown top-level fields are rejected, every 400 names the field
(dotted path for nested ones), and explicit `null`s are accepted wherever the official SDK emits
them. Each function returns normalised values for the store.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Mapping, Optional

from .validation import BodyError, _is_int, _reject_unknown

__all__ = [
    "ANNOTATION_CONDITION_REASONS",
    "EXPORT_FORMATS",
    "annotation_body",
    "attributes_of",
    "merge_attributes",
    "bulk_deletion_create",
    "doc_body",
    "dry_run_body",
    "export_create",
    "flow_spec",
    "folder_put",
    "import_create",
    "import_files",
    "import_status",
    "ingestion_create",
    "intelliscribe_body",
    "multipart_create",
    "part_completion",
    "rename_body",
    "resource_body",
]

EXPORT_FORMATS = (
    "ViFull",
    "ViJsonl",
    "ViTfrecord",
    "CsvFourCorner",
    "CsvWidthHeight",
    "Coco",
    "PascalVoc",
    "YoloDarknet",
    "YoloKerasPytorch",
)
FAILURE_MODES = ("FailAfterOne", "FailAfterAll")
#: Request side accepts the SDK's singular spelling; responses always use the plural.
RETENTION_MODES = {
    "RemoveLinkedResource": "RemoveLinkedResource",
    "KeepLinkedResource": "KeepLinkedResources",
    "KeepLinkedResources": "KeepLinkedResources",
}
FAILURE_POLICIES = ("Warn", "RejectFile", "RejectSession")
CONDITION_STATUSES = ("Waiting", "Reached", "FailedReach")
ANNOTATION_CONDITION_REASONS = ("CancelledByUser", "UserUploadErrored")
ROLES = ("Caption", "PhraseGroundingBoundingBox")
ACCELERATOR_ACTIONS = ("Allow", "Deny", "Warn")

JSON = Dict[str, Any]


def _object(value: Any, field: str, required: bool = True) -> Optional[JSON]:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise BodyError(field, "must be an object" + ("" if required else " or null"))
    return value


def _string(value: Any, field: str, required: bool = True, empty: bool = False) -> Optional[str]:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise BodyError(field, "must be a non-empty string" + ("" if required else " or null"))
    return value


def _integer(value: Any, field: str, required: bool = True, minimum: Optional[int] = None) -> Optional[int]:
    if value is None and not required:
        return None
    if not _is_int(value) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise BodyError(field, f"must be an integer{bound}" + ("" if required else " or null"))
    return value


def _choice(value: Any, field: str, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise BodyError(field, "must be one of {} (got {!r})".format(", ".join(choices), value))
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: the server-maintained parts of `metadata`, accepted and ignored so that a document read with
#: GET can be edited and PUT back whole
_METADATA_READ_ONLY = ("timeCreated", "lastUpdated", "generation")


def attributes_of(
    body: Mapping[str, Any], field: str = "metadata", *, nulls: bool = False
) -> Optional[Dict[str, Optional[str]]]:
    """`{"metadata": {"attributes": {str: str}}}` → the attributes (None when absent or null).

    With `nulls` (PATCH bodies), a null value is allowed and means "remove this attribute";
    see `merge_attributes`."""
    metadata = body.get(field)
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise BodyError(field, "must be an object or null")
    _reject_unknown(metadata, ("attributes",) + _METADATA_READ_ONLY)
    attributes = metadata.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or not all(
        isinstance(v, str) or (nulls and v is None) for v in attributes.values()
    ):
        raise BodyError(field + ".attributes", "must be an object of string values")
    return dict(attributes)


def merge_attributes(current: Mapping[str, str], changes: Mapping[str, Optional[str]]) -> Dict[str, str]:
    """Apply a PATCH of attributes: set strings, remove keys sent as null."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# -- datasets: exports and bulk deletions --------------------------------------------------------


def export_create(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("spec",))
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("format", "options"))
    fmt = _choice(
        spec.get("format", "ViFull") if spec.get("format") is not None else "ViFull",
        "spec.format",
        EXPORT_FORMATS,
    )
    options = _object(spec.get("options"), "spec.options", required=False) or {}
    _reject_unknown(options, ("normalized", "splitRatio"))
    normalized = options.get("normalized", True)
    if normalized is None:
        normalized = True
    if not isinstance(normalized, bool):
        raise BodyError("spec.options.normalized", "must be a boolean")
    split = options.get("splitRatio")
    if split is not None and (not _number(split) or not 0.0 < split < 1.0):
        raise BodyError("spec.options.splitRatio", "must be a number between 0 and 1 (exclusive) or null")
    return {"format": fmt, "normalized": normalized, "split_ratio": split}


def bulk_deletion_create(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("spec",))
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("filter", "metadataQuery", "ruleQuery", "strictQuery"))
    value = spec.get("filter")
    if value is not None and not isinstance(value, (str, dict)):
        raise BodyError("spec.filter", "must be a string, an object or null")
    _string(spec.get("metadataQuery"), "spec.metadataQuery", required=False, empty=True)
    _string(spec.get("ruleQuery"), "spec.ruleQuery", required=False, empty=True)
    strict = spec.get("strictQuery")
    if strict is not None and not isinstance(strict, bool):
        raise BodyError("spec.strictQuery", "must be a boolean or null")
    return {
        k: spec[k] for k in ("filter", "metadataQuery", "ruleQuery", "strictQuery") if spec.get(k) is not None
    }


# -- assets: rename, ingestion, multipart -------------------------------------------------------


def rename_body(body: Mapping[str, Any]) -> str:
    _reject_unknown(body, ("filename",))
    name = _string(body.get("filename"), "filename")
    assert name is not None
    if "/" in name or name in (".", ".."):
        raise BodyError("filename", "must be a bare file name (no '/')")
    return name


def ingestion_create(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("spec",))
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("assets", "kind", "failureMode", "onAssetOverwritten"))
    kind = spec.get("kind") if spec.get("kind") is not None else "Upload"
    _choice(kind, "spec.kind", ("Upload",))
    mode = spec.get("failureMode") if spec.get("failureMode") is not None else "FailAfterOne"
    _choice(mode, "spec.failureMode", FAILURE_MODES)
    retention = (
        spec.get("onAssetOverwritten")
        if spec.get("onAssetOverwritten") is not None
        else "RemoveLinkedResource"
    )
    _choice(retention, "spec.onAssetOverwritten", RETENTION_MODES)
    raw_assets = spec.get("assets")
    if raw_assets is None:
        raw_assets = []
    if not isinstance(raw_assets, list):
        raise BodyError("spec.assets", "must be an array")
    if len(raw_assets) > 5000:
        raise BodyError("spec.assets", "at most 5000 assets per session")
    assets: List[JSON] = []
    seen = set()
    for index, item in enumerate(raw_assets):
        where = f"spec.assets[{index}]"
        _object(item, where)
        _reject_unknown(item, ("filename", "mime", "size", "crc32c", "customMetadata", "kind"))
        filename = _string(item.get("filename"), where + ".filename")
        assert filename is not None
        if "/" in filename:
            raise BodyError(where + ".filename", "must be a bare file name (no '/')")
        if filename in seen:
            raise BodyError(where + ".filename", f"duplicate filename {filename!r} in one session")
        seen.add(filename)
        mime = _string(item.get("mime"), where + ".mime")
        assert mime is not None
        if not mime.startswith(("image/", "video/", "application/")):
            raise BodyError(where + ".mime", "must be an image/* or video/* MIME type")
        size = _integer(item.get("size"), where + ".size", minimum=0)
        crc = item.get("crc32c")
        if crc is not None and (not _is_int(crc) or not -(2**31) <= crc < 2**31):
            raise BodyError(where + ".crc32c", "must be a signed 32-bit integer or null")
        custom = item.get("customMetadata")
        if custom is not None:
            if not isinstance(custom, dict) or not all(
                isinstance(v, (str, int, float, bool)) for v in custom.values()
            ):
                raise BodyError(where + ".customMetadata", "must be an object of scalar values or null")
        asset_kind = (
            item.get("kind")
            if item.get("kind") is not None
            else ("Video" if mime.startswith("video/") else "Image")
        )
        _choice(asset_kind, where + ".kind", ("Image", "Video"))
        meta: JSON = {"kind": asset_kind, "filename": filename, "mime": mime, "size": size}
        if crc is not None:
            meta["crc32c"] = crc
        if custom is not None:
            meta["customMetadata"] = dict(custom)
        assets.append(meta)
    return {"failure_mode": mode, "on_overwritten": RETENTION_MODES[str(retention)], "assets": assets}


def multipart_create(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("spec",))
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("ingestionId", "filename", "contentType", "sizeBytes"))
    return {
        "ingestion_id": _string(spec.get("ingestionId"), "spec.ingestionId"),
        "filename": _string(spec.get("filename"), "spec.filename"),
        "content_type": _string(spec.get("contentType"), "spec.contentType", required=False),
        "size_bytes": _integer(spec.get("sizeBytes"), "spec.sizeBytes", minimum=1),
    }


def part_completion(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("responseHeaders", "responseBody"))
    headers = _object(body.get("responseHeaders"), "responseHeaders")
    assert headers is not None
    if not all(isinstance(v, str) for v in headers.values()):
        raise BodyError("responseHeaders", "must be an object of string values")
    _string(body.get("responseBody"), "responseBody", required=False, empty=True)
    return {"responseHeaders": dict(headers), "responseBody": body.get("responseBody")}


# -- annotations ------------------------------------------------------------------------------------


def import_create(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("spec", "metadata"))
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("uploadBefore", "failurePolicies", "source"))
    upload_before = _integer(spec.get("uploadBefore"), "spec.uploadBefore", minimum=0)
    policies = _object(spec.get("failurePolicies"), "spec.failurePolicies")
    assert policies is not None
    _reject_unknown(policies, ("onBadAnnotation", "onBadFile", "onOverwritten"))
    for key in ("onBadAnnotation", "onBadFile", "onOverwritten"):
        _choice(policies.get(key), f"spec.failurePolicies.{key}", FAILURE_POLICIES)
    source = spec.get("source") if spec.get("source") is not None else "UploadedIndividualFiles"
    _choice(source, "spec.source", ("UploadedIndividualFiles",))
    return {
        "spec": {"uploadBefore": upload_before, "failurePolicies": dict(policies), "source": source},
        "attributes": attributes_of(body) or {},
    }


def import_files(body: Mapping[str, Any]) -> Dict[str, JSON]:
    _reject_unknown(body, ("files",))
    files = _object(body.get("files"), "files")
    assert files is not None
    if not files:
        raise BodyError("files", "must register at least one file")
    out: Dict[str, JSON] = {}
    for name, spec in files.items():
        where = f"files.{name}"
        if not name or "/" in name:
            raise BodyError(where, "file names must be non-empty basenames")
        _object(spec, where)
        _reject_unknown(spec, ("sizeBytes", "crc32c", "kind"))
        size = _integer(spec.get("sizeBytes"), where + ".sizeBytes", minimum=0)
        crc = _string(spec.get("crc32c"), where + ".crc32c", required=False)
        kind = spec.get("kind") if spec.get("kind") is not None else "Unknown"
        _string(kind, where + ".kind")
        out[name] = {"sizeBytes": size, "crc32c": crc, "kind": kind}
    return out


def import_status(body: Mapping[str, Any]) -> JSON:
    """N8: exactly one condition, as the SDK sends it; returns the normalised condition."""
    _reject_unknown(body, ("status",))
    status = _object(body.get("status"), "status")
    assert status is not None
    _reject_unknown(status, ("conditions",))
    conditions = status.get("conditions")
    if not isinstance(conditions, list) or len(conditions) != 1:
        raise BodyError("status.conditions", "must be an array of exactly one condition")
    condition = _object(conditions[0], "status.conditions[0]")
    assert condition is not None
    _reject_unknown(condition, ("condition", "status", "lastTransitionTime", "reason", "message"))
    name = _string(condition.get("condition"), "status.conditions[0].condition")
    state = _choice(condition.get("status"), "status.conditions[0].status", CONDITION_STATUSES)
    when = condition.get("lastTransitionTime")
    if not _number(when):
        raise BodyError("status.conditions[0].lastTransitionTime", "must be a number (epoch milliseconds)")
    reason = condition.get("reason")
    if reason is not None:
        _choice(reason, "status.conditions[0].reason", ANNOTATION_CONDITION_REASONS)
    out: JSON = {"condition": name, "status": state, "lastTransitionTime": when}
    if reason is not None:
        out["reason"] = reason
    return out


_ANNOTATION_READ_ONLY = ("kind", "annotationId", "assetId", "workspaceId", "datasetId", "selfLink", "etag")


def _annotation_contents(contents: Any, role: str) -> JSON:
    _object(contents, "spec.contents")
    kind = contents.get("kind")
    _choice(kind, "spec.contents.kind", ROLES)
    if kind != role:
        raise BodyError("spec.contents.kind", f"must match spec.aggregation.thisPart.role ({role!r})")
    if kind == "Caption":
        _reject_unknown(contents, ("kind", "contents"))
        text = contents.get("contents", "")
        if not isinstance(text, str):
            raise BodyError("spec.contents.contents", "must be a string")
        return {"caption": text, "bound": None, "target": None}
    _reject_unknown(contents, ("kind", "bound", "target"))
    bound = contents.get("bound")
    if (
        not isinstance(bound, list)
        or len(bound) != 4
        or not all(isinstance(p, list) and len(p) == 2 and all(_number(v) for v in p) for p in bound)
    ):
        raise BodyError("spec.contents.bound", "must be four [x, y] number pairs")
    target = contents.get("target")
    if not isinstance(target, list) or len(target) != 2 or not all(_is_int(v) and v >= 0 for v in target):
        raise BodyError("spec.contents.target", "must be [start, end], two non-negative integers")
    if target[0] > target[1]:
        raise BodyError("spec.contents.target", "start must not exceed end")
    return {"caption": "", "bound": [list(p) for p in bound], "target": list(target)}


def annotation_body(body: Mapping[str, Any], current: Optional[JSON] = None) -> JSON:
    """N3 (full document, `current` None) or N4 (partial over `current`, a rendered Annotation).

    Accepted: `{"spec": AnnotationSpec, "metadata"?: {"attributes"}}` plus the read-only fields
    of an Annotation document (ignored, so a GET → edit → PUT round trip works).
    """
    _reject_unknown(body, ("spec", "metadata") + _ANNOTATION_READ_ONLY)
    spec_in = body.get("spec")
    if current is None or spec_in is not None:
        _object(spec_in, "spec")
    spec: JSON = dict(current["spec"]) if current is not None else {}
    if spec_in:
        _reject_unknown(spec_in, ("boundType", "tag", "aggregation", "contents"))
        spec.update(spec_in)
    for key in ("tag", "aggregation", "contents"):
        if key not in spec:
            raise BodyError(f"spec.{key}", "is required")
    tag = _integer(spec.get("tag"), "spec.tag", minimum=0)
    aggregation = _object(spec.get("aggregation"), "spec.aggregation")
    assert aggregation is not None
    _reject_unknown(aggregation, ("whole", "thisPart"))
    whole = _object(aggregation.get("whole"), "spec.aggregation.whole")
    assert whole is not None
    group = _string(whole.get("id"), "spec.aggregation.whole.id")
    part = _object(aggregation.get("thisPart"), "spec.aggregation.thisPart")
    assert part is not None
    role = _choice(part.get("role"), "spec.aggregation.thisPart.role", ROLES)
    bound_type = spec.get("boundType")
    if bound_type is not None:
        _choice(bound_type, "spec.boundType", ("Caption", "Box"))
    fields = _annotation_contents(spec.get("contents"), role)
    fields.update({"tag": tag, "group_id": group, "role": role})
    attributes = attributes_of(body)
    if attributes is not None:
        fields["attributes"] = attributes
    return fields


# -- runs, flows, training projects ---------------------------------------------------------------


def flow_spec(spec: Any, field: str) -> JSON:
    """A `FlowSpec`: required name/schema/tolerations/settings/blocks, optional trainingProject."""
    _object(spec, field)
    _reject_unknown(spec, ("name", "schema", "tolerations", "settings", "blocks", "trainingProject"))
    _string(spec.get("name"), field + ".name")
    _string(spec.get("schema"), field + ".schema")
    tolerations = _object(spec.get("tolerations"), field + ".tolerations")
    assert tolerations is not None
    for key, value in tolerations.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BodyError(f"{field}.tolerations.{key}", "must be an array of strings")
    _object(spec.get("settings"), field + ".settings")
    blocks = spec.get("blocks")
    if not isinstance(blocks, list):
        raise BodyError(field + ".blocks", "must be an array")
    for index, block in enumerate(blocks):
        where = f"{field}.blocks[{index}]"
        _object(block, where)
        _reject_unknown(block, ("block", "settings", "style"))
        _string(block.get("block"), where + ".block")
        _object(block.get("settings"), where + ".settings")
        _object(block.get("style"), where + ".style")
    _string(spec.get("trainingProject"), field + ".trainingProject", required=False)
    return dict(spec)


def resource_body(body: Mapping[str, Any], spec_check: Any, partial: bool) -> JSON:
    """`{"spec": ..., "metadata"?: {"attributes"}}` for runs/flows/training projects (PUT or PATCH)."""
    _reject_unknown(body, ("spec", "metadata"))
    spec = body.get("spec")
    out: JSON = {}
    if spec is not None or not partial:
        out["spec"] = spec_check(spec)
    attributes = attributes_of(body, nulls=partial)
    if attributes is not None:
        out["attributes"] = attributes if partial else {k: v for k, v in attributes.items() if v is not None}
    return out


def run_spec(partial: bool) -> Any:
    def check(spec: Any) -> JSON:
        _object(spec, "spec")
        _reject_unknown(spec, ("flow", "trainingProject", "killedAt"))
        out: JSON = {}
        if "flow" in spec or not partial:
            out["flow"] = flow_spec(spec.get("flow"), "spec.flow")
        if "trainingProject" in spec:
            out["trainingProject"] = _string(
                spec.get("trainingProject"), "spec.trainingProject", required=False
            )
        if "killedAt" in spec:
            if not partial:
                raise BodyError("spec.killedAt", "can only be set with PATCH (runs.kill)")
            out["killedAt"] = _integer(spec.get("killedAt"), "spec.killedAt", required=False, minimum=0)
        return out

    return check


def flow_patch_spec(spec: Any) -> JSON:
    _object(spec, "spec")
    _reject_unknown(spec, ("name", "schema", "tolerations", "settings", "blocks", "trainingProject"))
    return dict(spec)


def training_project_spec(partial: bool) -> Any:
    def check(spec: Any) -> JSON:
        _object(spec, "spec")
        _reject_unknown(spec, ("name", "description", "type"))
        out: JSON = {}
        if "name" in spec or not partial:
            out["name"] = _string(spec.get("name"), "spec.name")
        if "description" in spec:
            out["description"] = _string(
                spec.get("description"), "spec.description", required=False, empty=True
            )
        if "type" in spec:
            out["type"] = _string(spec.get("type"), "spec.type", required=False, empty=True) or ""
        return out

    return check


def dry_run_body(body: Mapping[str, Any]) -> JSON:
    _reject_unknown(body, ("trainingProjectId", "spec"))
    project_id = _string(body.get("trainingProjectId"), "trainingProjectId")
    spec = _object(body.get("spec"), "spec")
    assert spec is not None
    _reject_unknown(spec, ("name", "description", "type"))
    return {"id": project_id, "name": _string(spec.get("name"), "spec.name")}


def accelerators_body(body: Mapping[str, Any]) -> JSON:
    """FL10 (our design): `{"items": [{"trainingAcceleratorId", "configurations": [...]}],
    "flowRequirements"?: {...}}`; configurations are `{count, action: Allow|Deny|Warn, reason?}`."""
    _reject_unknown(body, ("items", "flowRequirements"))
    items = body.get("items")
    if items is None and body.get("flowRequirements") is None:
        raise BodyError("items", "is required (or give flowRequirements)")
    out: JSON = {"accelerators": {}, "requirements": None}
    for index, item in enumerate(items or []):
        where = f"items[{index}]"
        _object(item, where)
        _reject_unknown(item, ("trainingAcceleratorId", "configurations"))
        name = _string(item.get("trainingAcceleratorId"), where + ".trainingAcceleratorId")
        configurations = item.get("configurations")
        if not isinstance(configurations, list) or not configurations:
            raise BodyError(where + ".configurations", "must be a non-empty array")
        normalised = []
        for j, config in enumerate(configurations):
            cw = f"{where}.configurations[{j}]"
            _object(config, cw)
            _reject_unknown(config, ("count", "action", "reason"))
            entry: JSON = {
                "count": _integer(config.get("count"), cw + ".count", minimum=1),
                "action": _choice(config.get("action"), cw + ".action", ACCELERATOR_ACTIONS),
            }
            reason = _string(config.get("reason"), cw + ".reason", required=False, empty=True)
            if reason is not None:
                entry["reason"] = reason
            normalised.append(entry)
        out["accelerators"][name] = normalised
    requirements = body.get("flowRequirements")
    if requirements is not None:
        _object(requirements, "flowRequirements")
        _reject_unknown(
            requirements,
            (
                "acceleratorLabels",
                "minimumSingleUnitResources",
                "minimumTotalResources",
                "equallyUnitShardableQuantities",
            ),
        )
        out["requirements"] = dict(requirements)
    return out


# -- peripheral -------------------------------------------------------------------------------------


def folder_put(body: Mapping[str, Any]) -> str:
    _reject_unknown(body, ("owner",))
    owner = _string(body.get("owner"), "owner")
    assert owner is not None
    return owner


def doc_body(body: Mapping[str, Any], partial: bool, extra: Iterable[str] = ()) -> JSON:
    """Free-form peripheral documents (our design): `{name, description?, spec?, metadata?}`.

    `name` is required on PUT; `spec` is any object; `extra` names resource-specific fields.
    """
    extra = tuple(extra)
    _reject_unknown(body, ("name", "description", "spec", "metadata") + extra)
    if not partial and not body:
        raise BodyError("name", "is required")
    out: JSON = {}
    if "name" in body or not partial:
        out["name"] = _string(body.get("name"), "name")
    if "description" in body:
        out["description"] = _string(body.get("description"), "description", required=False, empty=True)
    if "spec" in body:
        out["spec"] = dict(_object(body.get("spec"), "spec", required=False) or {})
    for key in extra:
        if key in body:
            out[key] = body[key]
    attributes = attributes_of(body)
    if attributes is not None:
        out["attributes"] = attributes
    return out


def intelliscribe_body(body: Mapping[str, Any]) -> JSON:
    """I1 (our design): `{"assetIds": [..1–50 ids..], "prompt"?: str, "maxLength"?: int}`."""
    _reject_unknown(body, ("assetIds", "prompt", "maxLength"))
    ids = body.get("assetIds")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, str) and i for i in ids)
        or len(ids) > 50
    ):
        raise BodyError("assetIds", "must be an array of 1 to 50 asset ids")
    prompt = _string(body.get("prompt"), "prompt", required=False, empty=True)
    max_length = _integer(body.get("maxLength"), "maxLength", required=False, minimum=1)
    return {"asset_ids": list(ids), "prompt": prompt, "max_length": max_length}
