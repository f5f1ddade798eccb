"""Request bodies built from a method's arguments: update bodies, ``metadata=`` attributes,
spec arguments and filters. Each checks its input before any I/O."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Type

from marshmallow import ValidationError

from ..checks import check_body, check_spec, check_str_dict
from ..documents import Document
from ..errors import ViInvalidParameterError, ViValidationError

__all__ = ["flat_update_body", "nested_update_body", "metadata_body", "dump_spec", "filter_text"]


def flat_update_body(spec: Any, metadata: Any) -> Dict[str, Any]:
    """The organization/dataset PATCH body: ``spec`` keys at the top level, ``metadata`` as
    ``{"metadata": {"attributes": …}}``."""
    if spec is None and metadata is None:
        raise ViValidationError(
            "Provide at least one of spec or metadata.",
            suggestion="Pass spec={...} with the fields to change, or metadata={...}.",
        )
    body: Dict[str, Any] = {}
    if spec is not None:
        body.update(check_spec("spec", spec))
    if metadata is not None:
        attributes = check_str_dict("metadata", metadata)
        if "metadata" in body:
            raise ViValidationError(
                "spec must not contain 'metadata' when metadata= is given",
                details={"parameter": "spec"},
            )
        body["metadata"] = {"attributes": attributes}
    return body


def metadata_body(metadata: Any, *, allow_none_values: bool = False) -> Optional[Dict[str, Any]]:
    """``{"attributes": {...}}`` from a ``metadata=`` dict of strings (or None)."""
    if metadata is None:
        return None
    if allow_none_values:
        if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in metadata.items()
        ):
            raise ViInvalidParameterError(
                "metadata", "metadata must map strings to strings or None, got %r" % (metadata,)
            )
        return {"attributes": dict(metadata)}
    return {"attributes": check_str_dict("metadata", metadata)}


def nested_update_body(spec: Any, metadata: Any, *, allow_none_values: bool = False) -> Dict[str, Any]:
    """The runs/flows/training-projects PATCH body: ``{"spec"?: …, "metadata"?: …}`` — nested,
    unlike the organization/dataset one. Both ``None`` is refused before any
    request: an empty PATCH can only be a mistake."""
    if spec is None and metadata is None:
        raise ViValidationError(
            "Provide at least one of spec or metadata.",
            suggestion="Pass spec={...} with the fields to change, or metadata={...}.",
        )
    body: Dict[str, Any] = {}
    if spec is not None:
        body["spec"] = check_body("spec", spec, allow_empty=True)
    meta = metadata_body(metadata, allow_none_values=allow_none_values)
    if meta is not None:
        body["metadata"] = meta
    return body


def dump_spec(name: str, spec: Any, model: Type[Document]) -> Dict[str, Any]:
    """A spec argument as the JSON the wire wants. A decoded model goes back as it arrived
    (``raw``, so fields this version does not know survive); a model built in Python is dumped
    through its schema; a dict is checked against the schema first (so a typo fails before any
    request, naming the field) and then forwarded verbatim."""
    schema = model.wire_schema()
    if isinstance(spec, model):
        raw = getattr(spec, "raw", None)
        if raw:
            return dict(raw)
        dumped: Dict[str, Any] = schema.dump(spec)
        return dumped
    if isinstance(spec, Mapping):
        body = check_body(name, spec)
        try:
            schema.load(body)
        except ValidationError as err:
            problems = "; ".join("%s: %s" % (k, v) for k, v in sorted(_flat_errors(err.messages)))
            raise ViInvalidParameterError(
                name, "%s is not a valid %s: %s" % (name, model.__name__, problems)
            ) from None
        return body
    raise ViInvalidParameterError(
        name, "%s must be a %s or a dict, got %s" % (name, model.__name__, type(spec).__name__)
    )


def _flat_errors(messages: Any, prefix: str = "") -> Any:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flat_errors(value, "%s.%s" % (prefix, key) if prefix else str(key))
    else:
        yield prefix or "<spec>", messages


def filter_text(filter_criteria: Any, name: str = "filter_criteria") -> Optional[str]:
    """A filter for a query string. Strings go as they are; a dict is sent as compact JSON text,
    not the Python ``repr`` the official client sends: JSON is what a
    gateway can parse (``true``/``null``, double quotes), and the bulk-delete body already
    carries dict filters as JSON. One rule for every filter parameter of every resource."""
    if filter_criteria is None:
        return None
    if isinstance(filter_criteria, str):
        return filter_criteria
    if isinstance(filter_criteria, Mapping):
        try:
            return json.dumps(dict(filter_criteria), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ViInvalidParameterError(
                name, "%s dict must be JSON-serialisable: %s" % (name, exc)
            ) from None
    raise ViInvalidParameterError(
        name, "%s must be a string or a dict, got %s" % (name, type(filter_criteria).__name__)
    )
