"""Request-body checks for the write endpoints.

The server is deliberately strict (unknown top-level fields are rejected) so that a client bug such
as nesting a flat PATCH body under "spec" shows up as a 400 naming the field, not as a silent no-op.
Explicit nulls are accepted wherever the official SDK emits them.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional

__all__ = [
    "DATASET_CONTENTS",
    "DATASET_TYPES",
    "LOCALIZATIONS",
    "BodyError",
    "dataset_create",
    "dataset_update",
    "organization_update",
]

DATASET_TYPES = ("phrase-grounding", "vqa", "freeform")
DATASET_CONTENTS = ("Image",)
LOCALIZATIONS = ("Datature/Multi",)


class BodyError(ValueError):
    """Becomes a 400 `{"message": ...}`; the message always names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Invalid field '{field}': {problem}")
        self.field = field


def _reject_unknown(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key in body:
        if key not in allowed:
            raise BodyError(key, "unknown field (allowed: {})".format(", ".join(sorted(allowed))))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _name(body: Mapping[str, Any], required: bool) -> Optional[str]:
    if "name" not in body and not required:
        return None
    value = body.get("name")
    if not isinstance(value, str) or not value.strip():
        raise BodyError("name", "must be a non-empty string")
    return value


def _optional_string(body: Mapping[str, Any], field: str) -> Optional[str]:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise BodyError(field, "must be a string or null")
    return value


def _choice(body: Mapping[str, Any], field: str, choices: Iterable[str], default: str) -> str:
    value = body.get(field)
    if value is None:
        return default
    choices = tuple(choices)
    if value not in choices:
        raise BodyError(field, "must be one of {} (got {!r})".format(", ".join(choices), value))
    return value


def _attributes(body: Mapping[str, Any]) -> Optional[Dict[str, str]]:
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise BodyError("metadata", "must be an object or null")
    attributes = metadata.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
        raise BodyError("metadata.attributes", "must be an object of string values")
    return dict(attributes)


def _preference(body: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    value = body.get("preference")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, (bool, str)) for v in value.values()):
        raise BodyError("preference", "must be an object of boolean or string values")
    return dict(value)


def dataset_create(body: Mapping[str, Any]) -> Dict[str, Any]:
    _reject_unknown(
        body,
        (
            "name",
            "owner",
            "description",
            "type",
            "content",
            "localization",
            "dataLocalization",
            "status",
            "tags",
            "metadata",
        ),
    )
    fields: Dict[str, Any] = {"name": _name(body, required=True)}
    _optional_string(body, "owner")
    fields["description"] = _optional_string(body, "description")
    fields["type"] = _choice(body, "type", DATASET_TYPES, DATASET_TYPES[0])
    fields["content"] = _choice(body, "content", DATASET_CONTENTS, DATASET_CONTENTS[0])
    fields["localization"] = _choice(body, "localization", LOCALIZATIONS, LOCALIZATIONS[0])
    fields["data_localization"] = _choice(body, "dataLocalization", LOCALIZATIONS, LOCALIZATIONS[0])
    status = body.get("status")
    if status is not None and not _is_int(status):
        raise BodyError("status", "must be an integer or null")
    fields["status"] = status or 0
    tags = body.get("tags")
    if tags is not None and (not isinstance(tags, dict) or not all(_is_int(v) for v in tags.values())):
        raise BodyError("tags", "must be an object of integer values or null")
    fields["tags"] = dict(tags or {})
    fields["attributes"] = _attributes(body) or {}
    return fields


def dataset_update(body: Mapping[str, Any]) -> Dict[str, Any]:
    _reject_unknown(body, ("name", "description", "preference", "metadata"))
    changes: Dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(body, required=True)
    if "description" in body:
        changes["description"] = _optional_string(body, "description")
    if body.get("preference") is not None:
        changes["preference"] = _preference(body)
    attributes = _attributes(body)
    if attributes is not None:
        changes["attributes"] = attributes
    return changes


def organization_update(body: Mapping[str, Any]) -> Dict[str, Any]:
    _reject_unknown(body, ("name", "lastAccess", "preference", "metadata"))
    changes: Dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(body, required=True)
    if body.get("lastAccess") is not None:
        if not _is_int(body["lastAccess"]):
            raise BodyError("lastAccess", "must be an integer (epoch milliseconds)")
        changes["last_access"] = body["lastAccess"]
    if body.get("preference") is not None:
        changes["preference"] = _preference(body)
    attributes = _attributes(body)
    if attributes is not None:
        changes["attributes"] = attributes
    return changes
