"""The bytes of uploaded files and assets: in memory when small, spooled to disk when large.

An asset has one content, served the same from its URL, inside export archives and in what
its metadata says (size, CRC-32C): uploaded bytes (memory or a file in the server's temporary
folder), a seeded picture, or, for the cheap placeholder assets of `Store.add_assets`,
deterministic pattern bytes of the recorded size.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Callable, Optional, Tuple

__all__ = ["Blob", "Content", "FileView", "asset_content"]


class FileView:
    """Slices of a file read on demand, so a header parser can look at a multi-GiB upload."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._size = os.path.getsize(path)

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._size)
            if step != 1:
                raise ValueError("only contiguous slices")
            with open(self.path, "rb") as handle:
                handle.seek(start)
                return handle.read(max(0, stop - start))
        index = key + self._size if key < 0 else key
        if not 0 <= index < self._size:
            raise IndexError(key)
        return self[index : index + 1][0]


class Blob:
    """Bytes held in memory (`data`) or in a spooled file (`path`)."""

    def __init__(self, data: Optional[bytes] = None, path: Optional[str] = None) -> None:
        if (data is None) == (path is None):
            raise ValueError("a blob has either data or a path")
        self.data = data
        self.path = path

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        return os.path.getsize(str(self.path))

    def view(self) -> Any:
        """Something sliceable like bytes (a `FileView` for a spooled file)."""
        return self.data if self.data is not None else FileView(str(self.path))

    def read(self, start: int, end: int) -> bytes:
        if self.data is not None:
            return self.data[start:end]
        with open(str(self.path), "rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    def discard(self) -> None:
        """Remove a spooled file (nothing to do for bytes in memory)."""
        if self.path is not None:
            try:
                os.remove(self.path)
            except OSError:
                pass

    def __repr__(self) -> str:
        where = "memory" if self.data is not None else "disk"
        return f"Blob({where}, size={self.size})"


class Content:
    """What storage serves and archives copy for one asset: size, type and a range reader."""

    def __init__(self, key: Any, size: int, mime_type: str, read: Callable[[int, int], bytes]) -> None:
        self.key = key
        self.size = size
        self.mime_type = mime_type
        self.read = read

    def chunks(self, piece: int = 1024 * 1024) -> Any:
        position = 0
        while position < self.size:
            step = min(piece, self.size - position)
            yield self.read(position, position + step)
            position += step


def _pattern(seed: str, size: int) -> Callable[[int, int], bytes]:
    """Deterministic bytes: a 4 KiB block derived from `seed`, repeated (cheap at any offset)."""
    block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(128))

    def read(start: int, end: int) -> bytes:
        first = start % len(block)
        count = end - start
        reps = (first + count) // len(block) + 1
        return (block * reps)[first : first + count]

    return read


def asset_content(asset: Any, where: Tuple[str, ...] = ()) -> Content:
    """The one content of an asset record (see the module docstring)."""
    key = where + (asset.asset_id, asset.generation, asset.file_size, id(asset.data), asset.path)
    if asset.data is not None:
        data = asset.data
        return Content(key, len(data), asset.mime_type, lambda start, end: data[start:end])
    if asset.path is not None:
        blob = Blob(path=asset.path)
        return Content(key, blob.size, asset.mime_type, blob.read)
    return Content(
        key, asset.file_size, asset.mime_type, _pattern(f"asset:{asset.asset_id}", asset.file_size)
    )
