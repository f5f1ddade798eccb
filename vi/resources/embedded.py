"""Documents that several families embed: metadata, workflow conditions, members, signed
contents; and the field helpers that declare them inside other documents."""

from __future__ import annotations

from typing import Any, Dict, Optional

from marshmallow import fields

from .. import fields as f
from .._fastload import Bail, fast_loader
from ..documents import Document, strip_org_prefix

__all__ = [
    "ResourceMetadata",
    "ResourceCondition",
    "User",
    "Contents",
    "UserOrName",
    "strip_user_datasets",
    "resource_metadata",
    "condition_list",
    "user_map",
]


class ResourceMetadata(Document):
    """Creation/update times (epoch ms), generation and free-form string attributes."""

    _repr_fields = ("generation", "last_updated")

    time_created: int = f.integer()
    last_updated: int = f.integer()
    generation: int = f.integer()
    attributes: Dict[str, str] = f.str_dict()


class ResourceCondition(Document):
    """One step of an asynchronous workflow; ``condition`` names are open-ended."""

    _repr_fields = ("condition", "status")

    condition: str = f.string()
    status: str = f.string()
    last_transition_time: int = f.integer()
    reason: Optional[str] = f.string(optional=True)
    message: Optional[str] = f.string(optional=True)


class User(Document):
    """A member's role in an organization and their role per dataset (keys are dataset ids)."""

    _repr_fields = ("workspace_role",)

    workspace_role: str = f.string()
    datasets: Dict[str, str] = f.str_dict()


class Contents(Document):
    """A pre-signed storage URL. Its query string is a credential of sorts, so the repr shows
    only the expiry, never the URL."""

    _repr_fields = ("expiry",)

    url: str = f.string()
    expiry: int = f.integer()
    headers: Optional[Dict[str, str]] = f.str_dict(optional=True)
    method: Optional[str] = f.string(optional=True)


class UserOrName(fields.Field):
    """``Dataset.users`` values: a full :class:`User` object or a bare string."""

    default_error_messages = {"invalid": "Not a User object or a string."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            schema = User.wire_schema()
            loader = fast_loader(schema)
            if loader is not None:
                try:
                    return loader(value)
                except Bail:
                    pass  # marshmallow words the error
            return schema.load(value)
        raise self.make_error("invalid")


def strip_user_datasets(organization_id: Optional[str], users: Any) -> None:
    """Shorten the composite dataset ids (``{org}_{id}``) used as keys of ``User.datasets``.

    Done by the enclosing document, because only it knows the organization id."""
    if not isinstance(users, dict):
        return
    for user in users.values():
        if isinstance(user, User) and isinstance(user.datasets, dict):
            user.datasets = {
                strip_org_prefix(organization_id, key): value for key, value in user.datasets.items()
            }


def resource_metadata(data_key: Optional[str] = None, **options: Any) -> Any:
    """A :class:`ResourceMetadata` field."""
    return f.nested(ResourceMetadata, data_key, **options)


def condition_list(data_key: Optional[str] = None, **options: Any) -> Any:
    """A list of :class:`ResourceCondition`."""
    return f.nested_list(ResourceCondition, data_key, **options)


def user_map(data_key: Optional[str] = None, **options: Any) -> Any:
    """Members by user id: ``{user_id: User}``."""
    return f.dict_of(fields.Nested(User.wire_schema()), data_key, **options)
