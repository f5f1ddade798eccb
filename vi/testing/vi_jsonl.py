"""The public Vi JSONL annotation format: one line per asset, written by exports, read by imports.

A line describes one image and all its annotations::

    {"id": "ast-1a2b3c4d",
     "asset": {"type": "Image", "filename": "frame_0001.jpg", "width": 64, "height": 36},
     "contents": {"type": "PhraseGrounding", "caption": "A car next to a tree",
                  "groundedPhrases": [{"phrase": "car", "startTokenIndex": 2, "endTokenIndex": 5,
                                       "bounds": [[0.1, 0.2, 0.4, 0.5]]}]},
     "category": null}

* ``contents.type`` is ``PhraseGrounding`` for phrase-grounding and freeform datasets and ``Vqa``
  for VQA datasets, whose contents are ``{"type": "Vqa", "interactions": [{"order": 0,
  "question": "...", "answer": "..."}]}``.
* ``startTokenIndex`` / ``endTokenIndex`` are the character span of the phrase in the caption
  (end exclusive: ``caption[start:end] == phrase``), the span the annotation API calls
  ``target``. On import, a span given in words (whitespace tokens) is accepted too.
* ``bounds`` lists boxes as ``[xmin, ymin, xmax, ymax]``, normalised to 0..1 of the image.
* An asset without annotations still has its line, with empty contents (no caption and no
  phrases, or no interactions).
* ``category`` names the tag of the caption (or first interaction), or is null; on import it
  tags the caption, and each box is tagged with the tag its phrase names (else the category).

On import, ``id`` may be an integer or a string and ``category`` is optional; lines are matched to
assets by ``asset.filename``. A line that is not such an object, names no asset of the dataset, or
whose contents do not fit the dataset's type is rejected (and counted as rejected).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from .records import AssetRecord, DatasetRecord

__all__ = ["BadLine", "asset_line", "box_of", "line_annotations", "parse_line"]

JSON = Dict[str, Any]


class BadLine(ValueError):
    """A line of an import file that the service rejects; the message says why."""


def box_of(bound: Optional[List[List[float]]]) -> List[float]:
    """`[xmin, ymin, xmax, ymax]` around the corner points of a bounding-box annotation."""
    points = bound or [[0.0, 0.0]]
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return [min(xs), min(ys), max(xs), max(ys)]


def _contents_type(ds: DatasetRecord) -> str:
    return "Vqa" if ds.type == "vqa" else "PhraseGrounding"


def line_annotations(ds: DatasetRecord, asset: AssetRecord) -> JSON:
    """The `contents` of an asset's line, from its annotation records."""
    records = sorted(asset.annotations.values(), key=lambda a: a.seq)
    if _contents_type(ds) == "Vqa":
        pairs = sorted((a.qa for a in records if a.qa is not None), key=lambda qa: qa[0])
        return {
            "type": "Vqa",
            "interactions": [{"order": o, "question": q, "answer": ans} for o, q, ans in pairs],
        }
    caption_record = next((a for a in records if a.role == "Caption"), None)
    caption = caption_record.caption if caption_record is not None else ""
    group = caption_record.group_id if caption_record is not None else None
    phrases: "OrderedDict[Tuple[int, int], List[List[float]]]" = OrderedDict()
    for ann in records:
        if ann.role != "PhraseGroundingBoundingBox" or (group is not None and ann.group_id != group):
            continue
        start, end = (list(ann.target or [0, 0]) + [0, 0])[:2]
        phrases.setdefault((start, end), []).append(box_of(ann.bound))
    return {
        "type": "PhraseGrounding",
        "caption": caption,
        "groundedPhrases": [
            {"phrase": caption[start:end], "startTokenIndex": start, "endTokenIndex": end, "bounds": bounds}
            for (start, end), bounds in phrases.items()
        ],
    }


def asset_line(ds: DatasetRecord, asset: AssetRecord) -> JSON:
    """The public line of one asset (see the module docstring)."""
    names = {tag: name for name, tag in ds.tags.items()}
    first = min(asset.annotations.values(), key=lambda a: a.seq, default=None)
    return {
        "id": asset.asset_id,
        "asset": {"type": "Image", "filename": asset.filename, "width": asset.width, "height": asset.height},
        "contents": line_annotations(ds, asset),
        "category": names.get(first.tag) if first is not None else None,
    }


# -- import -----------------------------------------------------------------------------------------


def _need(value: Any, kind: Any, where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise BadLine(f"{where} must be {getattr(kind, '__name__', kind)}")
    return value


def _span(caption: str, phrase: str, start: int, end: int) -> Tuple[int, int]:
    """The character span of `phrase`: as given, else read as word indices, else found in the text."""
    if 0 <= start <= end <= len(caption) and caption[start:end] == phrase:
        return start, end
    words, offsets, position = caption.split(), [], 0
    for word in words:
        position = caption.index(word, position)
        offsets.append((position, position + len(word)))
        position += len(word)
    for last in (end, end - 1):  # end exclusive, or inclusive
        if 0 <= start <= last < len(words) and " ".join(words[start : last + 1]) == " ".join(phrase.split()):
            return offsets[start][0], offsets[last][1]
    found = caption.find(phrase) if phrase else -1
    if found < 0:
        raise BadLine(f"phrase {phrase!r} is not in the caption")
    return found, found + len(phrase)


def _phrase_grounding(contents: JSON) -> List[JSON]:
    caption = _need(contents.get("caption"), str, "contents.caption")
    phrases = _need(contents.get("groundedPhrases", []), list, "contents.groundedPhrases")
    made: List[JSON] = [{"role": "Caption", "caption": caption}]
    for index, item in enumerate(phrases):
        where = f"contents.groundedPhrases[{index}]"
        _need(item, dict, where)
        phrase = _need(item.get("phrase"), str, where + ".phrase")
        start = _need(item.get("startTokenIndex"), int, where + ".startTokenIndex")
        end = _need(item.get("endTokenIndex"), int, where + ".endTokenIndex")
        span = _span(caption, phrase, start, end)
        bounds = _need(item.get("bounds"), list, where + ".bounds")
        if not bounds:
            raise BadLine(where + ".bounds is empty")
        for box in bounds:
            if not isinstance(box, list) or len(box) != 4:
                raise BadLine(where + ".bounds must hold [xmin, ymin, xmax, ymax] boxes")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box):
                raise BadLine(where + ".bounds must hold numbers")
            x0, y0, x1, y1 = (float(v) for v in box)
            if not (0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0):
                raise BadLine(where + ".bounds must be normalised boxes with xmin <= xmax and ymin <= ymax")
            bound = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
            made.append({"role": "PhraseGroundingBoundingBox", "bound": bound, "target": list(span)})
    return made


def _vqa(contents: JSON) -> List[JSON]:
    interactions = _need(contents.get("interactions"), list, "contents.interactions")
    made: List[JSON] = []
    for index, item in enumerate(interactions):
        where = f"contents.interactions[{index}]"
        _need(item, dict, where)
        order = _need(item.get("order", index), int, where + ".order")
        question = _need(item.get("question"), str, where + ".question")
        answer = _need(item.get("answer"), str, where + ".answer")
        made.append(
            {"role": "Caption", "caption": f"Q: {question}\nA: {answer}", "qa": (order, question, answer)}
        )
    return made


def parse_line(ds: DatasetRecord, line: str) -> Tuple[AssetRecord, List[JSON]]:
    """The asset a public-format line names and the annotation parts to add to it.

    Raises `BadLine` for anything the service rejects (see the module docstring)."""
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise BadLine(f"not JSON: {exc}") from None
    _need(item, dict, "a line")
    if not isinstance(item.get("id"), (int, str)) or isinstance(item.get("id"), bool):
        raise BadLine("id must be an integer or a string")
    asset_doc = _need(item.get("asset"), dict, "asset")
    if asset_doc.get("type", "Image") != "Image":
        raise BadLine("asset.type must be Image")
    filename = _need(asset_doc.get("filename"), str, "asset.filename")
    asset = next((a for a in ds.assets.values() if a.filename == filename), None)
    if asset is None:
        raise BadLine(f"no asset named {filename!r} in the dataset")
    contents = _need(item.get("contents"), dict, "contents")
    kind = contents.get("type")
    if kind != _contents_type(ds):
        raise BadLine(f"contents.type {kind!r} does not fit a {ds.type} dataset")
    parts = _vqa(contents) if kind == "Vqa" else _phrase_grounding(contents)
    return asset, parts
