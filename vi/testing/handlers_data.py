"""HTTP handlers for the dataset-scoped data plane: organization extras, dataset exports, bulk
deletions, statistics, asset writes and queries, ingestion and multipart uploads, annotation writes
and import sessions.

Handlers parse the request (query, body via `bodies.py`) and call one store method; they never
touch records themselves. `(204, None)` means an empty 204 response.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from . import bodies
from .filters import AssetQuery
from .handlers_base import HandlerBase
from .store_assets import SORT_KEYS
from .validation import BodyError

__all__ = ["DATA_ROUTES", "DataHandlers"]

JSON = Dict[str, Any]
Result = Tuple[int, Any]

_DS = ("workspaces", "{org}", "datasets", "{ds}")
_SRC = _DS + ("assetSources", "{cls}", "{provider}", "{src}")

DATA_ROUTES: List[Tuple[Tuple[str, ...], Dict[str, str]]] = [
    (("workspaces", "{org}", "collaborators"), {"GET": "list_org_collaborators"}),
    (("workspaces", "{org}", "collaborators", "{user}"), {"DELETE": "remove_collaborator"}),
    (("workspaces", "{org}", "quota"), {"GET": "get_quota"}),
    (_DS + ("collaborators",), {"GET": "list_dataset_collaborators"}),
    (_DS + ("datasetExports",), {"GET": "list_exports", "POST": "create_export"}),
    (_DS + ("datasetExports", "{export}"), {"GET": "get_export"}),
    (_DS + ("aggregationStatistics",), {"GET": "get_dataset_statistics"}),
    (_DS + ("aggregationStatistics:generate",), {"POST": "generate_dataset_statistics"}),
    (_DS + ("deleteManyAssetsSessions",), {"GET": "list_bulk_deletions", "POST": "create_bulk_deletion"}),
    (_DS + ("deleteManyAssetsSessions", "{session}"), {"GET": "get_bulk_deletion"}),
    (_DS + ("assets:count",), {"GET": "count_assets"}),
    (_DS + ("assets", "{asset}", "name"), {"POST": "rename_asset"}),
    (_DS + ("assetFiles", "{filename*}", "name"), {"POST": "rename_asset_file"}),
    (_SRC + ("assetIngestionSessions",), {"GET": "list_ingestions", "POST": "create_ingestion"}),
    (_SRC + ("assetIngestionSessions", "{session}:cancel"), {"POST": "cancel_ingestion"}),
    (_SRC + ("assetIngestionSessions", "{session}"), {"GET": "get_ingestion"}),
    (_SRC + ("multipartUploads",), {"POST": "create_multipart"}),
    (_SRC + ("multipartUploads", "{mpu}"), {"DELETE": "abort_multipart"}),
    (_SRC + ("multipartUploads", "{mpu}", "completion"), {"POST": "complete_multipart"}),
    (_SRC + ("multipartUploads", "{mpu}", "parts", "{part}"), {"POST": "multipart_part_url"}),
    (_SRC + ("multipartUploads", "{mpu}", "parts", "{part}", "completion"), {"POST": "complete_part"}),
    (_DS + ("annotationImportSessions",), {"GET": "list_imports", "POST": "create_import"}),
    (_DS + ("annotationImportSessions", "{session}"), {"GET": "get_import"}),
    (_DS + ("annotationImportSessions", "{session}", "files"), {"POST": "add_import_files"}),
    (_DS + ("annotationImportSessions", "{session}", "status"), {"PATCH": "patch_import_status"}),
    (_DS + ("annotationImportSessions", "{session}", "filesSample"), {"GET": "import_files_sample"}),
    (_DS + ("annotationImportSessions", "{session}", "logs"), {"GET": "import_logs"}),
]


def _source(cls: str, provider: str, src: str) -> str:
    return f"{cls}/{provider}/{src}"


def _part_number(raw: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise BodyError("partNumber", f"must be a positive integer (got {raw!r})")
    return number


class DataHandlers(HandlerBase):
    # -- organization extras ----------------------------------------------------------------------

    def list_org_collaborators(self, request: Any, org_id: str, org: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_collaborators(org, after, size))

    def remove_collaborator(self, request: Any, org_id: str, org: str, user: str) -> Result:
        self.store.remove_collaborator(org, user)
        return 204, None

    def get_quota(self, request: Any, org_id: str, org: str) -> Result:
        return 200, self.store.get_quota(org)

    def list_dataset_collaborators(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_collaborators(org, after, size, ds))

    # -- exports, statistics, bulk deletions --------------------------------------------------------

    def create_export(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        fields = bodies.export_create(request.json_object())
        return 200, self.store.create_export(org, ds, fields, self._signer(request))

    def list_exports(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        sign = self._signer(request)
        return self._paged(request, lambda after, size: self.store.list_exports(org, ds, after, size, sign))

    def get_export(self, request: Any, org_id: str, org: str, ds: str, export: str) -> Result:
        return 200, self.store.get_export(org, ds, export, self._signer(request))

    def get_dataset_statistics(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return 200, self.store.dataset_statistics(org, ds)

    def generate_dataset_statistics(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        self.store.generate_dataset_statistics(org, ds)
        return 204, None

    def create_bulk_deletion(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        spec = bodies.bulk_deletion_create(request.json_object())
        return 200, self.store.create_bulk_deletion(org, ds, spec)

    def list_bulk_deletions(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_bulk_deletions(org, ds, after, size))

    def get_bulk_deletion(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        return 200, self.store.get_bulk_deletion(org, ds, session)

    # -- assets ----------------------------------------------------------------------------------------

    def list_assets(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        """A1 with `filter`/`metadataQuery`/`strictQuery` (see `filters.py`) and `sortBy`/`o`."""
        query = AssetQuery.from_query(request.query)
        sort = None
        sort_by, order = request.query.get("sortBy"), request.query.get("o")
        if sort_by or order:
            sort_by = sort_by or "default"
            if sort_by not in SORT_KEYS:
                raise BodyError("sortBy", "must be one of " + ", ".join(SORT_KEYS) + f" (got {sort_by!r})")
            if order not in (None, "", "asc", "desc"):
                raise BodyError("o", f"must be asc or desc (got {order!r})")
            sort = (sort_by, order == "desc")
        render = self._render_asset(request)
        return self._paged(
            request,
            lambda after, size: self.store.list_assets(
                org, ds, after, size, query, sort, lambda d, a: render(self._asset_json(d, a))
            ),
        )

    @staticmethod
    def _asset_json(ds: Any, asset: Any) -> JSON:
        from .views import asset_json

        return asset_json(ds, asset)

    def delete_asset(self, request: Any, org_id: str, org: str, ds: str, asset: str) -> Result:
        self.store.delete_asset(org, ds, asset)
        return 204, None

    def count_assets(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return 200, {"count": self.store.count_assets(org, ds, AssetQuery.from_query(request.query))}

    def rename_asset(self, request: Any, org_id: str, org: str, ds: str, asset: str) -> Result:
        new_name = bodies.rename_body(request.json_object())
        return 200, self.store.rename_asset(org, ds, new_name, asset_id=asset)

    def rename_asset_file(self, request: Any, org_id: str, org: str, ds: str, filename: str) -> Result:
        new_name = bodies.rename_body(request.json_object())
        return 200, self.store.rename_asset(org, ds, new_name, filename=filename)

    # -- ingestion and multipart -------------------------------------------------------------------------

    def create_ingestion(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        fields = bodies.ingestion_create(request.json_object())
        return 200, self.store.create_ingestion(
            org, ds, _source(cls, provider, src), fields, self._signer(request)
        )

    def list_ingestions(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        source = _source(cls, provider, src)
        return self._paged(
            request, lambda after, size: self.store.list_ingestions(org, ds, source, after, size)
        )

    def get_ingestion(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str, session: str
    ) -> Result:
        return 200, self.store.get_ingestion(
            org, ds, _source(cls, provider, src), session, self._signer(request)
        )

    def cancel_ingestion(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str, session: str
    ) -> Result:
        return 200, self.store.cancel_ingestion(org, ds, _source(cls, provider, src), session)

    def create_multipart(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str
    ) -> Result:
        fields = bodies.multipart_create(request.json_object())
        return 200, self.store.create_multipart(org, ds, _source(cls, provider, src), fields)

    def multipart_part_url(
        self,
        request: Any,
        org_id: str,
        org: str,
        ds: str,
        cls: str,
        provider: str,
        src: str,
        mpu: str,
        part: str,
    ) -> Result:
        body = request.json_object() if request.body.strip() else {}
        if body:
            raise BodyError(next(iter(body)), "unknown field (the body must be {})")
        number = _part_number(part)
        return 200, self.store.multipart_part_url(
            org, ds, _source(cls, provider, src), mpu, number, self._signer(request)
        )

    def complete_part(
        self,
        request: Any,
        org_id: str,
        org: str,
        ds: str,
        cls: str,
        provider: str,
        src: str,
        mpu: str,
        part: str,
    ) -> Result:
        echo = bodies.part_completion(request.json_object())
        return 200, self.store.complete_part(
            org, ds, _source(cls, provider, src), mpu, _part_number(part), echo
        )

    def complete_multipart(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str, mpu: str
    ) -> Result:
        return 200, self.store.complete_multipart(org, ds, _source(cls, provider, src), mpu)

    def abort_multipart(
        self, request: Any, org_id: str, org: str, ds: str, cls: str, provider: str, src: str, mpu: str
    ) -> Result:
        self.store.abort_multipart(org, ds, _source(cls, provider, src), mpu)
        return 204, None

    # -- annotations ---------------------------------------------------------------------------------------

    def put_annotation(self, request: Any, org_id: str, org: str, ds: str, asset: str, ann: str) -> Result:
        body = request.json_object()
        self._check_ids(body, ds, asset, ann)
        fields = bodies.annotation_body(body)
        _, document = self.store.put_annotation(org, ds, asset, ann, fields)
        return 200, document

    def patch_annotation(self, request: Any, org_id: str, org: str, ds: str, asset: str, ann: str) -> Result:
        body = request.json_object()
        self._check_ids(body, ds, asset, ann)
        current = self.store.get_annotation(org, ds, asset, ann)
        fields = bodies.annotation_body(body, current)
        return 200, self.store.patch_annotation(org, ds, asset, ann, fields)

    @staticmethod
    def _check_ids(body: JSON, ds: str, asset: str, ann: str) -> None:
        for field, expected in (("datasetId", ds), ("assetId", asset), ("annotationId", ann)):
            value = body.get(field)
            if value is not None and value != expected:
                raise BodyError(field, f"does not match the path ({expected!r})")

    def delete_annotation(self, request: Any, org_id: str, org: str, ds: str, asset: str, ann: str) -> Result:
        self.store.delete_annotation(org, ds, asset, ann)
        return 204, None

    def create_import(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return 200, self.store.create_import(org, ds, bodies.import_create(request.json_object()))

    def list_imports(self, request: Any, org_id: str, org: str, ds: str) -> Result:
        return self._paged(request, lambda after, size: self.store.list_imports(org, ds, after, size))

    def get_import(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        return 200, self.store.get_import(org, ds, session)

    def add_import_files(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        files = bodies.import_files(request.json_object())
        return 200, self.store.add_import_files(org, ds, session, files, self._signer(request))

    def patch_import_status(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        condition = bodies.import_status(request.json_object())
        return 200, self.store.patch_import_status(org, ds, session, condition)

    def import_files_sample(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        return 200, self.store.import_files_sample(org, ds, session)

    def import_logs(self, request: Any, org_id: str, org: str, ds: str, session: str) -> Result:
        return 200, self.store.import_logs(org, ds, session)
