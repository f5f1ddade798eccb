"""The `/_storage/...` routes behind every pre-signed URL the API hands out.

Like real object storage these take no credentials: the URL's `X-Vi-Expires` + `X-Vi-Signature`
(an HMAC over the decoded path and expiry) are the authorisation, so a forged, altered or expired
URL is a 403. Routes:

* `GET|HEAD exports/{org}/{dsid}/{exportId}.zip` — a finished export's archive (`Range` → 206)
* `GET|HEAD models/{org}/{runId}/{ckpt}.tar` — a model checkpoint archive (`Range` → 206)
* `PUT uploads/{org}/{dsid}/{sessionId}/{filename}` — asset bytes for an ingestion session (S2)
* `PUT multipart/{org}/{dsid}/{mpuId}/{part}` — one multipart part, answered with an `ETag` (S3)
* `PUT|POST imports/{org}/{dsid}/{sessionId}/{file}` — an annotation import file (S5)

Asset content URLs (`contents=y`) are signed too but serve nothing yet (404): byte transfers of
assets belong to the transfers work.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Any, List, Optional, Tuple

from .errors import Conflict, NotFound

__all__ = ["StorageHandlers"]

Response = Tuple[int, List[Tuple[str, str]], bytes]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _message(status: int, text: str) -> Response:
    import json

    body = json.dumps({"message": text}).encode("utf-8")
    return status, [("Content-Type", "application/json")], body


def _serve(request: Any, data: bytes, content_type: str) -> Response:
    """GET/HEAD with single-range support; HEAD bodies are dropped by the server/adapter."""
    headers = [("Content-Type", content_type), ("Accept-Ranges", "bytes")]
    header = request.environ.get("HTTP_RANGE")
    if not header:
        return 200, headers, data
    match = _RANGE.match(header.strip())
    size = len(data)
    if match is None or (not match.group(1) and not match.group(2)):
        return 416, headers + [("Content-Range", f"bytes */{size}")], b""
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:  # suffix range: the last N bytes
        start, end = max(0, size - int(match.group(2))), size - 1
    if start >= size or start > end:
        return 416, headers + [("Content-Range", f"bytes */{size}")], b""
    return 206, headers + [("Content-Range", f"bytes {start}-{end}/{size}")], data[start : end + 1]


class StorageHandlers:
    store: Any

    def storage_signature(self, path: str, expiry_ms: int) -> str:  # pragma: no cover - ViApp
        raise NotImplementedError

    def _verify(self, request: Any) -> Optional[Response]:
        expires, signature = request.query.get("X-Vi-Expires", ""), request.query.get("X-Vi-Signature", "")
        if not expires.isdigit() or not signature:
            return _message(403, "Missing or malformed storage signature")
        path = "/" + "/".join(request.segments)
        if not hmac.compare_digest(signature, self.storage_signature(path, int(expires))):
            return _message(403, "Storage signature does not match")
        if int(expires) < time.time() * 1000:
            return _message(403, "Storage URL has expired")
        return None

    def storage(self, request: Any) -> Response:
        denied = self._verify(request)
        if denied is not None:
            return denied
        parts = request.segments[1:]
        method = request.method
        try:
            if (
                len(parts) == 4
                and parts[0] == "exports"
                and method in ("GET", "HEAD")
                and parts[3].endswith(".zip")
            ):
                data = self.store.export_archive(parts[1], parts[2], parts[3][: -len(".zip")])
                return _serve(request, data, "application/zip")
            if (
                len(parts) == 4
                and parts[0] == "models"
                and method in ("GET", "HEAD")
                and parts[3].endswith(".tar")
            ):
                data = self.store.model_archive(parts[1], parts[2], parts[3][: -len(".tar")])
                return _serve(request, data, "application/x-tar")
            if len(parts) == 5 and parts[0] == "uploads" and method == "PUT":
                self.store.receive_upload(parts[1], parts[2], parts[3], parts[4], request.body)
                return 200, [], b""
            if len(parts) == 5 and parts[0] == "multipart" and method == "PUT":
                number = int(parts[4]) if parts[4].isdigit() else 0
                etag = self.store.receive_part(parts[1], parts[2], parts[3], number, request.body)
                return 200, [("ETag", etag)], b""
            if len(parts) == 5 and parts[0] == "imports" and method in ("PUT", "POST"):
                self.store.receive_import_file(parts[1], parts[2], parts[3], parts[4], request.body)
                return 200, [], b""
        except NotFound as exc:
            return _message(404, str(exc))
        except Conflict as exc:
            return _message(409, str(exc))
        except ValueError as exc:  # BadRequest (e.g. a part number out of range)
            return _message(400, str(exc))
        return _message(404, f"Object not found in local storage: {request.raw_path}")
