"""Output for people and for scripts: ``table``, ``json``, ``jsonl`` and ``csv``.

Listings are written page by page as the pages arrive and flushed after each, so ``… | head``
prints at once and a listing of any length holds one page in memory. ``json`` and ``jsonl``
carry every attribute of each record under the SDK's attribute names (``Model.to_dict()``);
``csv`` and ``table`` show a fixed set of columns per resource, named after the same
attributes (dotted for nested ones, e.g. ``metadata.file_size``), so their headers never change
between releases without notice.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any, Dict, Iterable, List, Optional, Sequence

__all__ = ["FORMATS", "default_format", "record_of", "value_at", "Writer"]

FORMATS = ("table", "json", "jsonl", "csv")
_MAX_WIDTH = 48


def default_format(stream: IO[str]) -> str:
    """A table for a person at a terminal, JSON Lines for a pipe or a file."""
    try:
        return "table" if stream.isatty() else "jsonl"
    except (AttributeError, ValueError):
        return "jsonl"


def record_of(item: Any) -> Dict[str, Any]:
    """A plain dict for one SDK object (a decoded model or a dict item)."""
    to_dict = getattr(item, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(item, dict):
        return item
    raise TypeError("cannot print %s" % type(item).__name__)


def value_at(record: Any, path: str) -> Any:
    """The value at a dotted path (``metadata.file_size``), ``None`` where any step is missing."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def _fit(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class Writer:
    """Writes records in one format; :meth:`page` for listings, :meth:`one` for a single record."""

    def __init__(self, fmt: str, columns: Sequence[str], stream: IO[str]) -> None:
        self.fmt = fmt
        self.columns = list(columns)
        self.stream = stream
        self._started = False
        self._widths: Optional[List[int]] = None
        self._csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None

    # -- listings ------------------------------------------------------------------------
    def page(self, items: Iterable[Any]) -> int:
        """Write one page of records and flush; returns how many were written."""
        records = [record_of(item) for item in items]
        if self.fmt == "jsonl":
            for record in records:
                self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self.fmt == "json":
            for record in records:
                self.stream.write(("[\n" if not self._started else ",\n") + self._pretty(record, indent=1))
                self._started = True
        elif self.fmt == "csv":
            assert self._csv is not None
            if not self._started:
                self._csv.writerow(self.columns)
                self._started = True
            for record in records:
                self._csv.writerow([_cell(value_at(record, c)) for c in self.columns])
        else:
            self._table(records)
        self.stream.flush()
        return len(records)

    def close(self) -> None:
        """End a listing (closes the JSON array; an empty listing is ``[]`` or a bare header)."""
        if self.fmt == "json":
            self.stream.write("\n]\n" if self._started else "[]\n")
        elif self.fmt == "csv" and not self._started:
            assert self._csv is not None
            self._csv.writerow(self.columns)
        elif self.fmt == "table" and not self._started:
            self.stream.write("  ".join(self.columns) + "\n")
        self.stream.flush()

    def _table(self, records: List[Dict[str, Any]]) -> None:
        rows = [[_cell(value_at(r, c)) for c in self.columns] for r in records]
        if self._widths is None:
            # The first page sets the widths; later pages reuse them so the listing streams.
            self._widths = [
                min(_MAX_WIDTH, max([len(c)] + [len(row[i]) for row in rows]))
                for i, c in enumerate(self.columns)
            ]
            self._line(self.columns)
            self._started = True
        for row in rows:
            self._line(row)

    def _line(self, cells: Sequence[str]) -> None:
        assert self._widths is not None
        parts = [_fit(cell, w).ljust(w) for cell, w in zip(cells, self._widths)]
        self.stream.write("  ".join(parts).rstrip() + "\n")

    # -- one record ----------------------------------------------------------------------
    def one(self, item: Any) -> None:
        record = record_of(item)
        if self.fmt == "json":
            self.stream.write(self._pretty(record) + "\n")
        elif self.fmt == "jsonl":
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self.fmt == "csv":
            assert self._csv is not None
            self._csv.writerow(self.columns)
            self._csv.writerow([_cell(value_at(record, c)) for c in self.columns])
        else:
            width = max(len(c) for c in self.columns) if self.columns else 0
            for column in self.columns:
                self.stream.write("%s  %s\n" % (column.ljust(width), _cell(value_at(record, column))))
        self.stream.flush()

    @staticmethod
    def _pretty(record: Dict[str, Any], indent: int = 0) -> str:
        text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
        return "\n".join("  " * indent + line for line in text.splitlines()) if indent else text
