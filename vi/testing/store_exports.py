"""Dataset exports: the long-running export operation and the archive it produces."""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any, Dict

from .contents import Blob, asset_content
from .errors import NotFound
from .export_formats import write_archive
from .pagination import Page, page_by_seq
from .records import DatasetRecord, ExportRecord
from .state import Family
from .views_data import Signer, export_json

__all__ = ["ExportStore"]

JSON = Dict[str, Any]


class ExportStore(Family):
    """Exports of a dataset."""

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

    def export_archive(self, org_id: str, short_id: str, export_id: str) -> Blob:
        """The finished archive of an export (in memory, or a file when large)."""
        with self._lock:
            ds = self._dataset_by_short(org_id, short_id)
            export = self._export(ds, export_id)
            if export.archive is None:
                raise NotFound(f"Dataset export {export_id} has no archive (not finished)")
            archive: Blob = export.archive
            return archive

    def _export_archive(self, ds: DatasetRecord, export: ExportRecord) -> Blob:
        """The archive in the service's layout for the export's format (see `export_formats.py`).

        Assets are split in creation order (`training` takes the first `splitRatio` of them);
        each asset's file is its one content, copied piece by piece, so a large export is
        written to the server's temporary folder rather than held in memory."""
        assets = list(ds.assets.values())
        if export.split_ratio is not None:
            cut = int(round(len(assets) * export.split_ratio))
            splits = [("training", assets[:cut]), ("validation", assets[cut:])]
        else:
            splits = [("dump", assets)]
        contents = {a.asset_id: asset_content(a) for a in assets}
        metadata = {
            "name": ds.name,
            "organizationId": ds.org_id,
            "exportDir": "",
            "createdAt": export.op.created_ms // 1000,
            "license": None,
            "datasetId": ds.short_id,
            "datasetType": ds.type,
            "datasetExportId": export.export_id,
            "format": export.format,
            "splitRatio": export.split_ratio,
        }
        full = export.format == "ViFull"
        large = full and sum(c.size for c in contents.values()) > self.state.upload_memory_limit
        if large:
            fd, path = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=self.state.spool_dir())
            with os.fdopen(fd, "w+b") as handle:
                write_archive(
                    handle,
                    ds,
                    export.format,
                    export.normalized,
                    splits,
                    lambda a: contents[a.asset_id].chunks(),
                    metadata,
                )
            return Blob(path=path)
        buffer = io.BytesIO()
        write_archive(
            buffer,
            ds,
            export.format,
            export.normalized,
            splits,
            lambda a: contents[a.asset_id].chunks(),
            metadata,
        )
        return Blob(data=buffer.getvalue())
