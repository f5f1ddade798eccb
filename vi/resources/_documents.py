"""Shared behaviour of the workspace collections of ``{spec, metadata, status}`` documents that
the client creates with a PUT to a client-chosen id: runs, flows and training projects. Each resource declares its collection, id name and schema; the
calls themselves are written once here."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Dict, Generic, Mapping, Optional, Type, TypeVar

from ..checks import check_id, check_optional_id
from ..documents import Document
from ..pagination import Page, PaginationArg, PaginationParams
from ._base import DeletedResource, Resource
from .bodies import metadata_body, nested_update_body

__all__ = ["DocumentResource", "new_id"]

D = TypeVar("D", bound=Document)


def new_id(name: str, value: Optional[str]) -> str:
    """The caller's id (checked) or a fresh UUID4. A PUT to a client-chosen id is what makes a
    create safe to retry: pass the same id again and the service sees the same document."""
    return check_optional_id(name, value) or str(uuid.uuid4())


class DocumentResource(Resource, Generic[D]):
    """A collection of documents of type ``D`` (``_document``) under ``/workspaces/{org}``."""

    _collection: ClassVar[str] = ""
    _simple_collection: ClassVar[str] = ""
    _id_name: ClassVar[str] = "id"
    _document: Type[D]
    _what: ClassVar[str] = "document"

    def _doc_path(self, doc_id: Any, *rest: str) -> str:
        return self._ws(self._collection, check_id(self._id_name, doc_id), *rest)

    def _list_docs(
        self, pagination: PaginationArg, page_size: Optional[int], page_token: Optional[str]
    ) -> Page[D]:
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws(self._collection),
            self._document,
            self._what,
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def _list_simple_docs(
        self, pagination: PaginationArg, page_size: Optional[int], page_token: Optional[str]
    ) -> Page[Dict[str, Any]]:
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            self._ws(self._simple_collection),
            None,
            "simple " + self._what,
            page_size=paging.page_size,
            page_token=paging.page_token,
        )

    def _get_doc(self, doc_id: Any) -> D:
        return self._get_one(self._doc_path(doc_id), self._document, self._what)

    def _put_doc(self, path: str, spec: Dict[str, Any], metadata: Optional[Mapping[str, str]]) -> D:
        """PUT ``{"spec": …, "metadata"?: {"attributes": …}}`` (create or replace)."""
        body: Dict[str, Any] = {"spec": spec}
        meta = metadata_body(metadata)
        if meta is not None:
            body["metadata"] = meta
        return self._get_one(path, self._document, self._what, method="PUT", json=body)

    def _patch_doc(self, doc_id: Any, spec: Any, metadata: Any, *, allow_none_values: bool = False) -> D:
        path = self._doc_path(doc_id)
        body = nested_update_body(spec, metadata, allow_none_values=allow_none_values)
        return self._get_one(path, self._document, self._what, method="PATCH", json=body)

    def _delete_doc(self, doc_id: Any) -> DeletedResource:
        return self._delete(self._doc_path(doc_id), doc_id)
