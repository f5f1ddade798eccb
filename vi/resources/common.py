"""Pieces every resource module shares: strict scalar fields, the ``kind`` check, the nested
schemas that recur across resources (PROTOCOL §4), pagination arguments and argument checks.

The scalar fields are stricter than marshmallow's defaults on purpose: the protocol says an
integer field rejects ``1.0`` and a boolean field rejects ``"true"`` (PROTOCOL §3 rule 6), and a
body that breaks that is better reported with its field path than silently coerced.
"""
from __future__ import annotations

import enum
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple, Union

from marshmallow import Schema, ValidationError, fields, validates_schema

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
    datasets = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="datasets", required=True
    )


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
