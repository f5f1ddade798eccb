"""Asset ingestion: sessions that hand out upload URLs, single PUTs and multipart uploads.

A session finishes once every declared file has arrived (or was cancelled, aborted or timed
out); each file that arrived intact becomes an asset, each other one is reported by name with
its ingestion error (`EBADSIZE`, `ECORRUPT`, `EUNKNOWN`, ...).
"""

from __future__ import annotations

import base64
import math
import os
import struct
import tempfile
from typing import Any, Dict, Optional, Tuple

from .contents import Blob
from .errors import BadRequest, Conflict, NotFound
from .images import UnreadableImage, image_size
from .pagination import Page, page_by_seq
from .records import AssetRecord, DatasetRecord, IngestionRecord, MultipartRecord
from .state import Family
from .views_data import Signer, ingestion_json, multipart_json, storage_path

__all__ = ["IngestionStore"]

JSON = Dict[str, Any]


def _crc_b64(signed: Optional[int]) -> str:
    if signed is None:
        return ""
    return base64.b64encode(struct.pack(">i", signed)).decode("ascii")


def _dimensions(blob: Blob, mime: str) -> Tuple[int, int]:
    """Width and height from the image header; videos and other media are not measured."""
    if not mime.startswith("image/"):
        return 0, 0
    return image_size(blob.view())


class IngestionStore(Family):
    """Ingestion sessions and multipart uploads."""

    @property
    def multipart_part_size(self) -> int:
        return self.state.multipart_part_size

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
            else:
                ttl = self.state.upload_ttl_seconds
                session.upload_expiry = self._now_ms() + int(ttl * 1000)
                self.operations.schedule_in(ttl, lambda: self._expire_ingestion(ds, session))
            return ingestion_json(ds, session, sign)

    def _expire_ingestion(self, ds: DatasetRecord, session: IngestionRecord) -> None:
        """The upload URLs have expired: files that never arrived end with ETIMEOUT, the rest is kept."""
        if ds.ingestions.get(session.session_id) is not session or session.op.done:
            return
        for upload in ds.multiparts.values():
            if upload.ingestion_id == session.ingestion_id and upload.state == "Started":
                upload.state = "Aborted"
                upload.generation += 1
                self._drop_parts(upload)
        for meta in session.assets:
            if meta["filename"] not in session.received:
                session.errors[meta["filename"]] = "ETIMEOUT"
        if session.op.finish():
            self._ingest_received(ds, session)

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

        `received` (a `storage_uploads.Received`) carries the bytes (in memory or spooled to
        disk) and their checksums; callers holding plain bytes may pass only `data`."""
        from .storage_uploads import received_bytes

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
            self._file_arrived(
                ds, session, meta, received if received is not None else received_bytes(data or b"")
            )

    def _file_arrived(
        self,
        ds: DatasetRecord,
        session: IngestionRecord,
        meta: JSON,
        received: Any,
        failed: bool = False,
    ) -> None:
        """One file is in (or, with `failed`, will never be): EBADSIZE when its size differs
        from the declared one, ECORRUPT when its CRC-32C differs from the declared `crc32c`."""
        from ..transfers.crc32c import to_signed

        filename = meta["filename"]
        session.received[filename] = received.size if received is not None else 0
        session.errors.pop(filename, None)
        previous = session.blobs.pop(filename, None)
        if previous is not None:
            previous.discard()
        if failed or received is None:
            session.errors[filename] = "EUNKNOWN"
        elif received.size != meta["size"]:
            session.errors[filename] = "EBADSIZE"
        elif meta.get("crc32c") is not None and to_signed(received.checksum()) != meta["crc32c"]:
            session.errors[filename] = "ECORRUPT"
        if received is not None:
            if filename in session.errors:
                received.blob.discard()
            else:
                session.blobs[filename] = received.blob
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
        """Turn every received, error-free file of `session` into an asset (or its new content).

        An image whose header cannot be read fails with the service's ingestion error
        (`EBADMIME` for no image format, `ECORRUPT` for a damaged one) instead of becoming an
        asset of unknown size."""
        blobs, session.blobs = session.blobs, {}
        now = self._now_ms()
        for meta in session.assets:
            filename = meta["filename"]
            blob = blobs.pop(filename, None)
            if filename in session.errors or filename not in session.received or blob is None:
                if blob is not None:
                    blob.discard()
                continue
            try:
                width, height = _dimensions(blob, meta["mime"])
            except UnreadableImage as exc:
                session.errors[filename] = exc.code
                blob.discard()
                continue
            existing = next((a for a in ds.assets.values() if a.filename == filename), None)
            if existing is not None:
                if session.on_overwritten == "RemoveLinkedResource":
                    existing.annotations.clear()
                existing.data, existing.path = blob.data, blob.path
                existing.file_size, existing.mime_type = blob.size, meta["mime"]
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
                    file_size=blob.size,
                    height=height,
                    width=width,
                    mime_type=meta["mime"],
                    crc32c=_crc_b64(meta.get("crc32c")),
                    time_created=now,
                    last_updated=now,
                    custom_metadata=dict(meta.get("customMetadata") or {}),
                    data=blob.data,
                    path=blob.path,
                )
                ds.assets[asset.asset_id] = asset
                self._created("asset")
            session.succeeded += 1
        for leftover in blobs.values():
            leftover.discard()

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
                time_created=self._now_ms(),
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

    def receive_part(
        self,
        org_id: str,
        short_id: str,
        upload_id: str,
        part: int,
        data: Optional[bytes],
        received: Any = None,
    ) -> str:
        """S3: store a part (in memory or spooled); returns the ETag (quoted MD5 hex) the client
        must echo back. Callers holding plain bytes may pass only `data`."""
        from .storage_uploads import received_bytes

        if received is None:
            received = received_bytes(data or b"")
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            found = ds.multiparts.get(upload_id)
            if found is None:
                raise NotFound(f"Multipart upload {upload_id} not found")
            upload = self._live_multipart(ds, found.source, upload_id, part)
            previous = upload.parts.get(part)
            if previous is not None:
                previous.discard()
            upload.parts[part] = received.blob
            upload.part_info[part] = (received.size, received.md5)
            return f'"{received.md5}"'

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
            received = self._assemble(upload)
            upload.state = "Completed"
            upload.generation += 1
            self._multipart_done(ds, upload, received)
            return multipart_json(ds, upload)

    def _assemble(self, upload: MultipartRecord) -> Any:
        """The parts joined in order into one upload (a spooled file when large), with its CRC."""
        from ..transfers.crc32c import Crc32c
        from .storage_uploads import Received

        pieces = [upload.parts[n] for n in range(1, upload.part_count + 1)]
        total = sum(p.size for p in pieces)
        crc = Crc32c()
        if total <= self.state.upload_memory_limit:
            data = b"".join(p.read(0, p.size) for p in pieces)
            crc.update(data)
            blob = Blob(data=data)
        else:
            fd, path = tempfile.mkstemp(prefix="multipart-", dir=self.state.spool_dir())
            with os.fdopen(fd, "wb") as out:
                for piece in pieces:
                    for start in range(0, piece.size, 1024 * 1024):
                        chunk = piece.read(start, min(piece.size, start + 1024 * 1024))
                        crc.update(chunk)
                        out.write(chunk)
            blob = Blob(path=path)
        self._drop_parts(upload)
        return Received(total, "", crc.value, blob)

    @staticmethod
    def _drop_parts(upload: MultipartRecord) -> None:
        for piece in upload.parts.values():
            piece.discard()
        upload.parts = {}

    def abort_multipart(self, org_id: str, dataset_id: str, source: str, upload_id: str) -> None:
        """A14: the file counts as errored (EUNKNOWN), so its session can still finish."""
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            upload = self._multipart(ds, source, upload_id)
            if upload.state == "Started":
                upload.state = "Aborted"
                self._drop_parts(upload)
                upload.generation += 1
                self._multipart_done(ds, upload, None, failed=True)

    def _multipart_done(
        self,
        ds: DatasetRecord,
        upload: MultipartRecord,
        received: Any,
        failed: bool = False,
    ) -> None:
        session = next((s for s in ds.ingestions.values() if s.ingestion_id == upload.ingestion_id), None)
        if session is None or session.op.done:
            if received is not None:
                received.blob.discard()
            return
        meta = next((a for a in session.assets if a["filename"] == upload.filename), None)
        if meta is not None:
            self._file_arrived(ds, session, meta, received, failed=failed)
