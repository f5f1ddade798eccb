"""Field constructors for declaring a :class:`vi.documents.Document`.

Each constructor returns a marshmallow field, typed as ``Any`` so that the annotation on the
attribute is what a type checker sees::

    name: str = f.string()                            # required
    width: Optional[int] = f.integer(optional=True)   # missing or null -> None
    tasks: List[Any] = f.list_of(f.raw(), default=list)
    spec: DatasetSpec = f.nested(DatasetSpec)         # another document

Every constructor takes the same options:

* ``data_key``: the wire name, when it is not the camelCase of the attribute name;
* ``optional=True``: the key may be missing or null, and then the attribute is ``None``;
* ``default=``: the value (or a callable making it) used when the key is missing;
* ``nullable=True``: the key is required but may be null.

The scalar fields are stricter than marshmallow's defaults on purpose: an integer field rejects
``1.0`` and a boolean field rejects ``"true"``, and a body that breaks that is better reported
with its field path than silently coerced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Type, Union

from marshmallow import Schema, ValidationError, fields, validate

from ._fastload import register_scalar

if TYPE_CHECKING:  # pragma: no cover
    from .documents import Document

__all__ = [
    "StrictInt",
    "StrictBool",
    "StrictNumber",
    "IdField",
    "TaggedUnion",
    "string",
    "integer",
    "boolean",
    "number",
    "identifier",
    "raw",
    "nested",
    "nested_list",
    "list_of",
    "dict_of",
    "str_dict",
    "union",
    "custom",
]

_MISSING = object()


# -- field classes ---------------------------------------------------------------------------
class StrictInt(fields.Integer):
    """A JSON integer: floats (even ``1.0``), strings and booleans are rejected."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictBool(fields.Boolean):
    """A JSON boolean: ``"true"``, ``1`` and friends are rejected rather than guessed at."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictNumber(fields.Float):
    """A JSON number, kept as sent (``1`` stays an int): strings and booleans are rejected."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return value


# The fast loader (vi/_fastload.py) checks these by exact type; the property tests hold each
# registration to the field's own _deserialize.
register_scalar(StrictInt, (int,))
register_scalar(StrictBool, (bool,))
register_scalar(StrictNumber, (int, float))


class IdField(fields.String):
    """A required, non-empty identifier: the one place decoding is strict on purpose."""

    def __init__(self, data_key: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        kwargs.setdefault("validate", validate.Length(min=1))
        super().__init__(data_key=data_key, **kwargs)


class TaggedUnion(fields.Field):
    """A union tagged by a mandatory ``kind``.

    Known kinds load through their schema; an unknown kind is kept as a plain ``dict`` because
    the server may add new variants, and failing a whole listing over one would be worse."""

    default_error_messages = {"invalid": "Not a valid object."}

    def __init__(self, choices: Mapping[str, Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        kind = value.get("kind")
        if kind is None:
            raise ValidationError({"kind": ["Missing data for required field."]})
        if not isinstance(kind, str):
            raise ValidationError({"kind": ["Not a valid string."]})
        schema = self.choices.get(kind)
        if schema is None:
            return dict(value)
        return schema.load(value)


# -- declaration helpers ---------------------------------------------------------------------
# Every helper takes ``data_key`` and the options of the module docstring (``optional``,
# ``default``, ``nullable``); any other keyword goes to the marshmallow field as it is.
def _declare(cls: Any, data_key: Optional[str], options: Dict[str, Any], *args: Any) -> Any:
    optional = options.pop("optional", False)
    default = options.pop("default", _MISSING)
    nullable = options.pop("nullable", False)
    if data_key is not None:
        options["data_key"] = data_key
    if optional:
        options["load_default"] = None if default is _MISSING else default
        options["allow_none"] = True
    elif default is not _MISSING:
        options["load_default"] = default
    else:
        options["required"] = True
    if nullable:
        options["allow_none"] = True
    return cls(*args, **options)


def string(data_key: Optional[str] = None, **options: Any) -> Any:
    """A JSON string."""
    return _declare(fields.String, data_key, options)


def integer(data_key: Optional[str] = None, **options: Any) -> Any:
    """A JSON integer (:class:`StrictInt`)."""
    return _declare(StrictInt, data_key, options)


def boolean(data_key: Optional[str] = None, **options: Any) -> Any:
    """A JSON boolean (:class:`StrictBool`)."""
    return _declare(StrictBool, data_key, options)


def number(data_key: Optional[str] = None, **options: Any) -> Any:
    """A JSON number, int or float as sent (:class:`StrictNumber`)."""
    return _declare(StrictNumber, data_key, options)


def identifier(data_key: Optional[str] = None, **extra: Any) -> Any:
    """A required, non-empty id (:class:`IdField`)."""
    return IdField(data_key, **extra)


def raw(data_key: Optional[str] = None, **options: Any) -> Any:
    """Any JSON value, kept as sent."""
    return _declare(fields.Raw, data_key, options)


DocumentOrSchema = Union["Type[Document]", Schema]


def _schema(document: DocumentOrSchema) -> Schema:
    return document if isinstance(document, Schema) else document.wire_schema()


def nested(document: DocumentOrSchema, data_key: Optional[str] = None, **options: Any) -> Any:
    """Another document (a :class:`~vi.documents.Document` class)."""
    return _declare(fields.Nested, data_key, options, _schema(document))


def nested_list(document: DocumentOrSchema, data_key: Optional[str] = None, **options: Any) -> Any:
    """A list of documents."""
    return _declare(fields.List, data_key, options, fields.Nested(_schema(document)))


def list_of(inner: Any, data_key: Optional[str] = None, **options: Any) -> Any:
    """A list whose items are ``inner`` (a marshmallow field such as ``fields.String()``)."""
    return _declare(fields.List, data_key, options, _item(inner))


def dict_of(values: Any = None, data_key: Optional[str] = None, **options: Any) -> Any:
    """An object with string keys; its values are ``values`` (a field) or anything."""
    options["keys"] = fields.String()
    if values is not None:
        options["values"] = _item(values)
    return _declare(fields.Dict, data_key, options)


def str_dict(data_key: Optional[str] = None, **options: Any) -> Any:
    """An object mapping strings to strings."""
    return dict_of(fields.String(), data_key, **options)


def union(choices: Mapping[str, DocumentOrSchema], data_key: Optional[str] = None, **options: Any) -> Any:
    """A :class:`TaggedUnion` of documents by their ``kind``."""
    schemas = {kind: _schema(document) for kind, document in choices.items()}
    return _declare(TaggedUnion, data_key, options, schemas)


def custom(field: fields.Field) -> Any:
    """Any other marshmallow field, declared as it is."""
    return field


def _item(inner: Any) -> fields.Field:
    """A list item or dict value: a marshmallow field instance (``fields.String()``) or class."""
    field = inner() if isinstance(inner, type) else inner
    if not isinstance(field, fields.Field):
        raise TypeError("expected a marshmallow field, got %r" % (inner,))
    return field
