"""Small datasets on disk in the layout of the service's export archives, made by the tests.

``write_dataset(root, {"dump": [item, ...]})`` writes ``<root>/<split>/images/<filename>`` and
the annotation lines in the public Vi JSONL format, plus ``metadata.json``. An item is a dict:
``filename``, optional ``data`` (bytes; a tiny PNG of ``width`` × ``height`` by default) and
``annotations`` (a list of ``contents`` dicts; ``[]`` for an unannotated image).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from typing import Any, Dict, Iterable, List, Optional

__all__ = ["png", "phrase_grounding", "vqa", "freeform", "annotation_line", "write_dataset", "tree_snapshot"]


def png(width: int = 4, height: int = 3, shade: int = 0) -> bytes:
    """A valid, decodable grey PNG (so Pillow can open it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([shade % 256]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def phrase_grounding(
    caption: str = "a red car on a road", phrase: str = "red car", box=None
) -> Dict[str, Any]:
    start = caption.index(phrase)
    return {
        "type": "PhraseGrounding",
        "caption": caption,
        "groundedPhrases": [
            {
                "phrase": phrase,
                "startTokenIndex": start,
                "endTokenIndex": start + len(phrase),
                "bounds": [list(box or [0.1, 0.2, 0.5, 0.6])],
            }
        ],
    }


def vqa(*pairs) -> Dict[str, Any]:
    pairs = pairs or (("What colour is the car?", "Red"),)
    return {
        "type": "Vqa",
        "interactions": [{"order": i, "question": q, "answer": a} for i, (q, a) in enumerate(pairs)],
    }


def freeform(text: str = "A quiet street at dusk.") -> Dict[str, Any]:
    return {"type": "Freeform", "text": text}


def annotation_line(
    filename: str,
    contents: Dict[str, Any],
    *,
    width: int = 4,
    height: int = 3,
    ident: str = "ann",
    category=None,
) -> str:
    document = {
        "id": ident,
        "asset": {"type": "Image", "filename": filename, "width": width, "height": height},
        "contents": contents,
        "category": category,
    }
    return json.dumps(document, separators=(",", ":"))


def write_dataset(
    root,
    splits: Dict[str, Iterable[Dict[str, Any]]],
    *,
    images: Optional[str] = "images",
    one_file: bool = True,
    metadata: Optional[Dict[str, Any]] = None,
    reverse_lines: bool = False,
) -> str:
    """Write a dataset folder; ``images=None`` leaves the images out (an annotations-only export),
    ``one_file=False`` writes one ``.jsonl`` per image (named so they do not sort like the images),
    ``reverse_lines`` writes the lines in the opposite order of the images."""
    root = os.fspath(root)
    os.makedirs(root, exist_ok=True)
    for split, items in splits.items():
        folder = os.path.join(root, split)
        os.makedirs(os.path.join(folder, "annotations"), exist_ok=True)
        if images:
            os.makedirs(os.path.join(folder, images), exist_ok=True)
        lines: List[str] = []
        for n, item in enumerate(items):
            name = item["filename"]
            width, height = item.get("width", 4), item.get("height", 3)
            if images:
                with open(os.path.join(folder, images, name), "wb") as handle:
                    handle.write(item.get("data") or png(width, height, n))
            mine = [
                annotation_line(name, c, width=width, height=height, ident="%s-%s-%d" % (split, name, k))
                for k, c in enumerate(item.get("annotations", []))
            ]
            if one_file:
                lines.extend(mine)
            elif mine:
                # z-first names: the files sort in the reverse order of the images
                path = os.path.join(folder, "annotations", "%06d.jsonl" % (10**6 - 1 - n))
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write("\n".join(mine) + "\n")
        if one_file:
            if reverse_lines:
                lines.reverse()
            with open(
                os.path.join(folder, "annotations", "annotations.jsonl"), "w", encoding="utf-8"
            ) as handle:
                handle.write("".join(line + "\n" for line in lines))
    document = {
        "name": os.path.basename(root),
        "organizationId": "org-1",
        "exportDir": root,
        "createdAt": 1700000000,
    }
    document.update(metadata or {})
    with open(os.path.join(root, "metadata.json"), "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return root


def tree_snapshot(root) -> Dict[str, Any]:
    """Every path under ``root`` with its size and modification time (to prove nothing changed)."""
    out = {}
    for folder, dirs, files in os.walk(os.fspath(root)):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.stat(path)
            out[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns, os.path.isdir(path))
    return out
