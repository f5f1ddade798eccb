"""The upload side of the `/_storage/...` routes: bodies read in pieces, sized, hashed and kept.

A PUT body is never read whole into memory unless it is small: bytes of an upload up to
`Store.upload_memory_limit` (default 16 MiB) stay in memory, larger ones are written piece by
piece to a file in the server's own temporary folder (removed when the server stops). Either way
they are kept, so a test can read back what arrived, byte for byte, whatever its size, while the
server's memory stays flat. MD5 (multipart ETags) and CRC-32C are computed on the way in.

Each route also records what a strict object store checks: the `Content-Length` the client
declared (chunked bodies are accepted, as the official client sends multipart parts that way,
but tests can see them in `server.stats.requests`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..transfers.crc32c import Crc32c
from .contents import Blob
from .errors import BadRequest, Conflict, NotFound

__all__ = ["Received", "read_body", "received_bytes", "upload_storage"]

Response = Tuple[int, List[Tuple[str, str]], bytes]

_PIECE = 1024 * 1024


@dataclass
class Received:
    """What one storage PUT delivered: its bytes (memory or spooled file) and their checksums."""

    size: int
    md5: str
    crc32c: int  # unsigned
    blob: Blob

    @property
    def data(self) -> Optional[bytes]:
        """The bytes when they are held in memory (None when spooled to disk)."""
        return self.blob.data

    def checksum(self) -> int:
        return self.crc32c


def received_bytes(data: bytes) -> Received:
    """A `Received` for bytes already in hand (tests and in-process callers)."""
    return Received(len(data), hashlib.md5(data).hexdigest(), Crc32c(data).value, Blob(data=data))


def read_body(
    environ: Any, spool_dir: Optional[str] = None, memory_limit: int = 16 * 1024 * 1024
) -> Received:
    """Read `wsgi.input` (CONTENT_LENGTH bytes) in 1 MiB pieces, into memory or a spool file."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    md5, crc = hashlib.md5(), Crc32c()
    to_disk = spool_dir is not None and length > memory_limit
    kept = bytearray()
    handle = None
    if to_disk:
        fd, path = tempfile.mkstemp(prefix="upload-", dir=spool_dir)
        handle = os.fdopen(fd, "wb")
    size = 0
    try:
        while stream is not None and size < length:
            piece = stream.read(min(_PIECE, length - size))
            if not piece:
                break
            size += len(piece)
            md5.update(piece)
            crc.update(piece)
            if handle is not None:
                handle.write(piece)
            else:
                kept += piece
    finally:
        if handle is not None:
            handle.close()
    blob = Blob(path=path) if to_disk else Blob(data=bytes(kept))
    return Received(size, md5.hexdigest(), crc.value, blob)


def _message(status: int, text: str) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps({"message": text}).encode("utf-8")


def _keep_or_discard(received: Received, deliver: Any, *args: Any) -> Any:
    """Hand the upload to the store; if the store refuses it, remove what was spooled."""
    try:
        return deliver(*args)
    except BaseException:
        received.blob.discard()
        raise


def upload_storage(store: Any, request: Any, parts: List[str]) -> Optional[Response]:
    """Answer a storage upload, or None when `parts`/method is not an upload route."""
    method = request.method
    if len(parts) != 5:
        return None
    kind, org, short, owner, name = parts
    try:
        if kind == "uploads" and method == "PUT":
            received = read_body(request.environ, store.state.spool_dir(), store.upload_memory_limit)
            _keep_or_discard(received, store.receive_upload, org, short, owner, name, received.data, received)
            return 200, [], b""
        if kind == "multipart" and method == "PUT":
            number = int(name) if name.isdigit() else 0
            received = read_body(request.environ, store.state.spool_dir(), store.upload_memory_limit)
            etag = _keep_or_discard(
                received, store.receive_part, org, short, owner, number, received.data, received
            )
            return 200, [("ETag", etag)], b""
        if kind == "imports" and method in ("PUT", "POST"):
            received = read_body(request.environ)  # annotation files are read whole
            store.receive_import_file(org, short, owner, name, received.data or b"")
            return 200, [], b""
    except NotFound as exc:
        return _message(404, str(exc))
    except Conflict as exc:
        return _message(409, str(exc))
    except (BadRequest, ValueError) as exc:
        return _message(400, str(exc))
    return None
