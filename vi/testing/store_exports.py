"""Dataset exports: the long-running export operation and the archive it produces."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Dict

from . import views
from .errors import NotFound
from .pagination import Page, page_by_seq
from .records import DatasetRecord, ExportRecord
from .state import Family
from .views_data import Signer, export_json

__all__ = ["ExportStore"]

JSON = Dict[str, Any]

_ZIP_DATE = (2024, 12, 11, 6, 53, 20)
_MAX_ARCHIVE_ASSETS = 1000


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
