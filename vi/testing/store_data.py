"""Dataset-scoped writes and long-running operations: assets, annotations, exports, bulk deletions,
asset ingestion (single PUT and multipart), annotation imports and dataset statistics.

Every method takes the store lock; long-running work is scheduled on `self.operations` and runs
(under the same lock) at the first request after it comes due, so relations stay consistent:
when a bulk deletion finishes its assets and their annotations are gone from every listing and
count in the same instant.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
import zipfile
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import views
from .errors import BadRequest, Conflict, NotFound
from .filters import AssetQuery
from .pagination import Page, page_by_offset, page_by_seq
from .records import (
    AnnotationImportRecord,
    AnnotationRecord,
    AssetRecord,
    BulkDeletionRecord,
    DatasetRecord,
    ExportRecord,
    IngestionRecord,
    MultipartRecord,
    now_ms,
)
from .store_base import StoreBase
from .views_data import (
    Signer,
    bulk_deletion_json,
    export_json,
    import_session_json,
    ingestion_json,
    multipart_json,
    storage_path,
)

__all__ = ["DataMixin", "MULTIPART_PART_SIZE", "SORT_KEYS"]

JSON = Dict[str, Any]

#: Part size the server picks for multipart uploads (the example's 1.5 GiB file → 24 parts);
#: a test may set `store.multipart_part_size` smaller to get several parts from a small file.
MULTIPART_PART_SIZE = 64 * 1024 * 1024
#: Uploads up to this size keep their bytes (assets, downloads, byte-for-byte test checks); larger
#: ones are only counted and hashed while they stream in (`store.upload_keep_limit`).
UPLOAD_KEEP_LIMIT = 64 * 1024 * 1024

#: A1 `sortBy` values → sort key over an asset (PROTOCOL §7.3.1).
SORT_KEYS: Dict[str, Callable[[AssetRecord], Any]] = {
    "default": lambda a: a.seq,
    "assetId": lambda a: a.asset_id,
    "filename": lambda a: a.filename,
    "lastModified.contents": lambda a: (a.last_updated, a.seq),
    "metadata.fileSize": lambda a: (a.file_size, a.seq),
}

_ZIP_DATE = (2024, 12, 11, 6, 53, 20)
_MAX_ARCHIVE_ASSETS = 1000


def _crc_b64(signed: Optional[int]) -> str:
    if signed is None:
        return ""
    return base64.b64encode(struct.pack(">i", signed)).decode("ascii")


def _import_headers(spec: JSON) -> Dict[str, str]:
    """Like a signed GCS URL: the registered CRC-32C travels as `x-goog-hash` (PROTOCOL §9.4)."""
    headers = {"Content-Type": "application/octet-stream"}
    if spec.get("crc32c"):
        headers["x-goog-hash"] = "crc32c=" + spec["crc32c"]
    return headers


def _check_import_file(name: str, spec: JSON, data: bytes) -> None:
    """An object store refuses a body whose length or CRC-32C differs from what was signed for
    (GCS: 400 BadDigest); the size and checksum registered with N7 stand for the signature here."""
    from ..transfers.crc32c import crc32c, from_base64

    if spec.get("sizeBytes") is not None and len(data) != spec["sizeBytes"]:
        raise BadRequest(f"EBADSIZE: {name!r} is {len(data)} bytes, but {spec['sizeBytes']} were registered")
    registered = spec.get("crc32c")
    if registered:
        try:
            expected = from_base64(registered)
        except ValueError:
            return  # not a CRC-32C the store can check
        if crc32c(data) != expected:
            raise BadRequest(f"ECORRUPT: the CRC-32C of {name!r} does not match the registered crc32c")


def _image_size(data: bytes) -> Tuple[int, int]:
    """(width, height) from a PNG header; 0×0 for anything else (no decoding in the emulator)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    return 0, 0


class DataMixin(StoreBase):
    multipart_part_size: int = MULTIPART_PART_SIZE
    upload_keep_limit: int = UPLOAD_KEEP_LIMIT
    # -- assets ---------------------------------------------------------------------------------

    def list_assets(
        self,
        org_id: str,
        dataset_id: str,
        after: int,
        limit: int,
        query: Optional[AssetQuery] = None,
        sort: Optional[Tuple[str, bool]] = None,
        render: Optional[Callable[[DatasetRecord, AssetRecord], JSON]] = None,
    ) -> Page:
        """Keyset pages in creation order; with `sort=(sortBy, descending)` offset pages instead."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            predicate = (query or AssetQuery()).predicate(ds)
            draw = render or views.asset_json
            if sort is None or (sort[0] == "default" and not sort[1]):
                records = (a for a in ds.assets.values() if predicate(a))
                return page_by_seq(records, after, limit, lambda a: draw(ds, a))
            key = SORT_KEYS[sort[0]]
            ordered = sorted((a for a in ds.assets.values() if predicate(a)), key=key, reverse=sort[1])
            return page_by_offset(ordered, after, limit, lambda a: draw(ds, a))

    def count_assets(self, org_id: str, dataset_id: str, query: AssetQuery) -> int:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            predicate = query.predicate(ds)
            return sum(1 for a in ds.assets.values() if predicate(a))

    def delete_asset(self, org_id: str, dataset_id: str, asset_id: str) -> None:
        """Removes the asset and (with it) its annotations."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._asset(ds, asset_id)
            del ds.assets[asset_id]

    def rename_asset(
        self,
        org_id: str,
        dataset_id: str,
        new_name: str,
        asset_id: Optional[str] = None,
        filename: Optional[str] = None,
    ) -> JSON:
        """A5/A6; filenames are unique within a dataset, so renaming onto another asset's name is 409."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            if asset_id is not None:
                asset = self._asset(ds, asset_id)
            else:
                found = [a for a in ds.assets.values() if a.filename == filename]
                if not found:
                    raise NotFound(f"Asset file {filename} not found in dataset {dataset_id}")
                asset = found[0]
            clash = next((a for a in ds.assets.values() if a.filename == new_name and a is not asset), None)
            if clash is not None:
                raise Conflict(f"Asset {clash.asset_id} already has filename {new_name!r}")
            asset.filename = new_name
            asset.generation += 1
            asset.last_updated = max(asset.last_updated, now_ms())
            return views.asset_json(ds, asset)

    # -- annotations ----------------------------------------------------------------------------

    def put_annotation(
        self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str, fields: JSON
    ) -> Tuple[bool, JSON]:
        """N3: replace, or create under the caller's id (PUT is create-or-replace). True if created."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            now = now_ms()
            current = asset.annotations.get(annotation_id)
            if current is None:
                record = AnnotationRecord(
                    annotation_id=annotation_id,
                    asset_id=asset_id,
                    seq=self._next_seq(),
                    tag=fields["tag"],
                    role=fields["role"],
                    group_id=fields["group_id"],
                    time_created=now,
                    last_updated=now,
                    caption=fields["caption"],
                    bound=fields["bound"],
                    target=fields["target"],
                    attributes=dict(fields.get("attributes") or {}),
                )
                asset.annotations[annotation_id] = record
                self._created("annotation")
                return True, views.annotation_json(ds, record)
            for key in ("tag", "role", "group_id", "caption", "bound", "target"):
                setattr(current, key, fields[key])
            if "attributes" in fields:
                current.attributes = dict(fields["attributes"])
            current.generation += 1
            current.last_updated = max(current.last_updated, now)
            return False, views.annotation_json(ds, current)

    def annotation_document(self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str) -> JSON:
        return self.get_annotation(org_id, dataset_id, asset_id, annotation_id)  # type: ignore[attr-defined]

    def patch_annotation(
        self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str, fields: JSON
    ) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            current = asset.annotations.get(annotation_id)
            if current is None:
                raise NotFound(f"Annotation {annotation_id} not found on asset {asset_id}")
            for key in ("tag", "role", "group_id", "caption", "bound", "target"):
                setattr(current, key, fields[key])
            if "attributes" in fields:
                current.attributes = dict(current.attributes, **fields["attributes"])
            current.generation += 1
            current.last_updated = max(current.last_updated, now_ms())
            return views.annotation_json(ds, current)

    def delete_annotation(self, org_id: str, dataset_id: str, asset_id: str, annotation_id: str) -> None:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            asset = self._asset(ds, asset_id)
            if annotation_id not in asset.annotations:
                raise NotFound(f"Annotation {annotation_id} not found on asset {asset_id}")
            del asset.annotations[annotation_id]

    # -- exports --------------------------------------------------------------------------------

    def create_export(self, org_id: str, dataset_id: str, fields: JSON, sign: Signer) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            export = ExportRecord(
                export_id=self._new_id("exp-", ds.exports),
                seq=self._next_seq(),
                format=fields["format"],
                normalized=fields["normalized"],
                split_ratio=fields["split_ratio"],
                op=self.operations.start("export"),
            )
            ds.exports[export.export_id] = export
            self._created("export")

            def finish() -> None:
                if ds.exports.get(export.export_id) is export and export.op.finish():
                    export.archive = self._export_archive(ds, export)

            self.operations.schedule(finish)
            return export_json(ds, export, sign)

    def list_exports(self, org_id: str, dataset_id: str, after: int, limit: int, sign: Signer) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return page_by_seq(ds.exports.values(), after, limit, lambda e: export_json(ds, e, sign))

    def _export(self, ds: DatasetRecord, export_id: str) -> ExportRecord:
        export = ds.exports.get(export_id)
        if export is None:
            raise NotFound(f"Dataset export {export_id} not found in dataset {ds.composite_id}")
        return export

    def get_export(self, org_id: str, dataset_id: str, export_id: str, sign: Signer) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return export_json(ds, self._export(ds, export_id), sign)

    def export_archive(self, org_id: str, short_id: str, export_id: str) -> bytes:
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            export = self._export(ds, export_id)
            if export.archive is None:
                raise NotFound(f"Dataset export {export_id} has no archive (not finished)")
            return export.archive

    def _export_archive(self, ds: DatasetRecord, export: ExportRecord) -> bytes:
        """A small zip in the layout the SDK's loader expects: `dump/` or `training/`+`validation/`,
        each with `assets/` (placeholder bytes unless the asset was uploaded) and
        `annotations/annotations.jsonl` (one line per asset: filename + rendered annotations)."""
        assets = list(ds.assets.values())[:_MAX_ARCHIVE_ASSETS]
        annotations_only = export.format != "ViFull"
        if export.split_ratio is not None:
            cut = int(round(len(assets) * export.split_ratio))
            splits = [("training", assets[:cut]), ("validation", assets[cut:])]
        else:
            splits = [("dump", assets)]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

            def add(name: str, data: bytes) -> None:
                info = zipfile.ZipInfo(name, _ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)

            for split, members in splits:
                lines = []
                for asset in members:
                    if not annotations_only:
                        add(
                            f"{split}/assets/{asset.filename}",
                            asset.data or f"asset {asset.asset_id}\n".encode(),
                        )
                    record = {
                        "assetId": asset.asset_id,
                        "filename": asset.filename,
                        "width": asset.width,
                        "height": asset.height,
                        "annotations": [
                            views.annotation_json(ds, a)["spec"] for a in asset.annotations.values()
                        ],
                    }
                    lines.append(json.dumps(record, separators=(",", ":"), sort_keys=True))
                add(f"{split}/annotations/annotations.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
        return buffer.getvalue()

    # -- bulk asset deletion ----------------------------------------------------------------------

    def create_bulk_deletion(self, org_id: str, dataset_id: str, spec: JSON) -> JSON:
        query = AssetQuery(
            spec.get("filter"),
            spec.get("metadataQuery"),
            spec.get("ruleQuery"),
            bool(spec.get("strictQuery")),
        )
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = BulkDeletionRecord(
                self._new_id("dmas-", ds.bulk_deletions),
                self._next_seq(),
                spec,
                self.operations.start("bulk_asset_deletion"),
            )
            ds.bulk_deletions[session.session_id] = session
            self._created("bulk_asset_deletion")

            def finish() -> None:
                if ds.bulk_deletions.get(session.session_id) is not session or not session.op.finish():
                    return
                predicate = query.predicate(ds)
                doomed = [asset_id for asset_id, a in ds.assets.items() if predicate(a)]
                for asset_id in doomed:
                    del ds.assets[asset_id]
                session.deleted = len(doomed)

            self.operations.schedule(finish)
            return bulk_deletion_json(ds, session)

    def list_bulk_deletions(self, org_id: str, dataset_id: str, after: int, limit: int) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return page_by_seq(ds.bulk_deletions.values(), after, limit, lambda s: bulk_deletion_json(ds, s))

    def get_bulk_deletion(self, org_id: str, dataset_id: str, session_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = ds.bulk_deletions.get(session_id)
            if session is None:
                raise NotFound(f"Delete-many-assets session {session_id} not found")
            return bulk_deletion_json(ds, session)

    # -- dataset aggregation statistics (D12/D13) ------------------------------------------------

    def dataset_statistics(self, org_id: str, dataset_id: str) -> JSON:
        """`{payload: {results: {assetTotal, annotationTotal, tagsCount, mimeTypes, assetAnnotated}}}`."""
        from .views_training import aggregation_json

        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            statistic = views.dataset_json(ds)["statistic"]
            results = dict(statistic, mimeTypes=dict(Counter(a.mime_type for a in ds.assets.values())))
            out = aggregation_json(ds.aggregation, results)
            out.update({"kind": "DatasetAggregationStatistics", "datasetId": ds.composite_id})
            return out

    def generate_dataset_statistics(self, org_id: str, dataset_id: str) -> None:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            if ds.aggregation is not None and not ds.aggregation.done:
                return  # one generation at a time; a second request joins the first
            op = self.operations.start("aggregation")
            ds.aggregation = op
            self.operations.schedule(op.finish)

    # -- asset ingestion ----------------------------------------------------------------------------

    def _source(self, ds: DatasetRecord, source: str) -> None:
        if source not in ds.asset_sources:
            raise NotFound(f"Asset source {source} not found in dataset {ds.composite_id}")

    def create_ingestion(self, org_id: str, dataset_id: str, source: str, fields: JSON, sign: Signer) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._source(ds, source)
            session = IngestionRecord(
                session_id=self._new_id("ais-", ds.ingestions),
                ingestion_id=self._new_id("ing-", {s.ingestion_id for s in ds.ingestions.values()}),
                seq=self._next_seq(),
                source=source,
                failure_mode=fields["failure_mode"],
                on_overwritten=fields["on_overwritten"],
                assets=fields["assets"],
                op=self.operations.start("ingestion"),
            )
            ds.ingestions[session.session_id] = session
            self._created("ingestion_session")
            if not session.assets:
                session.op.finish()  # nothing to wait for
            return ingestion_json(ds, session, sign)

    def _ingestion(self, ds: DatasetRecord, source: str, session_id: str) -> IngestionRecord:
        session = ds.ingestions.get(session_id)
        if session is None or session.source != source:
            raise NotFound(f"Asset ingestion session {session_id} not found")
        return session

    def get_ingestion(self, org_id: str, dataset_id: str, source: str, session_id: str, sign: Signer) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return ingestion_json(ds, self._ingestion(ds, source, session_id), sign)

    def list_ingestions(self, org_id: str, dataset_id: str, source: str, after: int, limit: int) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._source(ds, source)
            sessions = (s for s in ds.ingestions.values() if s.source == source)
            return page_by_seq(sessions, after, limit, lambda s: ingestion_json(ds, s, None))

    def cancel_ingestion(self, org_id: str, dataset_id: str, source: str, session_id: str) -> JSON:
        """A9: pending → FailedReach (CancelledByUser); repeating it is harmless; finished → 409."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = self._ingestion(ds, source, session_id)
            if session.op.state == "reached":
                raise Conflict(f"Asset ingestion session {session_id} already finished")
            session.cancelled = True
            # Like the service, which processes each file as it arrives: what already arrived
            # intact is kept; files that never came are errored.
            for meta in session.assets:
                if meta["filename"] not in session.received:
                    session.errors.setdefault(meta["filename"], "EUNKNOWN")
            self._ingest_received(ds, session)
            session.op.fail("CancelledByUser", "Upload cancelled by the client")
            return ingestion_json(ds, session, None)

    def receive_upload(
        self,
        org_id: str,
        short_id: str,
        session_id: str,
        filename: str,
        data: Optional[bytes],
        received: Any = None,
    ) -> None:
        """S2: bytes of one declared file arrived; once every file has, the session finishes.

        `received` (a `storage_uploads.Received`) carries size and checksum when `data` was not
        kept (a large upload)."""
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            session = ds.ingestions.get(session_id)
            if session is None:
                raise NotFound(f"Asset ingestion session {session_id} not found")
            meta = next((a for a in session.assets if a["filename"] == filename), None)
            if meta is None:
                raise NotFound(f"File {filename!r} was not declared in session {session_id}")
            if session.op.done:
                raise Conflict(f"Asset ingestion session {session_id} is no longer accepting uploads")
            self._file_arrived(ds, session, meta, data, received)

    def _file_arrived(
        self,
        ds: DatasetRecord,
        session: IngestionRecord,
        meta: JSON,
        data: Optional[bytes],
        received: Any = None,
        failed: bool = False,
    ) -> None:
        """One file is in (or, with `failed`, will never be): EBADSIZE when its size differs
        from the declared one, ECORRUPT when its CRC-32C differs from the declared `crc32c`."""
        from ..transfers.crc32c import crc32c, to_signed

        filename = meta["filename"]
        size = received.size if received is not None else len(data or b"")
        session.received[filename] = size
        session.errors.pop(filename, None)
        if failed:
            session.errors[filename] = "EUNKNOWN"
        elif size != meta["size"]:
            session.errors[filename] = "EBADSIZE"
        elif meta.get("crc32c") is not None:
            actual = received.checksum() if received is not None else crc32c(data or b"")
            if actual is not None and to_signed(actual) != meta["crc32c"]:
                session.errors[filename] = "ECORRUPT"
        session.blobs[filename] = data
        if all(a["filename"] in session.received for a in session.assets):
            self.operations.schedule(lambda: self._finish_ingestion(ds, session))

    def _finish_ingestion(self, ds: DatasetRecord, session: IngestionRecord) -> None:
        if ds.ingestions.get(session.session_id) is not session or session.op.done:
            return
        if not session.op.finish():
            for meta in session.assets:
                session.errors.setdefault(meta["filename"], "EUNKNOWN")
            return
        self._ingest_received(ds, session)

    def _ingest_received(self, ds: DatasetRecord, session: IngestionRecord) -> None:
        """Turn every received, error-free file of `session` into an asset."""
        blobs = session.blobs
        now = now_ms()
        for meta in session.assets:
            filename = meta["filename"]
            if filename in session.errors or filename not in session.received:
                continue
            data = blobs.get(filename)
            size = session.received[filename]
            existing = next((a for a in ds.assets.values() if a.filename == filename), None)
            width, height = _image_size(data or b"")
            if existing is not None:
                if session.on_overwritten == "RemoveLinkedResource":
                    existing.annotations.clear()
                existing.data, existing.file_size, existing.mime_type = data, size, meta["mime"]
                existing.width, existing.height = width, height
                existing.crc32c = _crc_b64(meta.get("crc32c"))
                existing.custom_metadata = dict(meta.get("customMetadata") or {})
                existing.generation += 1
                existing.last_updated = now
            else:
                asset = AssetRecord(
                    asset_id=self._new_id("ast-", ds.assets),
                    seq=self._next_seq(),
                    filename=filename,
                    owner_user=ds.owner_user,
                    file_size=size,
                    height=height,
                    width=width,
                    mime_type=meta["mime"],
                    crc32c=_crc_b64(meta.get("crc32c")),
                    time_created=now,
                    last_updated=now,
                    custom_metadata=dict(meta.get("customMetadata") or {}),
                    data=data,
                )
                ds.assets[asset.asset_id] = asset
                self._created("asset")
            session.succeeded += 1
        session.blobs = {}

    # -- multipart uploads ----------------------------------------------------------------------------

    def create_multipart(self, org_id: str, dataset_id: str, source: str, fields: JSON) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            self._source(ds, source)
            session = next(
                (
                    s
                    for s in ds.ingestions.values()
                    if s.ingestion_id == fields["ingestion_id"] and s.source == source
                ),
                None,
            )
            if session is None:
                raise NotFound("Ingestion {} not found".format(fields["ingestion_id"]))
            if session.op.done:
                raise Conflict("Ingestion {} is no longer accepting uploads".format(fields["ingestion_id"]))
            if not any(a["filename"] == fields["filename"] for a in session.assets):
                raise BadRequest(
                    "Invalid field 'spec.filename': {!r} was not declared in ingestion {}".format(
                        fields["filename"], fields["ingestion_id"]
                    )
                )
            parts = min(10000, max(1, math.ceil(fields["size_bytes"] / self.multipart_part_size)))
            upload = MultipartRecord(
                upload_id=self._new_id("mpu-", ds.multiparts),
                seq=self._next_seq(),
                source=source,
                ingestion_id=fields["ingestion_id"],
                filename=fields["filename"],
                content_type=fields["content_type"],
                size_bytes=fields["size_bytes"],
                part_count=parts,
                time_created=now_ms(),
            )
            ds.multiparts[upload.upload_id] = upload
            self._created("multipart_upload")
            return multipart_json(ds, upload)

    def _multipart(self, ds: DatasetRecord, source: str, upload_id: str) -> MultipartRecord:
        upload = ds.multiparts.get(upload_id)
        if upload is None or upload.source != source:
            raise NotFound(f"Multipart upload {upload_id} not found")
        return upload

    def _live_multipart(
        self, ds: DatasetRecord, source: str, upload_id: str, part: Optional[int] = None
    ) -> MultipartRecord:
        upload = self._multipart(ds, source, upload_id)
        if upload.state != "Started":
            raise Conflict(f"Multipart upload {upload_id} is {upload.state.lower()}")
        if part is not None and not 1 <= part <= upload.part_count:
            raise BadRequest(f"Invalid part number {part} (this upload has parts 1 to {upload.part_count})")
        return upload

    def multipart_part_url(
        self, org_id: str, dataset_id: str, source: str, upload_id: str, part: int, sign: Signer
    ) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            upload = self._live_multipart(ds, source, upload_id, part)
            url, expiry = sign(storage_path("multipart", org_id, ds.short_id, upload_id, str(part)))
            return {
                "method": "PUT",
                "url": url,
                "expiry": expiry,
                "responseHeaders": ["ETag"],
                "responseBody": False,
                "headers": {"Content-Type": upload.content_type or "application/octet-stream"},
            }

    def multipart_size(self, org_id: str, short_id: str, upload_id: str) -> int:
        """The declared size of a multipart upload (0 if unknown): whether to keep its bytes."""
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            found = ds.multiparts.get(upload_id)
            return found.size_bytes if found is not None else 0

    def receive_part(
        self,
        org_id: str,
        short_id: str,
        upload_id: str,
        part: int,
        data: Optional[bytes],
        received: Any = None,
    ) -> str:
        """S3: store a part (its bytes, or only size and MD5 for a large upload); returns the
        ETag (quoted MD5 hex) the client must echo back."""
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            found = ds.multiparts.get(upload_id)
            if found is None:
                raise NotFound(f"Multipart upload {upload_id} not found")
            upload = self._live_multipart(ds, found.source, upload_id, part)
            md5 = received.md5 if received is not None else hashlib.md5(data or b"").hexdigest()
            size = received.size if received is not None else len(data or b"")
            upload.parts[part] = data
            upload.part_info[part] = (size, md5)
            return f'"{md5}"'

    def complete_part(
        self, org_id: str, dataset_id: str, source: str, upload_id: str, part: int, echo: JSON
    ) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            upload = self._live_multipart(ds, source, upload_id, part)
            if part not in upload.part_info:
                raise BadRequest(f"Part {part} of multipart upload {upload_id} was never uploaded")
            etag = f'"{upload.part_info[part][1]}"'
            echoed = {k.lower(): v for k, v in echo["responseHeaders"].items()}.get("etag")
            if echoed is not None and echoed.strip('"') != etag.strip('"'):
                raise BadRequest(f"Invalid field 'responseHeaders.ETag': does not match part {part}")
            upload.completed_parts[part] = echo
            upload.generation += 1
            return {"multipartUploadId": upload_id, "partNumber": part, "completed": True}

    def complete_multipart(self, org_id: str, dataset_id: str, source: str, upload_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            upload = self._live_multipart(ds, source, upload_id)
            missing = [n for n in range(1, upload.part_count + 1) if n not in upload.completed_parts]
            if missing:
                raise BadRequest(f"Multipart upload {upload_id} is missing completed parts {missing[:10]}")
            pieces = [upload.parts.get(n) for n in range(1, upload.part_count + 1)]
            data = None if any(p is None for p in pieces) else b"".join(p or b"" for p in pieces)
            size = sum(upload.part_info[n][0] for n in range(1, upload.part_count + 1))
            upload.state, upload.parts = "Completed", {}
            upload.generation += 1
            self._multipart_done(ds, upload, data, size)
            return multipart_json(ds, upload)

    def abort_multipart(self, org_id: str, dataset_id: str, source: str, upload_id: str) -> None:
        """A14: the file counts as errored (EUNKNOWN), so its session can still finish."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            upload = self._multipart(ds, source, upload_id)
            if upload.state == "Started":
                upload.state, upload.parts = "Aborted", {}
                upload.generation += 1
                self._multipart_done(ds, upload, None, 0, failed=True)

    def _multipart_done(
        self,
        ds: DatasetRecord,
        upload: MultipartRecord,
        data: Optional[bytes],
        size: int,
        failed: bool = False,
    ) -> None:
        from .storage_uploads import Received

        session = next((s for s in ds.ingestions.values() if s.ingestion_id == upload.ingestion_id), None)
        if session is None or session.op.done:
            return
        meta = next((a for a in session.assets if a["filename"] == upload.filename), None)
        if meta is not None:
            # Without kept bytes the whole-file CRC is unknown: such files (> upload_keep_limit)
            # are only size-checked (the protocol sends no CRC above 1 GiB anyway).
            received = Received(size, "", None, data)
            self._file_arrived(ds, session, meta, data, received, failed=failed)

    # -- annotation import sessions --------------------------------------------------------------------

    def create_import(self, org_id: str, dataset_id: str, fields: JSON) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            now = now_ms()
            session = AnnotationImportRecord(
                session_id=self._new_id("anis-", ds.imports),
                seq=self._next_seq(),
                user=ds.owner_user,
                spec=fields["spec"],
                attributes=fields["attributes"],
                time_created=now,
                op=self.operations.start("annotation_import"),
                conditions=[{"condition": "FilesInserted", "status": "Waiting", "lastTransitionTime": now}],
            )
            ds.imports[session.session_id] = session
            self._created("annotation_import_session")
            return import_session_json(ds, session)

    def _import(self, ds: DatasetRecord, session_id: str) -> AnnotationImportRecord:
        session = ds.imports.get(session_id)
        if session is None:
            raise NotFound(f"Annotation import session {session_id} not found")
        return session

    @staticmethod
    def _files_open(session: AnnotationImportRecord) -> bool:
        return any(c["condition"] == "FilesInserted" and c["status"] == "Waiting" for c in session.conditions)

    def add_import_files(
        self, org_id: str, dataset_id: str, session_id: str, files: Dict[str, JSON], sign: Signer
    ) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = self._import(ds, session_id)
            if not self._files_open(session):
                raise Conflict(f"Annotation import session {session_id} no longer accepts files")
            out: JSON = {}
            for name, spec in files.items():
                session.files[name] = dict(spec, data=None)
                url, _ = sign(storage_path("imports", org_id, ds.short_id, session_id, name))
                out[name] = {
                    "method": "PUT",
                    "url": url,
                    "headers": _import_headers(spec),
                }
            session.generation += 1
            return {"files": out}

    def receive_import_file(
        self, org_id: str, short_id: str, session_id: str, name: str, data: bytes
    ) -> None:
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            session = self._import(ds, session_id)
            if name not in session.files:
                raise NotFound(f"File {name!r} was not registered in annotation import session {session_id}")
            if not self._files_open(session):
                raise Conflict(f"Annotation import session {session_id} no longer accepts files")
            _check_import_file(name, session.files[name], data)
            session.files[name]["data"] = data

    def patch_import_status(self, org_id: str, dataset_id: str, session_id: str, condition: JSON) -> JSON:
        """N8: the client reports `FilesInserted`; Reached starts processing, FailedReach ends the session."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = self._import(ds, session_id)
            if session.op.done or not self._files_open(session):
                raise Conflict(
                    f"Annotation import session {session_id} is already {'finished' if session.op.done else 'processing'}"
                )
            for index, existing in enumerate(session.conditions):
                if existing["condition"] == condition["condition"]:
                    session.conditions[index] = dict(condition)
                    break
            else:
                session.conditions.append(dict(condition))
            session.generation += 1
            if condition["condition"] == "FilesInserted":
                if condition["status"] == "FailedReach":
                    session.op.fail(
                        condition.get("reason") or "UserUploadErrored", "The client reported an upload error"
                    )
                elif condition["status"] == "Reached":
                    # Report the server's own steps as Waiting at once: an "all conditions Reached"
                    # waiter polling right after this PATCH must not see a finished session.
                    when = condition["lastTransitionTime"]
                    for name in ("FilesParsed", "Complete"):
                        session.conditions.append(
                            {"condition": name, "status": "Waiting", "lastTransitionTime": when}
                        )
                    self.operations.schedule(lambda: self._finish_import(ds, session))
            return import_session_json(ds, session)

    def _finish_import(self, ds: DatasetRecord, session: AnnotationImportRecord) -> None:
        """Parse the uploaded files (format in `_parse_import_line`), then FilesParsed + Complete."""
        if ds.imports.get(session.session_id) is not session or session.op.done:
            return
        now = now_ms()
        session.generation += 1
        injected = session.op.failure
        problem = None
        if injected is None:
            missing = [name for name, f in session.files.items() if f.get("data") is None]
            if missing:
                problem = "Files were registered but never uploaded: " + ", ".join(sorted(missing))
        parsed: List[Tuple[AssetRecord, JSON]] = []
        if injected is None and problem is None:
            for f in session.files.values():
                for line in (f["data"] or b"").decode("utf-8", "replace").splitlines():
                    if line.strip():
                        self._parse_import_line(ds, line, parsed, session)
            policy = session.spec["failurePolicies"]["onBadAnnotation"]
            if session.rejected and policy == "RejectSession":
                problem = f"{session.rejected} annotation line(s) could not be parsed (onBadAnnotation=RejectSession)"
        if injected is not None or problem is not None:
            if injected is not None:
                session.op.finish()  # consumes the injected failure: FailedReach
                session.reason = injected.message
            else:
                session.op.fail("ParseFailed", problem)
                session.reason = problem
            session.inserted = 0
            self._set_condition(session, "FilesParsed", "FailedReach", now)
            session.conditions = [c for c in session.conditions if c["condition"] != "Complete"]
            return
        for asset, fields in parsed:
            record = AnnotationRecord(
                annotation_id=self._new_id("ann-", asset.annotations),
                asset_id=asset.asset_id,
                seq=self._next_seq(),
                time_created=now,
                last_updated=now,
                **fields,
            )
            asset.annotations[record.annotation_id] = record
        session.op.finish()
        self._set_condition(session, "FilesParsed", "Reached", now)
        self._set_condition(session, "Complete", "Reached", now)

    @staticmethod
    def _set_condition(session: AnnotationImportRecord, name: str, status: str, when: int) -> None:
        for condition in session.conditions:
            if condition["condition"] == name:
                condition.update(status=status, lastTransitionTime=when)
                return
        session.conditions.append({"condition": name, "status": status, "lastTransitionTime": when})

    def _parse_import_line(
        self,
        ds: DatasetRecord,
        line: str,
        parsed: List[Tuple[AssetRecord, JSON]],
        session: AnnotationImportRecord,
    ) -> None:
        """One JSONL line: a JSON object counts as an annotation record (`Inserted`); if it names an
        asset (`assetId` or `filename`) and carries a valid `spec` (AnnotationSpec), an annotation
        is really added to that asset. Anything that is not a JSON object counts `Rejected`."""
        from .bodies import annotation_body
        from .validation import BodyError

        try:
            item = json.loads(line)
        except ValueError:
            session.rejected += 1
            return
        if not isinstance(item, dict):
            session.rejected += 1
            return
        session.inserted += 1
        asset = ds.assets.get(item.get("assetId", "")) if isinstance(item.get("assetId"), str) else None
        if asset is None and isinstance(item.get("filename"), str):
            asset = next((a for a in ds.assets.values() if a.filename == item["filename"]), None)
        if asset is None or not isinstance(item.get("spec"), dict):
            return
        try:
            fields = annotation_body({"spec": item["spec"]})
        except BodyError:
            return
        fields.pop("attributes", None)
        parsed.append((asset, fields))

    def get_import(self, org_id: str, dataset_id: str, session_id: str) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return import_session_json(ds, self._import(ds, session_id))

    def list_imports(self, org_id: str, dataset_id: str, after: int, limit: int) -> Page:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            return page_by_seq(ds.imports.values(), after, limit, lambda s: import_session_json(ds, s))

    def import_files_sample(self, org_id: str, dataset_id: str, session_id: str) -> JSON:
        """X2: `{annotationImportSessionId, files: [{name, sizeBytes, kind, uploaded, sample: [≤3 lines]}]}`."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = self._import(ds, session_id)
            files = []
            for name, f in session.files.items():
                data = f.get("data")
                lines = (data or b"").decode("utf-8", "replace").splitlines()[:3]
                files.append(
                    {
                        "name": name,
                        "sizeBytes": f["sizeBytes"],
                        "kind": f["kind"],
                        "uploaded": data is not None,
                        "sample": lines,
                    }
                )
            return {"annotationImportSessionId": session_id, "files": files}

    def import_logs(self, org_id: str, dataset_id: str, session_id: str) -> JSON:
        """X3: `{annotationImportSessionId, entries: [{time, level, message}]}` from the conditions."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            session = self._import(ds, session_id)
            entries = [{"time": session.time_created, "level": "INFO", "message": "Session created"}]
            for c in session.conditions:
                level = "ERROR" if c["status"] == "FailedReach" else "INFO"
                entries.append(
                    {
                        "time": c["lastTransitionTime"],
                        "level": level,
                        "message": f"{c['condition']}: {c['status']}",
                    }
                )
            if session.reason:
                entries.append({"time": entries[-1]["time"], "level": "ERROR", "message": session.reason})
            return {"annotationImportSessionId": session_id, "entries": entries}
