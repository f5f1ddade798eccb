"""Annotation import sessions: registered files, their uploads, and parsing them into annotations."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from .errors import BadRequest, Conflict, NotFound
from .pagination import Page, page_by_seq
from .records import AnnotationImportRecord, AnnotationRecord, AssetRecord, DatasetRecord
from .state import Family
from .vi_jsonl import BadLine, parse_line
from .views_data import Signer, import_session_json, storage_path

__all__ = ["ImportStore"]

JSON = Dict[str, Any]


def _import_headers(spec: JSON) -> Dict[str, str]:
    """Like a signed GCS URL: the registered CRC-32C travels as `x-goog-hash`."""
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


class ImportStore(Family):
    """Annotation import sessions of a dataset."""

    # -- annotation import sessions --------------------------------------------------------------------

    def create_import(self, org_id: str, dataset_id: str, fields: JSON) -> JSON:
        with self._lock:
            ds = self._dataset(org_id, dataset_id)
            now = self._now_ms()
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
            self.operations.schedule_in(
                self.state.upload_ttl_seconds, lambda: self._expire_import(ds, session)
            )
            return import_session_json(ds, session)

    def _expire_import(self, ds: DatasetRecord, session: AnnotationImportRecord) -> None:
        """The client never reported its files inserted before the upload URLs expired."""
        if (
            ds.imports.get(session.session_id) is not session
            or session.op.done
            or not self._files_open(session)
        ):
            return
        message = "The annotation files were not reported uploaded before the upload URLs expired"
        session.op.fail("ETIMEOUT", message)
        session.reason = message
        session.generation += 1
        self._set_condition(session, "FilesInserted", "FailedReach", self._now_ms())

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
        """Parse the uploaded files line by line (`_parse_import_line`), then FilesParsed + Complete.

        Every line is counted once, `Inserted` or `Rejected`; with `onBadAnnotation=RejectSession`
        one rejected line fails the whole session and nothing is added."""
        if ds.imports.get(session.session_id) is not session or session.op.done:
            return
        now = self._now_ms()
        session.generation += 1
        injected = session.op.failure
        problem = None
        if injected is None:
            missing = [name for name, f in session.files.items() if f.get("data") is None]
            if missing:
                problem = "Files were registered but never uploaded: " + ", ".join(sorted(missing))
        parsed: List[Tuple[AssetRecord, List[JSON]]] = []
        policy = session.spec["failurePolicies"]["onBadAnnotation"]
        if injected is None and problem is None:
            for name, f in session.files.items():
                mine: List[Tuple[AssetRecord, List[JSON]]] = []
                rejected = session.rejected
                for line in (f["data"] or b"").decode("utf-8", "replace").splitlines():
                    if line.strip():
                        self._parse_import_line(ds, line, mine, session)
                if policy == "RejectFile" and session.rejected > rejected:
                    session.inserted -= len(mine)  # the whole file is refused, its good lines too
                    session.rejected += len(mine)
                    session.problems.append(f"file {name!r} rejected (onBadAnnotation=RejectFile)")
                    continue
                parsed.extend(mine)
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
        for asset, parts in parsed:
            group = "grp-" + self._new_id("", ())
            for fields in parts:
                record = AnnotationRecord(
                    annotation_id=self._new_id("ann-", asset.annotations),
                    asset_id=asset.asset_id,
                    seq=self._next_seq(),
                    time_created=now,
                    last_updated=now,
                    **dict({"group_id": group}, **fields),
                )
                asset.annotations[record.annotation_id] = record
                self._created("annotation")
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
        parsed: List[Tuple[AssetRecord, List[JSON]]],
        session: AnnotationImportRecord,
    ) -> None:
        """One JSONL line: the public Vi format (`vi_jsonl.py`), or this server's own
        `{"assetId"|"filename", "spec": AnnotationSpec}` shape. Counted `Inserted` when it adds
        annotations, `Rejected` (with the reason in the session's logs) when it cannot."""
        try:
            asset, parts = self._parse_any(ds, line)
        except BadLine as exc:
            session.rejected += 1
            if len(session.problems) < 100:
                session.problems.append(f"line rejected: {exc}")
            return
        session.inserted += 1
        parsed.append((asset, parts))

    def _parse_any(self, ds: DatasetRecord, line: str) -> Tuple[AssetRecord, List[JSON]]:
        from .bodies import annotation_body
        from .validation import BodyError

        try:
            item = json.loads(line)
        except ValueError as exc:
            raise BadLine(f"not JSON: {exc}") from None
        if not (isinstance(item, dict) and "spec" in item and "contents" not in item):
            named, parts = parse_line(ds, line)
            category = item.get("category") if isinstance(item.get("category"), str) else None
            default = ds.tags.get(category or "", next(iter(ds.tags.values()), 0))
            caption = next((p["caption"] for p in parts if p["role"] == "Caption"), "")
            for part in parts:
                phrase = caption[part["target"][0] : part["target"][1]] if part.get("target") else ""
                part["tag"] = ds.tags.get(phrase, default) if part.get("target") else default
            return named, parts
        asset = ds.assets.get(item["assetId"]) if isinstance(item.get("assetId"), str) else None
        if asset is None and isinstance(item.get("filename"), str):
            asset = next((a for a in ds.assets.values() if a.filename == item["filename"]), None)
        if asset is None:
            raise BadLine("names no asset of the dataset (assetId or filename)")
        try:
            fields = annotation_body({"spec": item["spec"]})
        except BodyError as exc:
            raise BadLine(str(exc)) from None
        fields.pop("attributes", None)
        tag = fields.pop("tag")
        return asset, [dict(fields, tag=tag)]

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
            for problem in session.problems:
                entries.append({"time": entries[-1]["time"], "level": "WARNING", "message": problem})
            if session.reason:
                entries.append({"time": entries[-1]["time"], "level": "ERROR", "message": session.reason})
            return {"annotationImportSessionId": session_id, "entries": entries}
