"""Listings and datasets as tables: flat rows, a pandas DataFrame, CSV and JSON Lines.

Every table starts as an iterator of flat rows (plain ``dict``), one per item, so the writers
stream: ``write_csv(client.assets.list(ds).all_items(), "assets.csv")`` holds one page of the
walk at a time, whatever its length. :func:`to_dataframe` needs pandas (the ``pandas`` extra);
the CSV and JSON Lines writers need only the standard library.

Columns, by what is being tabulated:

*assets* (``client.assets.list(...)``): ``asset_id``, ``dataset_id``, ``filename``,
``file_size`` (bytes), ``width``, ``height``, ``mime_type``, ``status``, ``upload_status``,
``annotation_total``, ``tags`` (the names of the tags its annotations carry, sorted),
``time_created``, ``last_updated`` (epoch ms), then one ``meta.<key>`` column per custom
metadata key. Signed download URLs are left out (they are short-lived credentials).

*annotations* (``client.annotations.list(...)``): ``annotation_id``, ``asset_id``,
``dataset_id``, ``kind`` (``Caption`` or ``PhraseGroundingBoundingBox``), ``bound_type``, ``tag``,
``role``, ``whole_id`` (the annotation the part belongs to), ``caption``, ``bound``,
``target_start``, ``target_end``, ``time_created``, ``last_updated``.

*a loaded dataset* (:class:`vi.dataset.ViDataset`, one row per image): ``split``, ``filename``,
``filepath``, ``width``, ``height``, ``annotation_count``, ``annotation_types``; and per
annotation (:meth:`vi.dataset.ViDataset.annotation_rows`): ``split``, ``filename``, ``width``,
``height``, ``annotation_id``, ``type``, ``category``, ``caption``, ``text``, ``phrases`` (each
``{phrase, start, end, bounds}``), ``interactions`` (each ``{order, question, answer}``).

In CSV, list and dict values are written as JSON; ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import chain, islice
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import ViError

__all__ = [
    "ASSET_COLUMNS",
    "ANNOTATION_COLUMNS",
    "LOADED_ASSET_COLUMNS",
    "LOADED_ANNOTATION_COLUMNS",
    "rows",
    "asset_row",
    "annotation_row",
    "loaded_asset_row",
    "loaded_annotation_row",
    "to_dataframe",
    "write_csv",
    "write_jsonl",
    "to_csv_string",
]

Row = Dict[str, Any]
Target = Union[str, "IO[str]"]

ASSET_COLUMNS = (
    "asset_id",
    "dataset_id",
    "filename",
    "file_size",
    "width",
    "height",
    "mime_type",
    "status",
    "upload_status",
    "annotation_total",
    "tags",
    "time_created",
    "last_updated",
)
ANNOTATION_COLUMNS = (
    "annotation_id",
    "asset_id",
    "dataset_id",
    "kind",
    "bound_type",
    "tag",
    "role",
    "whole_id",
    "caption",
    "bound",
    "target_start",
    "target_end",
    "time_created",
    "last_updated",
)
LOADED_ASSET_COLUMNS = (
    "split",
    "filename",
    "filepath",
    "width",
    "height",
    "annotation_count",
    "annotation_types",
)
LOADED_ANNOTATION_COLUMNS = (
    "split",
    "filename",
    "width",
    "height",
    "annotation_id",
    "type",
    "category",
    "caption",
    "text",
    "phrases",
    "interactions",
)
#: how many rows the CSV writer reads ahead to find the ``meta.<key>`` columns
CSV_SAMPLE_ROWS = 1000
#: the CSV column for keys first seen after the sample (a JSON object), so nothing is dropped
EXTRA_COLUMN = "extra"


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def asset_row(asset: Any) -> Row:
    """One API asset → one flat row (see the module docs for the columns)."""
    meta = _get(asset, "metadata")
    with_tag = _get(meta, "annotations", "with_tag") or {}
    row: Row = {
        "asset_id": _get(asset, "asset_id"),
        "dataset_id": _get(asset, "dataset_id"),
        "filename": _get(asset, "filename"),
        "file_size": _get(meta, "file_size"),
        "width": _get(meta, "width"),
        "height": _get(meta, "height"),
        "mime_type": _get(meta, "mime_type"),
        "status": _get(meta, "status"),
        "upload_status": _get(meta, "upload_status"),
        "annotation_total": _get(meta, "annotations", "total"),
        "tags": sorted(name for name, count in with_tag.items() if count),
        "time_created": _get(meta, "time_created"),
        "last_updated": _get(meta, "last_updated"),
    }
    for key, value in (_get(meta, "custom_metadata") or {}).items():
        row["meta.%s" % key] = value
    return row


def annotation_row(annotation: Any) -> Row:
    """One API annotation (a caption or a box of a phrase-grounding annotation) → a flat row."""
    spec = _get(annotation, "spec")
    contents = _get(spec, "contents")
    kind = contents.get("kind") if isinstance(contents, dict) else getattr(contents, "KIND", None)
    target = _get(contents, "target")
    target = target if isinstance(target, (list, tuple)) and len(target) == 2 else (None, None)
    return {
        "annotation_id": _get(annotation, "annotation_id"),
        "asset_id": _get(annotation, "asset_id"),
        "dataset_id": _get(annotation, "dataset_id"),
        "kind": kind,
        "bound_type": _get(spec, "bound_type"),
        "tag": _get(spec, "tag"),
        "role": _get(spec, "aggregation", "this_part", "role"),
        "whole_id": _get(spec, "aggregation", "whole", "id"),
        "caption": _get(contents, "contents") if kind == "Caption" else None,
        "bound": _get(contents, "bound"),
        "target_start": target[0],
        "target_end": target[1],
        "time_created": _get(annotation, "metadata", "time_created"),
        "last_updated": _get(annotation, "metadata", "last_updated"),
    }


def loaded_asset_row(asset: Any, annotations: Sequence[Any]) -> Row:
    """One ``(ViAsset, annotations)`` pair of a loaded dataset → a flat row."""
    types = sorted({t for t in (a.type for a in annotations) if t})
    return {
        "split": asset.split,
        "filename": asset.filename,
        "filepath": asset.filepath,
        "width": asset.width,
        "height": asset.height,
        "annotation_count": len(annotations),
        "annotation_types": types,
    }


def loaded_annotation_row(asset: Any, annotation: Any) -> Row:
    """One annotation of a loaded dataset (with its asset) → a flat row."""
    contents = annotation.contents
    caption = _get(contents, "caption")
    phrases = None
    grounded = _get(contents, "grounded_phrases")
    if grounded is not None:
        phrases = [
            {
                "phrase": p.phrase,
                "start": p.start_token_index,
                "end": p.end_token_index,
                "bounds": [list(b) for b in p.bounds],
            }
            for p in grounded
        ]
    pairs = _get(contents, "interactions")
    interactions = None
    if pairs is not None:
        interactions = [
            {"order": _get(p, "order"), "question": _get(p, "question"), "answer": _get(p, "answer")}
            for p in pairs
        ]
    return {
        "split": asset.split,
        "filename": asset.filename,
        "width": asset.width,
        "height": asset.height,
        "annotation_id": annotation.id,
        "type": annotation.type,
        "category": annotation.category,
        "caption": caption,
        "text": _get(contents, "text"),
        "phrases": phrases,
        "interactions": interactions,
    }


def _row_of(item: Any) -> Row:
    if isinstance(item, dict):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        return loaded_asset_row(item[0], item[1])
    if hasattr(item, "annotation_id") and hasattr(item, "spec"):
        return annotation_row(item)
    if hasattr(item, "asset_id") and hasattr(item, "metadata"):
        return asset_row(item)
    if hasattr(item, "contents") and hasattr(item, "asset") and hasattr(item, "id"):
        return loaded_annotation_row(item.asset, item)
    raise ViError(
        "Cannot make a table row of %s" % type(item).__name__,
        suggestion="Pass assets, annotations, a loaded ViDataset or its pairs, or plain dicts",
    )


def rows(items: Any) -> Iterator[Row]:
    """Flat rows of ``items``: a :class:`~vi.pagination.Page` (every page of it), any iterable
    of API assets or annotations, a :class:`~vi.dataset.ViDataset`, its pairs, or dicts."""
    if hasattr(items, "all_items") and callable(items.all_items):
        items = items.all_items()
    return (_row_of(item) for item in items)


def _base_columns(first: Row) -> Tuple[str, ...]:
    for columns in (ASSET_COLUMNS, ANNOTATION_COLUMNS, LOADED_ASSET_COLUMNS, LOADED_ANNOTATION_COLUMNS):
        if all(c in first for c in columns):
            return columns
    return tuple(first)


def to_dataframe(items: Any, columns: Optional[Sequence[str]] = None) -> Any:
    """A pandas DataFrame of :func:`rows` ``(items)`` (the ``pandas`` extra). ``columns`` picks
    and orders columns; by default the documented ones come first, then ``meta.*`` columns."""
    try:
        import pandas
    except ImportError:
        raise ViError(
            "to_dataframe needs pandas, which is not installed",
            suggestion="pip install 'vi-requests[pandas]', or write CSV / JSON Lines with vi.tables",
        ) from None
    records = list(rows(items))
    if columns is None and records:
        seen: Dict[str, None] = dict.fromkeys(_base_columns(records[0]))
        for record in records:
            for key in record:
                seen.setdefault(key, None)
        columns = list(seen)
    return pandas.DataFrame.from_records(records, columns=list(columns) if columns is not None else None)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=_plain)
    return value


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError("%s is not JSON serialisable" % type(value).__name__)


class _Opened:
    """A path opened for writing text (closed after), or a file object the caller owns."""

    def __init__(self, target: Any) -> None:
        self._owned = isinstance(target, str) or hasattr(target, "__fspath__")
        self.handle: IO[str] = open(target, "w", encoding="utf-8", newline="") if self._owned else target

    def __enter__(self) -> IO[str]:
        return self.handle

    def __exit__(self, *exc: Any) -> None:
        if self._owned:
            self.handle.close()


def write_csv(items: Any, target: Target, columns: Optional[Sequence[str]] = None) -> int:
    """Write :func:`rows` ``(items)`` as CSV with a header; returns the number of rows.

    Streams: at most :data:`CSV_SAMPLE_ROWS` rows are held, read ahead to find the columns
    (documented ones first, then ``meta.*``). A key first seen later goes, with its value, into
    a JSON object in the last column, ``extra``, rather than being dropped. With ``columns``,
    exactly those columns are written and nothing is read ahead."""
    stream = rows(items)
    if columns is None:
        sample = list(islice(stream, CSV_SAMPLE_ROWS))
        seen: Dict[str, None] = dict.fromkeys(_base_columns(sample[0])) if sample else {}
        for record in sample:
            for key in record:
                seen.setdefault(key, None)
        header: List[str] = list(seen) + [EXTRA_COLUMN]
        stream = chain(sample, stream)
        extra = True
    else:
        header, extra = list(columns), False
    known = set(header)
    count = 0
    with _Opened(target) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in stream:
            line = [_cell(record.get(c)) for c in header]
            if extra:
                more = {k: v for k, v in record.items() if k not in known}
                line[-1] = _cell(more) if more else ""
            writer.writerow(line)
            count += 1
    return count


def write_jsonl(items: Any, target: Target) -> int:
    """Write :func:`rows` ``(items)`` as JSON Lines, one object per row; returns the count."""
    count = 0
    with _Opened(target) as handle:
        for record in rows(items):
            handle.write(json.dumps(record, ensure_ascii=False, default=_plain, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


def to_csv_string(items: Any, columns: Optional[Sequence[str]] = None) -> str:
    """:func:`write_csv` into a string (for small tables and tests)."""
    buffer = io.StringIO()
    write_csv(items, buffer, columns)
    return buffer.getvalue()
