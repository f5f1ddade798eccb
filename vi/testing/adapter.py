"""A `requests` transport adapter that calls a WSGI app directly: the API without sockets.

Most client tests only care about what goes over the wire, not about TCP, so they mount this on a
session (`session.mount("http://vi.local/", server.adapter())`) and run in microseconds. Responses are
real urllib3 `HTTPResponse` objects over an in-memory buffer, so streaming, `.raw.read()` and
Content-Length enforcement behave as they do with sockets; injected drops and truncations surface as
the same `requests` exceptions a network would raise.
"""

from __future__ import annotations

import io
import sys
from http.client import RemoteDisconnected
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.exceptions import ConnectionError
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError

try:
    from urllib3 import HTTPHeaderDict
except ImportError:  # urllib3 1.26
    from urllib3._collections import HTTPHeaderDict  # type: ignore[no-redef]

from .app import TRUNCATE_KEY, DropConnection

__all__ = ["InProcessAdapter"]

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk) for chunk in body)


class InProcessAdapter(BaseAdapter):
    """Mount on a `requests.Session`; `close()` is a no-op because nothing is pooled."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def __repr__(self) -> str:
        return f"InProcessAdapter({self.app!r})"

    def _environ(self, request: PreparedRequest, body: bytes) -> Dict[str, Any]:
        url = request.url or "/"
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        environ: Dict[str, Any] = {
            "REQUEST_METHOD": (request.method or "GET").upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(parts.path or "/", "latin-1"),
            "QUERY_STRING": parts.query,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "CONTENT_TYPE": "",
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or _DEFAULT_PORTS.get(scheme, "80")),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": parts.netloc.rpartition("@")[2],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in (request.headers or {}).items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                environ["HTTP_" + key] = value
        return environ

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Union[None, float, Tuple[float, float], Tuple[float, None]] = None,
        verify: Union[bool, str] = True,
        cert: Union[None, bytes, str, Tuple[Union[bytes, str], Union[bytes, str]]] = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> Response:
        body = _body_bytes(request.body)
        environ = self._environ(request, body)
        captured: List[Any] = []

        def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        try:
            result = self.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except DropConnection:
            reason = RemoteDisconnected("Remote end closed connection without response")
            raise ConnectionError(ProtocolError("Connection aborted.", reason), request=request) from None
        status, headers = captured
        method = environ["REQUEST_METHOD"]
        if method == "HEAD":
            payload = b""
        elif environ.get(TRUNCATE_KEY):
            payload = payload[: len(payload) // 2]
        return self._build_response(request, status, headers, payload, method)

    def _build_response(
        self,
        request: PreparedRequest,
        status: str,
        headers: List[Tuple[str, str]],
        payload: bytes,
        method: str,
    ) -> Response:
        code, _, reason = status.partition(" ")
        raw = HTTPResponse(
            body=io.BytesIO(payload),
            headers=HTTPHeaderDict(headers),
            status=int(code),
            version=11,
            reason=reason,
            preload_content=False,
            decode_content=True,
            enforce_content_length=True,
            request_method=method,
            request_url=request.url,
        )
        response = Response()
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(raw.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        url: Any = request.url
        response.url = url.decode("utf-8") if isinstance(url, bytes) else str(url or "")
        response.request = request
        response.connection = self  # type: ignore[assignment]  # requests annotates HTTPAdapter
        return response

    def close(self) -> None:
        """Nothing to release: there are no sockets."""
