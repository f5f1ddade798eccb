"""Pieces every resource module shares: strict scalar fields, the ``kind`` check, the nested
schemas that recur across resources (PROTOCOL §4), pagination arguments and argument checks.

The scalar fields are stricter than marshmallow's defaults on purpose: the protocol says an
integer field rejects ``1.0`` and a boolean field rejects ``"true"`` (PROTOCOL §3 rule 6), and a
body that breaks that is better reported with its field path than silently coerced.
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple, Union

from marshmallow import Schema, ValidationError, fields, validates_schema

from .._fastload import Bail, fast_loader, register_scalar
from ..errors import ViInvalidParameterError, ViValidationError
from ..models import IdField, Model, ModelSchema, strip_org_prefix
from ..pagination import DEFAULT_PAGE_SIZE, check_page_size

__all__ = [
    "StrictInt",
    "StrictBool",
    "StrictNumber",
    "UserOrName",
    "TaggedUnion",
    "TaggedModelSchema",
    "ResourceMetadata",
    "ResourceMetadataSchema",
    "ResourceCondition",
    "ResourceConditionSchema",
    "User",
    "UserSchema",
    "Contents",
    "ContentsSchema",
    "PaginationParams",
    "PaginationArg",
    "IdField",
]


# -- scalar fields ---------------------------------------------------------------------------
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


# The fast loader (vi/_fastload.py) checks these by exact type; the property tests in
# tests/property/test_fastload.py hold each registration to the field's own _deserialize.
register_scalar(StrictInt, (int,))
register_scalar(StrictBool, (bool,))
register_scalar(StrictNumber, (int, float))


class TaggedUnion(fields.Field):
    """A union tagged by a mandatory ``kind`` (PROTOCOL §3 rule 7).

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


class TaggedModelSchema(ModelSchema):
    """A schema whose optional ``kind`` must equal ``__kind__`` when present (PROTOCOL §3 rule 7):
    a ``Dataset`` endpoint answering with some other document is a broken response, not growth."""

    __kind__: ClassVar[str] = ""

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_kind(self, data: Any, original: Any, **kwargs: Any) -> None:
        if not self.__kind__ or not isinstance(original, dict) or "kind" not in original:
            return
        kind = original["kind"]
        if kind != self.__kind__:
            raise ValidationError("Must be %r, got %r." % (self.__kind__, kind), "kind")


# -- shared nested models (PROTOCOL §4) ------------------------------------------------------
class ResourceMetadata(Model):
    """Creation/update times (epoch ms), generation and free-form string attributes."""

    _repr_fields = ("generation", "last_updated")

    time_created: int
    last_updated: int
    generation: int
    attributes: Dict[str, str]


class ResourceMetadataSchema(ModelSchema):
    __model__ = ResourceMetadata

    time_created = StrictInt(data_key="timeCreated", required=True)
    last_updated = StrictInt(data_key="lastUpdated", required=True)
    generation = StrictInt(data_key="generation", required=True)
    attributes = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="attributes", required=True
    )


class ResourceCondition(Model):
    """One step of an asynchronous workflow; ``condition`` names are open-ended."""

    _repr_fields = ("condition", "status")

    condition: str
    status: str
    last_transition_time: int
    reason: Optional[str]
    message: Optional[str]


class ResourceConditionSchema(ModelSchema):
    __model__ = ResourceCondition

    condition = fields.String(data_key="condition", required=True)
    status = fields.String(data_key="status", required=True)
    last_transition_time = StrictInt(data_key="lastTransitionTime", required=True)
    reason = fields.String(data_key="reason", load_default=None, allow_none=True)
    message = fields.String(data_key="message", load_default=None, allow_none=True)


class User(Model):
    """A member's role in an organization and their role per dataset (keys are dataset ids)."""

    _repr_fields = ("workspace_role",)

    workspace_role: str
    datasets: Dict[str, str]


class UserSchema(ModelSchema):
    __model__ = User

    workspace_role = fields.String(data_key="workspaceRole", required=True)
    datasets = fields.Dict(keys=fields.String(), values=fields.String(), data_key="datasets", required=True)


class Contents(Model):
    """A pre-signed storage URL. Its query string is a credential of sorts, so the repr shows
    only the expiry, never the URL."""

    _repr_fields = ("expiry",)

    url: str
    expiry: int
    headers: Optional[Dict[str, str]]
    method: Optional[str]


class ContentsSchema(ModelSchema):
    __model__ = Contents

    url = fields.String(data_key="url", required=True)
    expiry = StrictInt(data_key="expiry", required=True)
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="headers", load_default=None, allow_none=True
    )
    method = fields.String(data_key="method", load_default=None, allow_none=True)


_RESOURCE_METADATA = ResourceMetadataSchema()
_RESOURCE_CONDITION = ResourceConditionSchema()
_USER = UserSchema()


class UserOrName(fields.Field):
    """``Dataset.users`` values: a full :class:`User` object or a bare string."""

    default_error_messages = {"invalid": "Not a User object or a string."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            loader = fast_loader(_USER)
            if loader is not None:
                try:
                    return loader(value)
                except Bail:
                    pass  # marshmallow words the error
            return _USER.load(value)
        raise self.make_error("invalid")


def strip_user_datasets(organization_id: Optional[str], users: Any) -> None:
    """Shorten the composite dataset ids used as keys of ``User.datasets`` (PROTOCOL §2.2).

    Done by the enclosing document, because only it knows the organization id."""
    if not isinstance(users, dict):
        return
    for user in users.values():
        if isinstance(user, User) and isinstance(user.datasets, dict):
            user.datasets = {
                strip_org_prefix(organization_id, key): value for key, value in user.datasets.items()
            }


# -- pagination arguments --------------------------------------------------------------------
class PaginationParams:
    """Where a listing starts and how big its pages are (PROTOCOL §5.2).

    Kept for code written against the official client, which passes ``pagination=``; values
    are checked on construction so a bad page size fails before any request is made."""

    __slots__ = ("page_token", "page_size")

    def __init__(self, page_token: Optional[str] = None, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_token is not None and not (isinstance(page_token, str) and page_token):
            raise ViInvalidParameterError(
                "page_token", "page_token must be a non-empty string or None, got %r" % (page_token,)
            )
        self.page_token = page_token
        self.page_size = check_page_size(page_size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PaginationParams):
            return NotImplemented
        return (self.page_token, self.page_size) == (other.page_token, other.page_size)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "PaginationParams(page_token=%r, page_size=%r)" % (self.page_token, self.page_size)

    @classmethod
    def coerce(
        cls,
        pagination: "PaginationArg" = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> "PaginationParams":
        """One ``PaginationParams`` from ``pagination=`` (object or dict) or the keywords.

        Mixing both is refused: silently preferring one would hide a caller's mistake."""
        if pagination is not None and (page_size is not None or page_token is not None):
            raise ViInvalidParameterError(
                "pagination", "Pass either pagination= or page_size=/page_token=, not both"
            )
        if pagination is None:
            return cls(
                page_token=page_token,
                page_size=DEFAULT_PAGE_SIZE if page_size is None else page_size,
            )
        if isinstance(pagination, PaginationParams):
            return pagination
        if isinstance(pagination, Mapping):
            unknown = sorted(str(k) for k in pagination if k not in ("page_token", "page_size"))
            if unknown:
                raise ViInvalidParameterError(
                    "pagination",
                    "pagination accepts only the keys 'page_token' and 'page_size', got %s"
                    % ", ".join(repr(k) for k in unknown),
                )
            return cls(
                page_token=pagination.get("page_token"),
                page_size=pagination.get("page_size", DEFAULT_PAGE_SIZE),
            )
        raise ViInvalidParameterError(
            "pagination",
            "pagination must be a PaginationParams or a dict, got %s" % type(pagination).__name__,
        )


PaginationArg = Union[PaginationParams, Mapping[str, Any], None]


# -- argument checks (all before any I/O) -----------------------------------------------------
def check_str(name: str, value: Any, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise ViInvalidParameterError(name, "%s must be a string, got %s" % (name, type(value).__name__))
    if not allow_empty and not value.strip():
        raise ViValidationError("%s must not be empty" % name, details={"parameter": name})
    return value


def check_optional_str(name: str, value: Any) -> Optional[str]:
    return None if value is None else check_str(name, value)


def check_optional_bool(name: str, value: Any) -> Optional[bool]:
    """Booleans only: ``contents="no"`` would otherwise be truthy and send ``y``."""
    if value is not None and not isinstance(value, bool):
        raise ViInvalidParameterError(
            name, "%s must be True, False or None, got %s" % (name, type(value).__name__)
        )
    return value


def check_choice(name: str, value: Any, choices: Tuple[str, ...]) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if not isinstance(value, str) or value not in choices:
        raise ViInvalidParameterError(
            name, "%s must be one of %s, got %r" % (name, ", ".join(choices), value)
        )
    return value


def check_str_dict(name: str, value: Any) -> Dict[str, str]:
    if not isinstance(value, Mapping):
        raise ViInvalidParameterError(
            name, "%s must be a dict of strings, got %s" % (name, type(value).__name__)
        )
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise ViInvalidParameterError(
                name, "%s must map strings to strings; %r: %r is not" % (name, key, item)
            )
    return dict(value)


def check_spec(name: str, value: Any) -> Dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ViInvalidParameterError(name, "%s must be a dict, got %s" % (name, type(value).__name__))
    for key in value:
        if not isinstance(key, str):
            raise ViInvalidParameterError(name, "%s keys must be strings, got %r" % (name, key))
    return dict(value)


def flat_update_body(spec: Any, metadata: Any) -> Dict[str, Any]:
    """The organization/dataset PATCH body: ``spec`` keys at the top level, ``metadata`` as
    ``{"metadata": {"attributes": …}}`` (PROTOCOL §7.1 O3, §7.2 D5)."""
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


def nested(schema: Schema, **kwargs: Any) -> fields.Nested:
    """A nested field over a shared, already-built schema instance.

    Instances (not classes) so that every model learns its attribute names at import time, and
    ``Model(**values)`` / equality work before the first response is decoded."""
    return fields.Nested(schema, **kwargs)


def nested_list(schema: Schema, **kwargs: Any) -> fields.List:
    return fields.List(fields.Nested(schema), **kwargs)


def condition_list(**kwargs: Any) -> fields.List:
    return nested_list(_RESOURCE_CONDITION, **kwargs)


def resource_metadata(**kwargs: Any) -> fields.Nested:
    return nested(_RESOURCE_METADATA, **kwargs)


def user_map(**kwargs: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Nested(_USER), **kwargs)


def check_optional_int(name: str, value: Any, *, minimum: Optional[int] = None) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ViInvalidParameterError(name, "%s must be an integer, got %s" % (name, type(value).__name__))
    if minimum is not None and value < minimum:
        raise ViInvalidParameterError(name, "%s must be at least %d, got %d" % (name, minimum, value))
    return value


def check_number(name: str, value: Any, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ViInvalidParameterError(name, "%s must be a number, got %r" % (name, value))
    if not low <= value <= high:
        raise ViInvalidParameterError(name, "%s must be between %g and %g, got %g" % (name, low, high, value))
    return value


def check_body(name: str, value: Any, *, allow_empty: bool = False) -> Dict[str, Any]:
    """A caller-supplied JSON body (forwarded verbatim): a dict with string keys that JSON can
    encode; empty only where the protocol allows it."""
    body = check_spec(name, value)
    if not allow_empty and not body:
        raise ViValidationError("%s must not be empty" % name, details={"parameter": name})
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ViInvalidParameterError(name, "%s must be JSON-serialisable: %s" % (name, exc)) from None
    return body


def filter_text(filter_criteria: Any, name: str = "filter_criteria") -> Optional[str]:
    """A filter for a query string. Strings go as they are; a dict is sent as compact JSON text,
    not the Python ``repr`` the official client sends (PROTOCOL §2.5, §16.11): JSON is what a
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


def check_page_args(page_size: Any, page: Any) -> Tuple[Optional[int], Optional[str]]:
    """The ``page_size=``/``page=`` pair of the official client's untyped listings: both
    optional (``s``/``p`` are sent only when given); ``page`` is a page token."""
    if page_size is not None:
        check_page_size(page_size)
    if page is not None and not (isinstance(page, str) and page):
        raise ViInvalidParameterError("page", "page must be a non-empty page token or None, got %r" % (page,))
    return page_size, page


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
    unlike the organization/dataset one (PROTOCOL §16.22). Both ``None`` is refused before any
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


def dump_spec(name: str, spec: Any, schema: Schema, model: type) -> Dict[str, Any]:
    """A spec argument as the JSON the wire wants. A decoded model goes back as it arrived
    (``raw``, so fields this version does not know survive); a model built in Python is dumped
    through its schema; a dict is checked against the schema first (so a typo fails before any
    request, naming the field) and then forwarded verbatim."""
    if isinstance(spec, model):
        raw = getattr(spec, "raw", None)
        if raw:
            return dict(raw)
        return schema.dump(spec)  # type: ignore[no-any-return]
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


def optional_paging(
    pagination: PaginationArg, page_size: Optional[int], page_token: Optional[str]
) -> Tuple[Optional[int], Optional[str]]:
    """Paging for endpoints whose official method sends no ``s``: only what the caller gave,
    from ``pagination=`` or the keywords."""
    if pagination is None:
        return check_page_args(page_size, page_token)
    paging = PaginationParams.coerce(pagination, page_size, page_token)
    return paging.page_size, paging.page_token
