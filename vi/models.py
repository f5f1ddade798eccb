"""Decoded resources: marshmallow schemas are the single source of truth (DESIGN decision 6).

A resource module declares a :class:`Model` subclass and a :class:`ModelSchema` subclass whose
``__model__`` names it. Loading through the schema builds the model, so there is one place where
a wire field, its Python name, its type and whether it is required are written down.

Leniency is deliberate and local: unknown fields are ignored by the schema but kept on
``Model.raw`` (the server may grow), enum-like fields are plain strings (new values survive),
while required ids are checked (a response without them is broken, not new).
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Tuple, Type, TypeVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from ._fastload import Bail, fast_loader
from .errors import ViResponseError

__all__ = ["Model", "ModelSchema", "decode", "decode_many", "IdField", "strip_org_prefix"]

M = TypeVar("M", bound="Model")


class Model:
    """A decoded resource: real attributes, equality by value, a short repr, no hidden I/O."""

    #: attribute names, in declaration order; filled in from the schema on first load
    _fields: ClassVar[Tuple[str, ...]] = ()
    #: the attributes shown by ``repr`` (ids and names, not whole documents)
    _repr_fields: ClassVar[Tuple[str, ...]] = ()

    raw: Dict[str, Any]

    def __init__(self, raw: Optional[Mapping[str, Any]] = None, **values: Any) -> None:
        for name in self._fields:
            setattr(self, name, values.pop(name, None))
        if values:
            raise TypeError("%s got unexpected fields: %s" % (type(self).__name__, ", ".join(sorted(values))))
        self.raw = dict(raw) if raw is not None else {}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]  # mutable value objects are not hashable

    def __repr__(self) -> str:
        shown = self._repr_fields or self._fields[:3]
        inner = ", ".join("%s=%r" % (f, getattr(self, f, None)) for f in shown)
        return "%s(%s)" % (type(self).__name__, inner)

    def to_dict(self) -> Dict[str, Any]:
        """The attributes as plain Python values (nested models converted too)."""
        return {f: _plain(getattr(self, f)) for f in self._fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class ModelSchema(Schema):
    """Base schema: ignore unknown wire fields, build ``__model__`` with the original dict as
    ``raw``. Subclasses only declare fields (with ``data_key`` = wire name)."""

    __model__: ClassVar[Optional[Type[Model]]] = None

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model learns its attribute names from the schema, so they are written once.
        model = type(self).__model__
        if model is not None and not model.__dict__.get("_fields"):
            model._fields = tuple(self.declared_fields)

    @post_load(pass_original=True)
    def _make_model(self, data: Dict[str, Any], original: Any, **kwargs: Any) -> Any:
        model = self.__model__
        if model is None:
            return data
        values = {name: data.get(name) for name in model._fields}
        obj = model.__new__(model)
        for name, value in values.items():
            setattr(obj, name, value)
        obj.raw = original if isinstance(original, dict) else {}
        finish = getattr(obj, "_after_load", None)
        if finish is not None:
            finish()
        return obj


class IdField(fields.String):
    """A required, non-empty identifier: the one place decoding is strict on purpose."""

    def __init__(self, data_key: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        kwargs.setdefault("validate", validate.Length(min=1))
        super().__init__(data_key=data_key, **kwargs)


def strip_org_prefix(organization_id: Optional[str], dataset_id: Any) -> Any:
    """Composite ``{org}_{dsid}`` → ``dsid`` by removing the known prefix.

    The official client splits on the last ``_`` and so corrupts short ids that contain one
    (PROTOCOL §16.7); removing the exact organization prefix cannot."""
    if organization_id and isinstance(dataset_id, str):
        prefix = organization_id + "_"
        if dataset_id.startswith(prefix) and len(dataset_id) > len(prefix):
            return dataset_id[len(prefix) :]
    return dataset_id


def _flatten(messages: Any, prefix: str = "") -> Iterable[str]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = "%s.%s" % (prefix, key) if prefix else str(key)
            yield from _flatten(value, path)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield "%s: %s" % (prefix or "<body>", " ".join(messages))
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _flatten(value, "%s[%d]" % (prefix, index))
    else:
        yield "%s: %s" % (prefix or "<body>", messages)


def _response_error(what: str, err: ValidationError) -> ViResponseError:
    problems = sorted(_flatten(err.messages))
    shown = "; ".join(problems[:5]) + (" (and %d more)" % (len(problems) - 5) if len(problems) > 5 else "")
    return ViResponseError(
        "Malformed %s in response: %s" % (what, shown),
        details={"fields": problems},
    )


def decode(schema: Schema, data: Any, what: str) -> Any:
    """Load one object; any mismatch becomes a :class:`ViResponseError` naming the field path."""
    loader = fast_loader(schema)
    if loader is not None:
        try:
            return loader(data)
        except Bail:
            pass  # not provably valid: let marshmallow decide, and word the error
    if not isinstance(data, dict):
        raise ViResponseError(
            "Malformed %s in response: expected a JSON object, got %s" % (what, json_type(data))
        )
    try:
        return schema.load(data)
    except ValidationError as err:
        raise _response_error(what, err) from None


def decode_many(schema: Schema, items: Any, what: str) -> List[Any]:
    """Load a list of objects (one schema call, not one per item)."""
    loader = fast_loader(schema)
    if loader is not None and type(items) is list:
        try:
            return [loader(item) for item in items]
        except Bail:
            pass
    if not isinstance(items, list):
        raise ViResponseError(
            "Malformed %s list in response: expected a JSON array, got %s" % (what, json_type(items))
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ViResponseError(
                "Malformed %s in response: items[%d] is %s, not an object" % (what, index, json_type(item))
            )
    try:
        return schema.load(items, many=True)
    except ValidationError as err:
        messages = err.messages
        if isinstance(messages, dict):
            err = ValidationError({"items[%s]" % k: v for k, v in messages.items()})
        raise _response_error(what, err) from None


def json_type(value: Any) -> str:
    """How an error message names the JSON value it got instead of the one it wanted."""
    if value is None:
        return "null or an empty body"  # the requester reads an empty body as None too
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty body"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
