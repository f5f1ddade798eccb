"""What an upload sends: files and ``(name, bytes)`` pairs turned into checked upload sources.

Everything is checked before the first request: missing paths, folders without a matching file,
unsupported extensions and two files that would land under one name raise
``ViValidationError`` naming each problem. A source is read from disk only while it is sent,
through :class:`FileSlice`, a seekable window of exactly the bytes announced (so the storage
session can rewind it for a retry, and ``Content-Length`` is always right).
"""

from __future__ import annotations

import fnmatch
import io
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import ViInvalidParameterError, ViValidationError
from .progress import Progress

__all__ = [
    "MIME_TYPES",
    "ANNOTATION_EXTENSIONS",
    "Source",
    "FileSlice",
    "Cancelled",
    "SourceChanged",
    "asset_sources",
    "annotation_sources",
]

#: Extension → MIME type sent for assets; anything else is not an asset.
MIME_TYPES: Dict[str, str] = {
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".jp2": "image/jp2",
    ".j2k": "image/jp2",
    ".png": "image/png",
    ".tiff": "image/tiff",
    ".tif": "image/tiff",
    ".webp": "image/webp",
    ".3gp": "video/3gpp",
    ".3gpp": "video/3gpp",
    ".avi": "video/x-msvideo",
    ".asf": "video/x-ms-asf",
    ".wmv": "video/x-ms-asf",
    ".f4v": "video/mp4",
    ".mp4": "video/mp4",
    ".flv": "video/x-flv",
    ".m4v": "video/x-m4v",
    ".mkv": "video/matroska",
    ".mpg": "video/mpeg",
    ".mov": "video/quicktime",
    ".movie": "video/quicktime",
    ".qt": "video/quicktime",
    ".ogg": "video/ogg",
    ".ogv": "video/ogg",
    ".rm": "application/vnd.rn-realmedia",
    ".rmv": "application/vnd.rn-realmedia",
    ".webm": "video/webm",
}
ANNOTATION_EXTENSIONS = (".json", ".jsonl")


@dataclass
class Source:
    name: str  # the file name sent to the service: unique within one call
    path: Optional[str]  # absolute path, or None for bytes
    data: Optional[bytes]
    size: int
    mtime_ns: Optional[int]
    mime: str
    kind: str
    crc: Optional[int] = None  # unsigned CRC-32C once computed

    def source(self) -> str:
        return self.path if self.path is not None else "<bytes %s>" % self.name

    def open(self) -> Any:
        if self.data is not None:
            return io.BytesIO(self.data)
        return open(self.path, "rb")  # type: ignore[arg-type]


class Cancelled(Exception):
    """Raised inside a body read once the transfer is being abandoned."""


class SourceChanged(Exception):
    """The file on disk no longer has the size it had when it was announced."""


class FileSlice(io.RawIOBase):
    """Bytes ``[offset, offset + length)`` of an open file as a seekable body of exactly that
    length: ``requests`` sends ``Content-Length: length`` (``__len__``), the storage session
    rewinds it with ``seek`` before a retry, and progress counts each byte once."""

    def __init__(
        self,
        handle: Any,
        offset: int,
        length: int,
        progress: Optional[Progress],
        name: str,
        cancelled: threading.Event,
    ) -> None:
        self._handle = handle
        self._offset = offset
        self._length = length
        self._pos = 0
        self._high = 0
        self._progress = progress
        self._name = name
        self._cancelled = cancelled
        handle.seek(offset)

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self._length
        self._pos = max(0, min(pos, self._length))
        self._handle.seek(self._offset + self._pos)
        return self._pos

    def read(self, size: Optional[int] = -1) -> bytes:
        if self._cancelled.is_set():
            raise Cancelled()
        remaining = self._length - self._pos
        if remaining <= 0:
            return b""
        want = remaining if size is None or size < 0 else min(size, remaining)
        data = self._handle.read(want)
        if not data:
            raise SourceChanged("%s ended %d bytes early" % (self._name, remaining))
        self._pos += len(data)
        if self._pos > self._high:
            if self._progress is not None:
                self._progress.add_bytes(self._pos - self._high, self._name)
            self._high = self._pos
        return bytes(data)

    def readinto(self, buffer: Any) -> int:  # pragma: no cover - read() is what is called
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _as_list(value: Any, name: str) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise ViInvalidParameterError(name, "%s must be a path or a list of paths" % name) from None


def _collect_paths(
    paths: Any,
    *,
    pattern: str,
    recursive: bool,
    relative_names: bool,
    accept: Callable[[str], bool],
    problems: List[str],
) -> List[Tuple[str, str]]:
    """(target name, absolute path) for every file to send; problems are appended, not raised."""
    out: List[Tuple[str, str]] = []
    seen = set()
    for raw in _as_list(paths, "paths"):
        if isinstance(raw, bytes) or not isinstance(raw, (str, os.PathLike)):
            problems.append("not a path: %r" % (raw,))
            continue
        path = os.path.abspath(os.path.expanduser(os.fspath(raw)))
        if os.path.isfile(path):
            if not accept(path):
                problems.append("unsupported file type: %s" % path)
                continue
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                out.append((os.path.basename(path), path))
        elif os.path.isdir(path):
            found = 0
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                if not recursive:
                    dirs[:] = []
                for filename in sorted(files):
                    full = os.path.join(folder, filename)
                    if not fnmatch.fnmatch(filename, pattern) or not accept(full) or not os.path.isfile(full):
                        continue
                    found += 1
                    real = os.path.realpath(full)
                    if real in seen:
                        continue
                    seen.add(real)
                    # The API takes bare file names (no "/"): folders are joined with "_".
                    name = os.path.relpath(full, path).replace(os.sep, "_") if relative_names else filename
                    out.append((name, full))
            if not found:
                problems.append("no files matching %r in folder %s" % (pattern, path))
        else:
            problems.append("no such file or folder: %s" % path)
    return out


def _check_unique(items: Sequence[Source], problems: List[str]) -> None:
    by_name: Dict[str, List[str]] = {}
    for item in items:
        by_name.setdefault(item.name, []).append(item.source())
    for name, sources in by_name.items():
        if len(sources) > 1:
            problems.append("%d files would be uploaded as %r: %s" % (len(sources), name, ", ".join(sources)))


def _raise_problems(problems: List[str], what: str) -> None:
    if problems:
        raise ViValidationError(
            "Cannot upload %s: %s" % (what, "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")),
            details={"problems": problems},
            suggestion="Fix the paths listed; nothing was uploaded.",
        )


def _mime(name: str) -> Optional[str]:
    return MIME_TYPES.get(os.path.splitext(name)[1].lower())


def asset_sources(
    paths: Any, assets_bytes: Any, *, pattern: str, recursive: bool, relative_names: bool
) -> List[Source]:
    problems: List[str] = []
    items: List[Source] = []
    for name, path in _collect_paths(
        paths,
        pattern=pattern,
        recursive=recursive,
        relative_names=relative_names,
        accept=lambda p: _mime(p) is not None,
        problems=problems,
    ):
        st = os.stat(path)
        mime = _mime(path) or ""
        items.append(Source(name, path, None, st.st_size, st.st_mtime_ns, mime, _kind(mime)))
    for index, pair in enumerate(_as_list(assets_bytes, "assets_bytes")):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            problems.append("assets_bytes[%d] is not a (filename, bytes) pair" % index)
            continue
        name, data = pair
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            problems.append("assets_bytes[%d] has an invalid file name %r" % (index, name))
            continue
        if not isinstance(data, (bytes, bytearray, memoryview)):
            problems.append("assets_bytes[%d] (%s) is not bytes" % (index, name))
            continue
        known = _mime(name)
        if known is None:
            problems.append("unsupported file type: %s (assets_bytes[%d])" % (name, index))
            continue
        data = bytes(data)
        items.append(Source(name, None, data, len(data), None, known, _kind(known)))
    _check_unique(items, problems)
    _raise_problems(problems, "these assets")
    if not items:
        raise ViValidationError("No valid assets found to upload", details={"parameter": "paths"})
    return items


def _kind(mime: str) -> str:
    return "Video" if mime.startswith("video/") or mime.startswith("application/") else "Image"


def annotation_sources(paths: Any, *, pattern: str, recursive: bool, kind: str) -> List[Source]:
    """Annotation files: ``.json``/``.jsonl`` in folders, explicit files of any extension."""
    problems: List[str] = []
    explicit = {
        os.path.abspath(os.path.expanduser(os.fspath(p)))
        for p in _as_list(paths, "paths")
        if isinstance(p, (str, os.PathLike))
    }

    def accept(path: str) -> bool:
        return path in explicit or os.path.splitext(path)[1].lower() in ANNOTATION_EXTENSIONS

    items = []
    for name, path in _collect_paths(
        paths, pattern=pattern, recursive=recursive, relative_names=False, accept=accept, problems=problems
    ):
        st = os.stat(path)
        items.append(Source(name, path, None, st.st_size, st.st_mtime_ns, "application/octet-stream", kind))
    _check_unique(items, problems)
    _raise_problems(problems, "these annotation files")
    if not items:
        raise ViValidationError("No annotation files found to upload", details={"parameter": "paths"})
    return items
