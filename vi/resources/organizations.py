"""Organizations (PROTOCOL §7.1): the wire calls them workspaces; the client has exactly one."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional

from marshmallow import fields

from ..models import IdField, Model, ModelSchema, strip_org_prefix
from ..pagination import Page
from ._base import Resource, check_id
from .common import (
    PaginationArg,
    PaginationParams,
    StrictBool,
    StrictInt,
    User,
    flat_update_body,
    nested,
    optional_paging,
    strip_user_datasets,
    user_map,
)

__all__ = [
    "Organization",
    "OrganizationBilling",
    "OrganizationMetadata",
    "OrganizationLockStatus",
    "Organizations",
]


class OrganizationBilling(Model):
    _repr_fields = ("tier", "payer")

    payer: str
    email: str
    subscriber_id: str
    ledger: List[Any]
    tier: str


class OrganizationBillingSchema(ModelSchema):
    __model__ = OrganizationBilling

    payer = fields.String(data_key="payer", required=True)
    email = fields.String(data_key="email", required=True)
    subscriber_id = fields.String(data_key="subscriberId", required=True)
    ledger = fields.List(fields.Raw(), data_key="ledger", required=True)
    tier = fields.String(data_key="tier", required=True)


class OrganizationMetadata(Model):
    _repr_fields = ("create_date", "is_public")

    create_date: Optional[int]
    is_public: Optional[bool]
    account_manager: Optional[str]
    sales_engineer: Optional[str]


class OrganizationMetadataSchema(ModelSchema):
    __model__ = OrganizationMetadata

    create_date = StrictInt(data_key="createDate", load_default=None, allow_none=True)
    is_public = StrictBool(data_key="isPublic", load_default=None, allow_none=True)
    account_manager = fields.String(data_key="accountManager", load_default=None, allow_none=True)
    sales_engineer = fields.String(data_key="salesEngineer", load_default=None, allow_none=True)


class OrganizationLockStatus(Model):
    _repr_fields = ("is_locked", "lock_date")

    is_locked: bool
    lock_date: Optional[int]


class OrganizationLockStatusSchema(ModelSchema):
    __model__ = OrganizationLockStatus

    is_locked = StrictBool(data_key="isLocked", required=True)
    # The official client names this attribute ``lockDate``; snake_case keeps it consistent.
    lock_date = StrictInt(data_key="lockDate", load_default=None, allow_none=True)


class Organization(Model):
    _repr_fields = ("organization_id", "name")

    name: str
    kind: str
    organization_id: str
    last_access: int
    datasets: List[str]
    billing: OrganizationBilling
    users: Dict[str, User]
    metadata: OrganizationMetadata
    features: Dict[str, Any]
    lock_status: OrganizationLockStatus
    self_link: str
    etag: str

    def _after_load(self) -> None:
        # Dataset ids arrive composite; callers use (and compare against) the short form.
        self.datasets = [strip_org_prefix(self.organization_id, d) for d in self.datasets]
        strip_user_datasets(self.organization_id, self.users)


class OrganizationSchema(ModelSchema):
    __model__ = Organization

    name = fields.String(data_key="name", required=True)
    kind = fields.String(data_key="kind", required=True)
    organization_id = IdField("workspaceId")
    last_access = StrictInt(data_key="lastAccess", required=True)
    datasets = fields.List(fields.String(), data_key="datasets", required=True)
    billing = nested(OrganizationBillingSchema(), data_key="billing", required=True)
    users = user_map(data_key="users", required=True)
    metadata = nested(OrganizationMetadataSchema(), data_key="metadata", required=True)
    features = fields.Dict(keys=fields.String(), data_key="features", required=True)
    lock_status = nested(OrganizationLockStatusSchema(), data_key="lockStatus", required=True)
    self_link = fields.String(data_key="selfLink", required=True)
    etag = fields.String(data_key="etag", required=True)


_ORGANIZATION = OrganizationSchema()


class Organizations(Resource):
    """``client.organizations``: the configured organization, and the ones the key can see."""

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Organization]:
        """Organizations visible to the secret key (O1); the only call not under ``/workspaces/{org}``."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            "/workspaces",
            _ORGANIZATION,
            "organization",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def get(self) -> Organization:
        """The client's own organization (O2): the id comes from the configuration, not an argument."""
        return self._get_one(self._ws(), _ORGANIZATION, "organization")  # type: ignore[no-any-return]

    def update(
        self,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Organization:
        """Patch the organization (O3).

        The body is flat, as the gateway expects: ``spec`` keys go at the top level and
        ``metadata`` becomes ``{"metadata": {"attributes": …}}``. Both ``None`` is refused before
        any request, since an empty PATCH can only be a mistake."""
        body = flat_update_body(spec, metadata)
        return self._get_one(  # type: ignore[no-any-return]
            self._ws(), _ORGANIZATION, "organization", method="PATCH", json=body
        )

    def list_collaborators(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """The organization's collaborators (O4), dict items. Unlike the official client, which
        returns a raw first page, the page walks to the end; ``s`` is sent only when given."""
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list(self._ws("collaborators"), None, "collaborator", page_size=size, page_token=token)

    def remove_collaborator(self, user_id: str) -> bool:
        """Remove a member (O5); ``True`` once the service accepted it (its body is ignored)."""
        self._call_ignoring_body("DELETE", self._ws("collaborators", check_id("user_id", user_id)))
        return True

    def get_quota(self) -> Dict[str, Any]:
        """The organization's quota (O6), as the service sends it."""
        return self._get_dict(self._ws("quota"), "quota")

    def __iter__(self) -> Iterator[Organization]:
        return self.list().all_items()
