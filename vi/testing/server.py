"""A threaded HTTP/1.1 keep-alive server for any WSGI app, on real sockets.

`wsgiref.simple_server` speaks HTTP/1.0 and closes every connection, which would make pool and
keep-alive behaviour of a client untestable; this server keeps connections open until the client
closes them, always sends Content-Length, and can misbehave on purpose (drop, truncate). It tracks
every connection so `stop()` can close idle keep-alive sockets and join all handler threads.
"""

from __future__ import annotations

import http.server
import io
import socket
import socketserver
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote

from .app import TRUNCATE_KEY, DropConnection
from .stats import Stats

__all__ = ["ThreadedWSGIServer"]

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Any]
_MAX_LINE = 65536


class _BadRequest(Exception):
    pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ViLocal/1.0"
    disable_nagle_algorithm = True
    _headers_buffer: List[bytes]  # set by BaseHTTPRequestHandler.send_header
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: tests assert on `Stats.requests`, not on stderr noise."""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line or len(line) > _MAX_LINE:
                raise _BadRequest("bad chunk header")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("bad chunk size") from None
            if size == 0:
                while True:  # trailers end with an empty line
                    trailer = self.rfile.readline(_MAX_LINE + 1)
                    if trailer in (b"\r\n", b"\n", b""):
                        return bytes(body)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequest("truncated chunk")
            body += chunk
            self.rfile.readline(_MAX_LINE + 1)  # CRLF after the chunk

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            raise _BadRequest("bad Content-Length") from None
        if length < 0:
            raise _BadRequest("bad Content-Length")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequest("body shorter than Content-Length")
        return body

    def _environ(self, body: bytes) -> Dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: Dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": self.path,
            "REQUEST_URI": self.path,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self.send_error(400, str(exc))
            return
        environ = self._environ(body)
        captured: List[Any] = []

        def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Callable:
            captured[:] = [status, headers]
            return lambda data: None  # write() is unused by our app

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            self.close_connection = True
            return
        except Exception as exc:  # a broken app still answers, so clients fail fast
            self.close_connection = True
            self.send_error(500, f"WSGI application error: {exc!r}")
            return
        self._write(captured[0], captured[1], payload, bool(environ.get(TRUNCATE_KEY)))

    def _write(self, status: str, headers: List[Tuple[str, str]], payload: bytes, truncate: bool) -> None:
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason or None)
        has_length = False
        for name, value in headers:
            if name.lower() == "content-length":
                has_length = True
            self.send_header(name, value)
        if not has_length:
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        if truncate:  # no "Connection: close": a real mid-body failure gives no warning
            self.close_connection = True
        # Headers and body in one write: separate small writes meet the peer's delayed ACK (~40 ms).
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(payload[: len(payload) // 2] if truncate else payload)
        self.flush_headers()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: Tuple[str, int], app: WSGIApp, stats: Stats) -> None:
        self.app = app
        self.stats = stats
        self._lock = threading.Lock()
        self._connections: Dict[threading.Thread, socket.socket] = {}
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Own the thread so stop() can find and join it (ThreadingMixIn forgets daemon threads)."""
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"vi-testing-conn-{client_address[1]}",
            daemon=True,
        )
        self.stats.connection_opened()
        with self._lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # a client that vanished mid-request is not the server's problem
            pass
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.pop(threading.current_thread(), None)
            self.stats.connection_closed()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent, as the handler's own log."""

    def close_connections(self, timeout: float) -> None:
        with self._lock:
            connections = list(self._connections.items())
        for _, sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _ in connections:
            thread.join(timeout)


class ThreadedWSGIServer:
    """Serve `app` on `host:port` (0 = ephemeral) in background threads."""

    def __init__(self, app: WSGIApp, stats: Stats, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.stats = stats
        self.host = host
        self.port = port
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def address(self) -> Tuple[str, int]:
        if self._server is None:
            raise RuntimeError("server is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        server = _Server((self.host, self.port), self.app, self.stats)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="vi-testing-accept", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        if thread is not None:
            thread.join(timeout)
        server.server_close()
        server.close_connections(timeout)
