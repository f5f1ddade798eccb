"""The `/_storage/...` routes behind every pre-signed URL the API hands out.

Like real object storage these take no credentials: the URL's `X-Vi-Expires` + `X-Vi-Signature`
(an HMAC over the decoded path and expiry) are the authorisation, so a forged, altered or expired
URL is a 403. Routes:

* `GET|HEAD exports/{org}/{dsid}/{exportId}.zip` — a finished export's archive (`Range` → 206)
* `GET|HEAD models/{org}/{runId}/{ckpt}.tar` — a model checkpoint archive (`Range` → 206)
* `PUT uploads/{org}/{dsid}/{sessionId}/{filename}` — asset bytes for an ingestion session (S2)
* `PUT multipart/{org}/{dsid}/{mpuId}/{part}` — one multipart part, answered with an `ETag` (S3)
* `PUT|POST imports/{org}/{dsid}/{sessionId}/{file}` — an annotation import file (S5)
* `GET|HEAD {org}/{dsid}/{assetId}/{filename}` — an asset's bytes (`contents.asset.url`, S4): the
  one content of `contents.asset_content` (uploaded bytes, a seeded picture, or placeholder bytes
  of `fileSize` for the cheap assets of `Store.add_assets`)
* `GET|HEAD blobs/{name}` — objects a test or benchmark published with `ViApp.publish_blob`
  (bytes or a file on disk, streamed: a 2 GiB file is never held in memory)

Every read carries `Content-Length`, `Accept-Ranges`, an `ETag` (the MD5, quoted, as object
storage does for simple objects) and `x-goog-hash: md5=<base64>` describing the *whole* object,
on HEAD, 200 and 206 alike. Fault rules can make a read ignore `Range` (200 + whole body) or
corrupt its bytes (`FaultInjector.add(ignore_range=True / corrupt=True)`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from .errors import Conflict, NotFound
from .signing import UrlSigner
from .storage_uploads import upload_storage

__all__ = ["CORRUPT_KEY", "IGNORE_RANGE_KEY", "StorageObject", "StorageRoutes", "StreamBody"]

#: environ keys the storage routes read: answer a ranged read with 200 + everything; flip bytes.
IGNORE_RANGE_KEY = "vi.testing.ignore_range"
CORRUPT_KEY = "vi.testing.corrupt"

Response = Tuple[int, List[Tuple[str, str]], Any]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1024 * 1024


class StorageObject:
    """An object's bytes, from memory, a file, or a generator of byte ranges, with a cached MD5."""

    def __init__(
        self,
        size: int,
        read: Callable[[int, int], bytes],
        content_type: str = "application/octet-stream",
    ) -> None:
        self.size = size
        self._read = read
        self.content_type = content_type
        self._md5: Optional[bytes] = None
        self._lock = threading.Lock()

    @classmethod
    def from_bytes(cls, data: bytes, content_type: str = "application/octet-stream") -> "StorageObject":
        return cls(len(data), lambda start, end: data[start:end], content_type)

    @classmethod
    def from_file(
        cls, path: Union[str, "os.PathLike[str]"], content_type: str = "application/octet-stream"
    ) -> "StorageObject":
        path = os.fspath(path)

        def read(start: int, end: int) -> bytes:
            with open(path, "rb") as handle:
                handle.seek(start)
                return handle.read(end - start)

        return cls(os.path.getsize(path), read, content_type)

    @classmethod
    def pattern(cls, seed: str, size: int, content_type: str = "application/octet-stream") -> "StorageObject":
        """Deterministic bytes: a 4 KiB block derived from `seed`, repeated (cheap at any offset)."""
        block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(128))

        def read(start: int, end: int) -> bytes:
            first = start % len(block)
            count = end - start
            reps = (first + count) // len(block) + 1
            return (block * reps)[first : first + count]

        return cls(size, read, content_type)

    def read(self, start: int, end: int) -> bytes:
        """Bytes `[start, end)`."""
        return self._read(start, end)

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes `[start, end)` in pieces of at most 1 MiB."""
        position = start
        while position < end:
            step = min(_CHUNK, end - position)
            yield self._read(position, position + step)
            position += step

    @property
    def md5(self) -> bytes:
        with self._lock:
            if self._md5 is None:
                digest = hashlib.md5()
                for piece in self.chunks(0, self.size):
                    digest.update(piece)
                self._md5 = digest.digest()
            return self._md5


class StreamBody:
    """A response body the socket server writes piece by piece (`len()` is its Content-Length)."""

    def __init__(self, length: int, pieces: Iterator[bytes]) -> None:
        self.length = length
        self._pieces = pieces

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        return self._pieces


def _message(status: int, text: str) -> Response:
    import json

    body = json.dumps({"message": text}).encode("utf-8")
    return status, [("Content-Type", "application/json")], body


def _corrupted(pieces: Iterator[bytes]) -> Iterator[bytes]:
    first = True
    for piece in pieces:
        if first and piece:
            piece = bytes([piece[0] ^ 0xFF]) + piece[1:]
            first = False
        yield piece


def _serve(request: Any, obj: StorageObject) -> Response:
    """GET/HEAD with single-range support; HEAD bodies are dropped by the server/adapter."""
    size = obj.size
    digest = obj.md5
    headers = [
        ("Content-Type", obj.content_type),
        ("Accept-Ranges", "bytes"),
        ("ETag", '"%s"' % digest.hex()),
        ("x-goog-hash", "md5=" + base64.b64encode(digest).decode("ascii")),
    ]
    header = request.environ.get("HTTP_RANGE")
    status, start, end = 200, 0, size
    if header and not request.environ.get(IGNORE_RANGE_KEY):
        match = _RANGE.match(header.strip())
        if match is None or (not match.group(1) and not match.group(2)):
            return 416, headers + [("Content-Range", f"bytes */{size}")], b""
        if match.group(1):
            first = int(match.group(1))
            last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:  # suffix range: the last N bytes
            first, last = max(0, size - int(match.group(2))), size - 1
        if first >= size or first > last:
            return 416, headers + [("Content-Range", f"bytes */{size}")], b""
        status, start, end = 206, first, last + 1
        headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
    if request.method == "HEAD":
        return status, headers, StreamBody(end - start, iter(()))
    pieces = obj.chunks(start, end)
    if request.environ.get(CORRUPT_KEY):
        pieces = _corrupted(pieces)
    return status, headers, StreamBody(end - start, pieces)


class StorageRoutes:
    """Answers every `/_storage/...` request; signed URLs come from the app's `UrlSigner`."""

    def __init__(self, store: Any, signer: UrlSigner) -> None:
        self.store = store
        self.signer = signer
        self._blobs: Dict[str, StorageObject] = {}
        self._asset_cache: Dict[Any, StorageObject] = {}

    def __repr__(self) -> str:
        return f"StorageRoutes(blobs={len(self._blobs)})"

    def publish_blob(
        self,
        base_url: str,
        name: str,
        source: Union[bytes, str, "os.PathLike[str]", StorageObject],
        *,
        ttl_seconds: float = 3600.0,
    ) -> str:
        """Serve `source` (bytes, a file path, or a StorageObject) at a signed `blobs/{name}` URL.

        A file is read range by range as clients ask, so benchmarks can serve a sparse 2 GiB
        file without holding it. Publishing the same name again replaces the object."""
        from urllib.parse import quote

        if isinstance(source, StorageObject):
            obj = source
        elif isinstance(source, (bytes, bytearray)):
            obj = StorageObject.from_bytes(bytes(source))
        else:
            obj = StorageObject.from_file(source)
        self._blobs[name] = obj
        path = "/_storage/blobs/" + quote(name, safe="")
        return self.signer.url(base_url.rstrip("/"), path, self.signer.expiry_ms(ttl_seconds))

    def _asset_object(self, org_id: str, short_id: str, asset_id: str, filename: str) -> StorageObject:
        content = self.store.asset_content(org_id, short_id, asset_id, filename)
        if filename == "thumbnail.webp":
            return StorageObject.pattern(f"thumb:{asset_id}", 1024, "image/webp")
        obj = self._asset_cache.get(content.key)
        if obj is None:  # cached so a listing benchmark does not hash the same bytes again
            obj = StorageObject(content.size, content.read, content.mime_type)
            if len(self._asset_cache) >= 4096:
                self._asset_cache.clear()
            self._asset_cache[content.key] = obj
        return obj

    def __call__(self, request: Any) -> Response:
        denied = self.signer.verify(request.segments, request.query)
        if denied is not None:
            return _message(403, denied)
        parts = request.segments[1:]
        method = request.method
        uploaded = upload_storage(self.store, request, parts)  # S2, S3, S5: see storage_uploads.py
        if uploaded is not None:
            return uploaded
        reading = method in ("GET", "HEAD")
        try:
            if len(parts) == 4 and parts[0] == "exports" and reading and parts[3].endswith(".zip"):
                blob = self.store.export_archive(parts[1], parts[2], parts[3][: -len(".zip")])
                return _serve(request, StorageObject(blob.size, blob.read, "application/zip"))
            if len(parts) == 4 and parts[0] == "models" and reading and parts[3].endswith(".tar"):
                data = self.store.model_archive(parts[1], parts[2], parts[3][: -len(".tar")])
                return _serve(request, StorageObject.from_bytes(data, "application/x-tar"))
            if len(parts) == 2 and parts[0] == "blobs" and reading:
                obj = self._blobs.get(parts[1])
                if obj is None:
                    raise NotFound(f"No blob {parts[1]!r}")
                return _serve(request, obj)
            if len(parts) >= 4 and reading:  # asset contents (S4): {org}/{dsid}/{assetId}/{filename}
                obj = self._asset_object(parts[0], parts[1], parts[2], "/".join(parts[3:]))
                return _serve(request, obj)
        except NotFound as exc:
            return _message(404, str(exc))
        except Conflict as exc:
            return _message(409, str(exc))
        except ValueError as exc:  # BadRequest (e.g. a part number out of range)
            return _message(400, str(exc))
        return _message(404, f"Object not found in local storage: {request.raw_path}")
