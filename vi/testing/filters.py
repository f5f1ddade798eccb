"""Asset query syntax the local server understands (A1 list, A4 count, D14 bulk delete, W1).

* `filter` — a string: case-insensitive substring of the filename (`filter=frame_00` matches
  `frame_0001.jpg`). An object (D14's JSON body, or a JSON / Python-repr dict in the query, as the
  official SDK sends dicts) may hold `filename` (substring), `assetId` (exact), `status`
  (exact) and `folder` (exact folder path); any other key is a 400 naming `filter`.
* `metadataQuery` — `key:value` terms joined by `,` (all must hold) over `customMetadata`.
  With `strictQuery` (`y`/`true`) values must equal the stored value's text exactly; otherwise a
  case-insensitive substring suffices. Booleans compare as `true`/`false`.
* `ruleQuery` — not supported: a non-empty value is a 400, so no caller silently gets "all assets".
* `annotationFilter` (W1 only) — substring of a caption or of a tag name of the asset's annotations.

An empty or absent filter matches everything.
"""

from __future__ import annotations

import ast
import json
from typing import Any, Callable, Dict, List, Optional, Tuple

from .errors import BadRequest
from .records import AssetRecord, DatasetRecord

__all__ = ["AssetQuery", "parse_bool", "parse_filter"]

_FILTER_KEYS = ("filename", "assetId", "status", "folder")


def parse_bool(raw: Optional[str]) -> bool:
    return (raw or "").strip().lower() in ("y", "yes", "true", "1")


def parse_filter(raw: Any) -> Dict[str, str]:
    """A filter value (string or object) → `{key: value}` over `_FILTER_KEYS`."""
    if raw is None or raw == "":
        return {}
    value = raw
    if isinstance(raw, str):
        text = raw.strip()
        if not text.startswith("{"):
            return {"filename": raw}
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise BadRequest(f"Invalid field 'filter': cannot parse {raw[:64]!r}") from None
    if not isinstance(value, dict):
        raise BadRequest("Invalid field 'filter': must be a string or an object")
    for key, item in value.items():
        if key not in _FILTER_KEYS:
            raise BadRequest(
                "Invalid field 'filter': unsupported key {!r} (supported: {})".format(
                    key, ", ".join(_FILTER_KEYS)
                )
            )
        if not isinstance(item, str):
            raise BadRequest(f"Invalid field 'filter': value of {key!r} must be a string")
    return dict(value)


def _parse_metadata_query(raw: Optional[str]) -> List[Tuple[str, str]]:
    terms = []
    for term in (raw or "").split(","):
        term = term.strip()
        if not term:
            continue
        key, sep, value = term.partition(":")
        if not sep or not key.strip():
            raise BadRequest(f"Invalid field 'metadataQuery': expected key:value terms, got {term!r}")
        terms.append((key.strip(), value.strip()))
    return terms


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class AssetQuery:
    """A compiled predicate over one dataset's assets."""

    def __init__(
        self,
        filter_value: Any = None,
        metadata_query: Optional[str] = None,
        rule_query: Optional[str] = None,
        strict: bool = False,
        annotation_filter: Optional[str] = None,
    ) -> None:
        if rule_query:
            raise BadRequest("Invalid field 'ruleQuery': rule queries are not supported by the local server")
        self.filter = parse_filter(filter_value)
        self.metadata = _parse_metadata_query(metadata_query)
        self.strict = strict
        self.annotation_filter = (annotation_filter or "").lower() or None

    @classmethod
    def from_query(cls, query: Dict[str, str], annotations: bool = False) -> "AssetQuery":
        return cls(
            query.get("filter"),
            query.get("metadataQuery"),
            query.get("ruleQuery"),
            parse_bool(query.get("strictQuery")),
            query.get("annotationFilter") if annotations else None,
        )

    @property
    def empty(self) -> bool:
        return not (self.filter or self.metadata or self.annotation_filter)

    def predicate(self, ds: DatasetRecord) -> Callable[[AssetRecord], bool]:
        if self.empty:
            return lambda asset: True
        names = {index: name for name, index in ds.tags.items()}

        def matches(asset: AssetRecord) -> bool:
            f = self.filter
            if "filename" in f and f["filename"].lower() not in asset.filename.lower():
                return False
            if "assetId" in f and f["assetId"] != asset.asset_id:
                return False
            if "status" in f and f["status"] != asset.status:
                return False
            if "folder" in f and f["folder"] != asset.folder:
                return False
            for key, wanted in self.metadata:
                if key not in asset.custom_metadata:
                    return False
                actual = _text(asset.custom_metadata[key])
                if self.strict:
                    if actual != wanted:
                        return False
                elif wanted.lower() not in actual.lower():
                    return False
            if self.annotation_filter:
                needle = self.annotation_filter
                if not any(
                    needle in a.caption.lower() or needle in names.get(a.tag, "").lower()
                    for a in asset.annotations.values()
                ):
                    return False
            return True

        return matches
