"""The upload side of the `/_storage/...` routes: bodies read in pieces, sized and hashed.

A PUT body is never read whole into memory unless the store wants to keep it: bytes of an upload
up to `Store.upload_keep_limit` (default 64 MiB) are kept, so tests can compare what arrived with
what was sent; larger uploads are counted and hashed (MD5 for multipart ETags, CRC-32C when the
compiled `crc32c` package makes that cheap) and then discarded, so a 2 GiB upload costs the server
about a megabyte.

Each route also records what a strict object store checks: the `Content-Length` the client
declared (chunked bodies are accepted, as the official client sends multipart parts that way,
but tests can see them in `server.stats.requests`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..transfers.crc32c import IMPLEMENTATION, Crc32c
from .errors import BadRequest, Conflict, NotFound

__all__ = ["Received", "read_body", "upload_storage"]

Response = Tuple[int, List[Tuple[str, str]], bytes]

_PIECE = 1024 * 1024


@dataclass
class Received:
    """What one storage PUT delivered. `data` is None when the bytes were not kept."""

    size: int
    md5: str
    crc32c: Optional[int]  # unsigned; None when not computed (large body, no compiled package)
    data: Optional[bytes]

    def checksum(self) -> Optional[int]:
        if self.crc32c is not None:
            return self.crc32c
        if self.data is not None:
            return Crc32c(self.data).value
        return None


def read_body(environ: Any, keep: bool) -> Received:
    """Read `wsgi.input` (CONTENT_LENGTH bytes) in 1 MiB pieces."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    md5 = hashlib.md5()
    crc = Crc32c() if IMPLEMENTATION != "python" else None
    kept = bytearray() if keep else None
    size = 0
    while stream is not None and size < length:
        piece = stream.read(min(_PIECE, length - size))
        if not piece:
            break
        size += len(piece)
        md5.update(piece)
        if crc is not None:
            crc.update(piece)
        if kept is not None:
            kept += piece
    return Received(
        size,
        md5.hexdigest(),
        crc.value if crc is not None else None,
        bytes(kept) if kept is not None else None,
    )


def _message(status: int, text: str) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps({"message": text}).encode("utf-8")


def upload_storage(store: Any, request: Any, parts: List[str]) -> Optional[Response]:
    """Answer a storage upload, or None when `parts`/method is not an upload route."""
    method = request.method
    if len(parts) != 5:
        return None
    kind, org, short, owner, name = parts
    keep_limit = store.upload_keep_limit
    try:
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        if kind == "uploads" and method == "PUT":
            received = read_body(request.environ, keep=length <= keep_limit)
            store.receive_upload(org, short, owner, name, received.data, received=received)
            return 200, [], b""
        if kind == "multipart" and method == "PUT":
            number = int(name) if name.isdigit() else 0
            total = store.multipart_size(org, short, owner)
            received = read_body(request.environ, keep=total <= keep_limit)
            etag = store.receive_part(org, short, owner, number, received.data, received=received)
            return 200, [("ETag", etag)], b""
        if kind == "imports" and method in ("PUT", "POST"):
            received = read_body(request.environ, keep=True)  # annotation files are small
            store.receive_import_file(org, short, owner, name, received.data or b"")
            return 200, [], b""
    except NotFound as exc:
        return _message(404, str(exc))
    except Conflict as exc:
        return _message(409, str(exc))
    except (BadRequest, ValueError) as exc:
        return _message(400, str(exc))
    return None
