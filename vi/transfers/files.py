"""Where downloaded bytes may land: safe file names and files that appear only when complete.

Names come from the server (asset file names, archive members), so they are untrusted input:
:func:`safe_name` turns any string into one harmless path component and :func:`safe_join` a
relative path into a path that is guaranteed to stay inside a root folder, whatever ``../``,
``%2e%2e``, backslashes, drive letters, NUL bytes or reserved device names it holds.
:func:`unique_names` gives colliding names deterministic, distinct spellings so two assets
called ``a.jpg`` both survive.

:class:`AtomicFile` is the other half of "never a partial file under its final name": bytes go
to a hidden temporary file beside the target, which is renamed over the target with
``os.replace`` only after the caller has verified it, and removed if anything fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path
from types import TracebackType
from typing import IO, Dict, Iterable, List, Optional, Tuple, Type, Union
from urllib.parse import unquote

__all__ = [
    "MAX_NAME_BYTES",
    "AtomicFile",
    "safe_join",
    "safe_name",
    "safe_relative_parts",
    "temp_path_for",
    "unique_names",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Most file systems limit one path component to 255 bytes (ext4, APFS, NTFS in UTF-16 units).
MAX_NAME_BYTES = 255

_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + ["COM%d" % i for i in range(10)]
    + ["LPT%d" % i for i in range(10)]
    + ["COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"]
)
# Characters no common file system accepts in a name, plus every control character.
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*]')
_TRAILING = re.compile(r"[\s.]+$")  # Windows drops trailing dots and spaces silently
_DRIVE = re.compile(r"^[A-Za-z]:")


def _decode(name: str) -> str:
    """Percent-decode until stable (``%252e`` → ``%2e`` → ``.``), a bounded number of times."""
    for _ in range(4):
        decoded = unquote(name)
        if decoded == name:
            break
        name = decoded
    return name


def _truncate(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """Shorten to at most ``limit`` UTF-8 bytes, keeping a short extension when there is one."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    suffix = ("." + ext) if ext else ""
    budget = limit - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")[:budget]
    stem = _TRAILING.sub("", encoded.decode("utf-8", "ignore"))  # never cut a character in half
    return (stem or "file") + suffix


def safe_name(name: object, *, default: str = "file") -> str:
    """One safe path component for ``name``; never empty, ``.``/``..``, or a device name.

    Percent-escapes are decoded first (so ``%2e%2e%2f`` is seen as ``../``), then any directory
    part is dropped: only what follows the last ``/`` or ``\\`` is kept, as a browser does with a
    download. Control and forbidden characters become ``_``; trailing dots and spaces (which
    Windows strips silently) are removed; the result is at most 255 UTF-8 bytes.
    """
    text = _decode(str(name) if name is not None else "")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\\", "/").rstrip("/")
    text = text.rsplit("/", 1)[-1]
    text = _DRIVE.sub("", text)
    text = _FORBIDDEN.sub("_", text)
    text = _TRAILING.sub("", text.strip())
    if text in ("", ".", "..") or set(text) <= {"."}:
        text = default
    stem = text.split(".", 1)[0].rstrip(" ").upper()
    if stem in _WINDOWS_RESERVED:
        text = "_" + text
    return _truncate(text)


def safe_relative_parts(relative: object) -> List[str]:
    """The components of an untrusted relative path, each made safe; ``..`` and ``.`` dropped.

    Used for archive members: ``a/../../b`` → ``["a", "b"]``; ``C:\\x\\y`` → ``["x", "y"]``;
    ``/etc/passwd`` → ``["etc", "passwd"]``. An empty result means "nothing to write"."""
    text = _decode(str(relative) if relative is not None else "").replace("\\", "/")
    text = _DRIVE.sub("", text)
    parts: List[str] = []
    for raw in text.split("/"):
        if raw.strip() in ("", ".", ".."):
            continue
        parts.append(safe_name(raw))
    return parts


def safe_join(root: PathLike, relative: object) -> Path:
    """``root`` joined with a sanitised ``relative``; raises ``ValueError`` if it would escape.

    The final check resolves both paths (following symlinks already on disk), so even a
    directory symlink planted inside ``root`` cannot redirect a write outside it."""
    base = Path(root).resolve()
    parts = safe_relative_parts(relative)
    if not parts:
        raise ValueError("empty path after sanitising %r" % (str(relative)[:80],))
    target = base.joinpath(*parts)
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise ValueError("path %r escapes %s" % (str(relative)[:80], base))
    return target


def _with_tag(name: str, tag: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""  # a long "extension" is part of the name: the tag must survive
    tag_part = " (%s)" % safe_name(tag, default="x")
    suffix = tag_part + ("." + ext if ext else "")
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[: max(budget, 1)].decode("utf-8", "ignore") or "file"
    return stem + suffix


def unique_names(items: Iterable[Tuple[str, object]]) -> Dict[str, str]:
    """``{key: safe unique name}`` for ``(key, raw_name)`` pairs, e.g. ``(asset_id, filename)``.

    The first item with a name keeps it; later ones that collide with it (compared
    case-insensitively, since macOS and Windows file systems are) become ``stem (key).ext``.
    The result depends only on the order of ``items``, so a second run names files the same."""
    taken: Dict[str, str] = {}
    out: Dict[str, str] = {}
    pending: List[Tuple[str, str]] = []
    for key, raw in items:
        name = safe_name(raw)
        if name.casefold() in taken:
            pending.append((key, name))
        else:
            taken[name.casefold()] = key
            out[key] = name
    for key, name in pending:
        candidate = _with_tag(name, key)
        number = 2
        while candidate.casefold() in taken:
            candidate = _with_tag(name, "%s %d" % (key, number))
            number += 1
        taken[candidate.casefold()] = key
        out[key] = candidate
    return out


def temp_path_for(final: PathLike, suffix: str = ".part") -> Path:
    """The hidden temporary name beside ``final``: deterministic (so a resume finds it) and
    short (a hash, so a 255-byte final name still leaves room)."""
    final = Path(final)
    digest = hashlib.sha1(final.name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return final.with_name(".vi-%s%s" % (digest, suffix))


class AtomicFile:
    """A file written under a temporary name and renamed into place by :meth:`commit`.

    ::

        with AtomicFile(path) as f:
            f.write(data)
            f.commit(expected_size=len(data))   # checks the size, then os.replace

    Leaving the block without ``commit`` (or with an exception) removes the temporary file;
    the final name is never touched. ``keep_on_error=True`` leaves it for a later resume.
    """

    def __init__(
        self, final: PathLike, *, temp: Optional[PathLike] = None, keep_on_error: bool = False
    ) -> None:
        self.final = Path(final)
        self.temp = Path(temp) if temp is not None else temp_path_for(self.final)
        self.keep_on_error = keep_on_error
        self.committed = False
        self._file: Optional[IO[bytes]] = None

    def open(self, mode: str = "wb") -> IO[bytes]:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        handle: IO[bytes] = open(self.temp, mode)  # noqa: SIM115 - closed by commit/discard
        self._file = handle
        return handle

    def __enter__(self) -> IO[bytes]:
        return self.open()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._close()
        if not self.committed and not (exc_type is not None and self.keep_on_error):
            self.discard()

    def _close(self) -> None:
        handle, self._file = self._file, None
        if handle is not None and not handle.closed:
            handle.flush()
            handle.close()

    def commit(self, *, expected_size: Optional[int] = None) -> Path:
        """Close, verify the size, and atomically move the temporary file to its final name."""
        self._close()
        if expected_size is not None:
            actual = os.path.getsize(self.temp)
            if actual != expected_size:
                self.discard()
                raise OSError("temporary file has %d bytes, expected %d" % (actual, expected_size))
        os.replace(self.temp, self.final)
        self.committed = True
        return self.final

    def discard(self) -> None:
        self._close()
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass
