"""Documents: the typed objects the API returns, each declared once.

A document is a :class:`Document` subclass whose class attributes are fields from
:mod:`vi.fields`, each with its Python type as the annotation::

    from typing import Optional

    from vi import fields as f
    from vi.documents import Document

    class Asset(Document, kind="Asset"):      # kind: the ``kind`` the wire must carry, if any
        _repr_fields = ("asset_id", "filename")  # what ``repr`` shows

        asset_id: str = f.identifier()           # required, non-empty; wire name ``assetId``
        organization_id: str = f.identifier(data_key="workspaceId")  # wire name given
        filename: str = f.string()               # required
        width: Optional[int] = f.integer(optional=True)  # may be missing or null -> None

        def _after_load(self) -> None:           # optional: runs after every load
            ...

The wire name of a field is the camelCase of the attribute unless ``data_key=`` says otherwise.
Creating the class builds its marshmallow schema once (``Asset.wire_schema()``), so there is one
place where a wire field, its Python name, its type and whether it is required are written down.
Loading goes through :func:`decode`/:func:`decode_many`: a generated fast path for well-formed
documents, and marshmallow (the validator, and the author of every error message) otherwise.

Leniency is deliberate and local: unknown fields are ignored by the schema but kept on
``Document.raw`` (the server may grow), enum-like fields are plain strings (new values survive),
while required ids are checked (a response without them is broken, not new).
"""

from __future__ import annotations

from typing import (
    Any,
    ClassVar,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    overload,
)

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validates_schema

from ._fastload import Bail, fast_loader
from .errors import ViResponseError

__all__ = [
    "Document",
    "DocumentSchema",
    "decode",
    "decode_many",
    "strip_org_prefix",
    "json_type",
    "camel_case",
]

D = TypeVar("D", bound="Document")


def camel_case(name: str) -> str:
    """``self_link`` -> ``selfLink``: the wire name of an attribute unless a field gives one."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Document:
    """A decoded document: real attributes, equality by value, a short repr, no hidden I/O."""

    #: attribute names, in declaration order (from the declared fields)
    _fields: ClassVar[Tuple[str, ...]] = ()
    #: the attributes shown by ``repr`` (ids and names, not whole documents)
    _repr_fields: ClassVar[Tuple[str, ...]] = ()
    #: the declared marshmallow fields by attribute name (inherited ones included)
    _declared: ClassVar[Dict[str, fields.Field]] = {}
    _schema: ClassVar[Optional["DocumentSchema"]] = None

    raw: Dict[str, Any]

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {name: value for name, value in cls.__dict__.items() if isinstance(value, fields.Field)}
        declared: Dict[str, fields.Field] = dict(cls._declared)
        if not own and not declared:
            return  # a document built by hand (its own ``_fields``), never decoded
        for name, field in own.items():
            delattr(cls, name)  # instances carry the values; the field lives in the schema
            if field.data_key is None:
                field.data_key = camel_case(name)
            declared[name] = field
        cls._declared = declared
        cls._fields = tuple(declared)
        attrs: Dict[str, Any] = dict(declared)
        attrs.update(__model__=cls, __kind__=kind, __module__=cls.__module__)
        base: type = _TaggedSchema if kind else DocumentSchema
        schema_class = type(cls.__name__ + "Schema", (base,), attrs)
        cls._schema = schema_class()

    @classmethod
    def wire_schema(cls) -> "DocumentSchema":
        """The marshmallow schema built from the declared fields (one instance per class)."""
        schema = cls._schema
        if schema is None or schema.__model__ is not cls:
            raise TypeError("%s declares no fields" % cls.__name__)
        return schema

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

    # Defining __eq__ without __hash__ makes instances unhashable: mutable values must not be.

    def __repr__(self) -> str:
        shown = self._repr_fields or self._fields[:3]
        inner = ", ".join("%s=%r" % (f, getattr(self, f, None)) for f in shown)
        return "%s(%s)" % (type(self).__name__, inner)

    def to_dict(self) -> Dict[str, Any]:
        """The attributes as plain Python values (nested documents converted too), under their
        Python names: for reading, not for sending back (see :meth:`to_wire`)."""
        return {f: _plain(getattr(self, f)) for f in self._fields}

    def to_wire(self) -> Dict[str, Any]:
        """The document as the service sent it: wire (camelCase) names, every ``kind``
        discriminator (an annotation's ``Caption`` or ``PhraseGroundingBoundingBox``), fields
        this version does not know. It is what a write call takes back, e.g.
        ``client.annotations.replace(ds, asset, ann_id, ann.to_wire())``. A copy of
        :attr:`raw`: changing attributes does not change it (edit the dict instead), and a
        document built by hand, not decoded, has an empty one."""
        import copy

        return copy.deepcopy(self.raw)


def _plain(value: Any) -> Any:
    if isinstance(value, Document):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class DocumentSchema(Schema):
    """Base of the generated schemas: ignore unknown wire fields, build ``__model__`` with the
    original dict as ``raw``."""

    __model__: ClassVar[Optional[Type[Document]]] = None
    __kind__: ClassVar[str] = ""

    class Meta:
        unknown = EXCLUDE
        # declaration order on marshmallow 3 too (4 always keeps it): fields, errors and the
        # generated loaders then walk a document in the same order on every supported version
        ordered = True

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


class _TaggedSchema(DocumentSchema):
    """A schema whose optional ``kind`` must equal ``__kind__`` when present: a ``Dataset``
    endpoint answering with some other document is a broken response, not growth."""

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_kind(self, data: Any, original: Any, **kwargs: Any) -> None:
        if not self.__kind__ or not isinstance(original, dict) or "kind" not in original:
            return
        kind = original["kind"]
        if kind != self.__kind__:
            raise ValidationError("Must be %r, got %r." % (self.__kind__, kind), "kind")


def strip_org_prefix(organization_id: Optional[str], dataset_id: Any) -> Any:
    """Composite ``{org}_{dsid}`` → ``dsid`` by removing the known prefix.

    The official client splits on the last ``_`` and so corrupts short ids that contain one;
    removing the exact organization prefix cannot."""
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


Loadable = Union[Type[D], Schema]


def _schema_of(target: "Loadable[Any]") -> Schema:
    return target if isinstance(target, Schema) else target.wire_schema()


@overload
def decode(target: Type[D], data: Any, what: str) -> D: ...


@overload
def decode(target: Schema, data: Any, what: str) -> Any: ...


def decode(target: "Loadable[Any]", data: Any, what: str) -> Any:
    """Load one document (a :class:`Document` class, or any schema); any mismatch becomes a
    :class:`ViResponseError` naming the field path."""
    schema = _schema_of(target)
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


@overload
def decode_many(target: Type[D], items: Any, what: str) -> List[D]: ...


@overload
def decode_many(target: Schema, items: Any, what: str) -> List[Any]: ...


def decode_many(target: "Loadable[Any]", items: Any, what: str) -> List[Any]:
    """Load a list of documents (one schema call, not one per item)."""
    schema = _schema_of(target)
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
