"""Organizations: the wire calls them workspaces; the client has exactly one."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional

from marshmallow import fields

from .. import fields as f
from ..checks import check_id
from ..documents import Document, strip_org_prefix
from ..pagination import Page, PaginationArg, PaginationParams, optional_paging
from ._base import Resource
from .bodies import flat_update_body
from .embedded import User, strip_user_datasets, user_map

__all__ = [
    "Organization",
    "OrganizationBilling",
    "OrganizationMetadata",
    "OrganizationLockStatus",
    "Organizations",
]


class OrganizationBilling(Document):
    _repr_fields = ("tier", "payer")

    payer: str = f.string()
    email: str = f.string()
    subscriber_id: str = f.string()
    ledger: List[Any] = f.list_of(fields.Raw())
    tier: str = f.string()


class OrganizationMetadata(Document):
    _repr_fields = ("create_date", "is_public")

    create_date: Optional[int] = f.integer(optional=True)
    is_public: Optional[bool] = f.boolean(optional=True)
    account_manager: Optional[str] = f.string(optional=True)
    sales_engineer: Optional[str] = f.string(optional=True)


class OrganizationLockStatus(Document):
    _repr_fields = ("is_locked", "lock_date")

    is_locked: bool = f.boolean()
    lock_date: Optional[int] = f.integer(optional=True)


class Organization(Document):
    _repr_fields = ("organization_id", "name")

    name: str = f.string()
    kind: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    last_access: int = f.integer()
    datasets: List[str] = f.list_of(fields.String())
    billing: OrganizationBilling = f.nested(OrganizationBilling)
    users: Dict[str, User] = user_map()
    metadata: OrganizationMetadata = f.nested(OrganizationMetadata)
    features: Dict[str, Any] = f.dict_of()
    lock_status: OrganizationLockStatus = f.nested(OrganizationLockStatus)
    self_link: str = f.string()
    etag: str = f.string()

    def _after_load(self) -> None:
        # Dataset ids arrive composite; callers use (and compare against) the short form.
        self.datasets = [strip_org_prefix(self.organization_id, d) for d in self.datasets]
        strip_user_datasets(self.organization_id, self.users)


class Organizations(Resource):
    """``client.organizations``: the configured organization, and the ones the key can see."""

    def list(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Organization]:
        """Organizations visible to the secret key; the only call not under ``/workspaces/{org}``."""
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            "/workspaces",
            Organization,
            "organization",
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def get(self) -> Organization:
        """The client's own organization: the id comes from the configuration, not an argument."""
        return self._get_one(self._ws(), Organization, "organization")

    def update(
        self,
        spec: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Organization:
        """Patch the organization.

        The body is flat, as the gateway expects: ``spec`` keys go at the top level and
        ``metadata`` becomes ``{"metadata": {"attributes": …}}``. Both ``None`` is refused before
        any request, since an empty PATCH can only be a mistake."""
        body = flat_update_body(spec, metadata)
        return self._get_one(self._ws(), Organization, "organization", method="PATCH", json=body)

    def list_collaborators(
        self,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Dict[str, Any]]:
        """The organization's collaborators, dict items. Unlike the official client, which
        returns a raw first page, the page walks to the end; ``s`` is sent only when given."""
        size, token = optional_paging(pagination, page_size, page_token)
        return self._list(self._ws("collaborators"), None, "collaborator", page_size=size, page_token=token)

    def remove_collaborator(self, user_id: str) -> bool:
        """Remove a member; ``True`` once the service accepted it (its body is ignored)."""
        self._call_ignoring_body("DELETE", self._ws("collaborators", check_id("user_id", user_id)))
        return True

    def get_quota(self) -> Dict[str, Any]:
        """The organization's quota, as the service sends it."""
        return self._get_dict(self._ws("quota"), "quota")

    def __iter__(self) -> Iterator[Organization]:
        return self.list().all_items()
