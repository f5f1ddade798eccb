"""The index of one split: which annotation lines belong to which image, built in one pass.

Opening a split reads every annotation file once, line by line, and keeps only where each line
starts (file number and byte offset), grouped by the image it names. Lines are decoded again
when an asset is asked for, so the memory held is a few integers per line plus the file names,
whatever the size of the annotations, and any asset can be read without reading the files
before it. Annotations are paired with images by the file name in ``asset.filename``, never by
position.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from array import array
from bisect import bisect_left
from collections import OrderedDict
from typing import IO, Any, Dict, Iterable, List, Optional, Sequence, Tuple, overload

from ..errors import ViInvalidFileFormatError
from .annotations import AnnotationFormatError, ViAnnotation, load_annotation
from .layout import annotation_files, image_files, images_dir

__all__ = ["SplitIndex", "ViDatasetWarning"]

#: how many annotation files one split keeps open at once (exports may have one per image)
MAX_OPEN_FILES = 16
_UNKNOWN = -1


class ViDatasetWarning(UserWarning):
    """Something in a downloaded dataset that is odd but readable (an image nobody annotated)."""


def _bad_line(path: str, line: int, what: str) -> ViInvalidFileFormatError:
    return ViInvalidFileFormatError(
        "%s, line %d: %s" % (path, line, what),
        details={"file": path, "line": line},
        suggestion="Fix or remove that line, or download the dataset again (overwrite=True)",
    )


def _asset_of(document: Any, path: str, line: int) -> Tuple[str, int, int]:
    """``asset.filename`` (and its width/height when given) of one decoded line."""
    asset = document.get("asset") if isinstance(document, dict) else None
    filename = asset.get("filename") if isinstance(asset, dict) else None
    if not isinstance(filename, str) or not filename:
        raise _bad_line(path, line, "no asset.filename: not a Vi JSONL annotation")
    width, height = asset.get("width"), asset.get("height")  # type: ignore[union-attr]
    ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (width, height))
    return filename, (width if ok else _UNKNOWN), (height if ok else _UNKNOWN)


class Names(Sequence[str]):
    """Many short strings kept as one: the joined text and where each one starts.

    A list of 100,000 file names costs about 75 bytes a name in string headers and pointers;
    this costs the characters plus 8 bytes. Indexing slices one out; ``bisect`` works on it."""

    __slots__ = ("_text", "_starts")

    def __init__(self, names: Iterable[str] = ()) -> None:
        starts = array("q", [0])
        parts: List[str] = []
        for name in names:
            parts.append(name)
            starts.append(starts[-1] + len(name))
        self._text = "".join(parts)
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> List[str]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("name index out of range")
        return self._text[self._starts[index] : self._starts[index + 1]]

    def __getstate__(self) -> Tuple[str, Any]:
        return (self._text, self._starts)

    def __setstate__(self, state: Tuple[str, Any]) -> None:
        self._text, self._starts = state


class _Handles:
    """Open annotation files shared by every thread, each read under one lock (seek + readline
    must not interleave). Dropped on pickling and reopened on demand, so an index travels to
    worker processes without file handles."""

    def __init__(self, folder: str, names: Names) -> None:
        self.folder = folder
        self.names = names
        self._lock = threading.Lock()
        self._open: "OrderedDict[int, IO[bytes]]" = OrderedDict()

    def read(self, file_no: int, offset: int) -> bytes:
        with self._lock:
            handle = self._open.get(file_no)
            if handle is None:
                handle = open(self.path(file_no), "rb")
                self._open[file_no] = handle
                while len(self._open) > MAX_OPEN_FILES:
                    self._open.popitem(last=False)[1].close()
            else:
                self._open.move_to_end(file_no)
            handle.seek(offset)
            return handle.readline()

    def path(self, file_no: int) -> str:
        return os.path.join(self.folder, self.names[file_no])

    def close(self) -> None:
        with self._lock:
            while self._open:
                self._open.popitem()[1].close()

    def __getstate__(self) -> Dict[str, Any]:
        return {"folder": self.folder, "names": self.names}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(state["folder"], state["names"])  # type: ignore[misc]


class SplitIndex:
    """One split's assets (sorted by file name) and, per asset, where its annotation lines are."""

    def __init__(self, root: str, split: str, *, warn: bool = True) -> None:
        self.split = split
        self.split_dir = os.path.join(root, split)
        self.images_dir = images_dir(self.split_dir)
        # Names are kept compact: an export may have 100,000 images and one annotation file each.
        images = image_files(self.images_dir) if self.images_dir is not None else []
        self.names: Sequence[str] = Names(images)
        del images
        folder = os.path.join(self.split_dir, "annotations")
        self._handles = _Handles(folder, Names(annotation_files(self.split_dir)))
        self._build()
        if warn:
            self._warn_unannotated()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        from_images = self.images_dir is not None
        # With an images folder the names are already sorted: find each line's image by binary
        # search (no dictionary of 100,000 names next to the list). Without one, the names are
        # discovered from the lines.
        names = self.names
        lookup: Dict[str, int] = {}
        width = array("i", [_UNKNOWN]) * len(self.names)
        height = array("i", [_UNKNOWN]) * len(self.names)
        rec_asset, rec_file, rec_line = array("i"), array("i"), array("i")
        rec_offset = array("q")
        for file_no in range(len(self._handles.names)):
            path = self._handles.path(file_no)
            with open(path, "rb") as handle:
                offset, line_no = 0, 0
                for raw in handle:
                    line_no += 1
                    start, offset = offset, offset + len(raw)
                    if not raw.strip():
                        continue
                    try:
                        document = json.loads(raw)
                    except ValueError as err:
                        raise _bad_line(path, line_no, "not valid JSON (%s)" % err) from None
                    filename, w, h = _asset_of(document, path, line_no)
                    del document
                    if from_images:
                        index = bisect_left(names, filename)
                        found = index < len(names) and names[index] == filename
                    else:
                        index = lookup.get(filename, -1)
                        found = index >= 0
                    if not found:
                        if from_images:
                            raise _bad_line(
                                path,
                                line_no,
                                "annotation for %r, which is not in %s" % (filename, self.images_dir),
                            )
                        index = lookup[filename] = len(lookup)
                        width.append(_UNKNOWN)
                        height.append(_UNKNOWN)
                    if width[index] == _UNKNOWN and w != _UNKNOWN:
                        width[index], height[index] = w, h
                    rec_asset.append(index)
                    rec_file.append(file_no)
                    rec_line.append(line_no)
                    rec_offset.append(start)
        if not from_images:  # an annotations-only export: the assets are the names the lines use
            self.names = Names(sorted(lookup))
            new_place = array("i", [0]) * len(self.names)
            for new, name in enumerate(self.names):
                new_place[lookup[name]] = new
            rec_asset = array("i", (new_place[a] for a in rec_asset))
            old_w, old_h = width, height
            width, height = array("i", old_w), array("i", old_h)
            for old, new in enumerate(new_place):
                width[new], height[new] = old_w[old], old_h[old]
        del lookup
        # Group the records by asset (a counting sort keeps each asset's lines in file order).
        starts = array("q", [0]) * (len(self.names) + 1)
        for a in rec_asset:
            starts[a + 1] += 1
        for i in range(len(self.names)):
            starts[i + 1] += starts[i]
        fill = array("q", starts)
        order = array("i", [0]) * len(rec_asset)
        for record, a in enumerate(rec_asset):
            order[fill[a]] = record
            fill[a] += 1
        self._starts, self._order = starts, order
        self._file, self._line, self._offset = rec_file, rec_line, rec_offset
        self._width, self._height = width, height

    def _warn_unannotated(self) -> None:
        starts = self._starts
        bare = [i for i in range(len(self.names)) if starts[i] == starts[i + 1]]
        if not bare:
            return
        shown = ", ".join(os.path.join(self.images_dir or "", self.names[i]) for i in bare[:5])
        more = " and %d more" % (len(bare) - 5) if len(bare) > 5 else ""
        warnings.warn(
            "%d asset(s) of the %s split have no annotations: %s%s" % (len(bare), self.split, shown, more),
            ViDatasetWarning,
            stacklevel=4,
        )

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.names)

    @property
    def annotation_count(self) -> int:
        """Annotation lines in the split."""
        return len(self._order)

    def count_of(self, index: int) -> int:
        return int(self._starts[index + 1] - self._starts[index])

    def position(self, filename: str) -> Optional[int]:
        """The index of the asset named ``filename``, or None."""
        i = bisect_left(self.names, filename)
        return i if i < len(self.names) and self.names[i] == filename else None

    def dimensions(self, index: int) -> Tuple[Optional[int], Optional[int]]:
        w, h = self._width[index], self._height[index]
        return (None if w == _UNKNOWN else w, None if h == _UNKNOWN else h)

    def filepath(self, index: int) -> Optional[str]:
        if self.images_dir is None:
            return None
        return os.path.join(self.images_dir, self.names[index])

    def annotations(self, index: int) -> List[ViAnnotation]:
        """The annotations of asset ``index``, decoded now, in file order."""
        out = []
        for k in range(self._starts[index], self._starts[index + 1]):
            record = self._order[k]
            file_no = self._file[record]
            raw = self._handles.read(file_no, self._offset[record])
            path, line = self._handles.path(file_no), self._line[record]
            try:
                document = json.loads(raw)
            except ValueError as err:
                raise _bad_line(path, line, "not valid JSON (%s); was the file changed?" % err) from None
            try:
                out.append(load_annotation(document))
            except AnnotationFormatError as err:
                raise _bad_line(path, line, "not a valid annotation: %s" % err) from None
        return out

    def close(self) -> None:
        self._handles.close()
