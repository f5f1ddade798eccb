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
from .storage import StreamBody

__all__ = ["ThreadedWSGIServer"]

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Any]
_MAX_LINE = 65536
#: Bodies up to this size are read before the app runs; larger ones reach it as a stream
#: (`wsgi.input` reads straight from the socket), so a multi-GiB upload never sits in memory.
STREAM_THRESHOLD = 1024 * 1024


class _BodyStream(io.RawIOBase):
    """`wsgi.input` for a large body: at most `length` bytes from the socket, then EOF."""

    def __init__(self, rfile: Any, length: int) -> None:
        self._rfile = rfile
        self.remaining = length
        self.short = False  # the peer closed before sending `length` bytes

    def readable(self) -> bool:
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        want = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._rfile.read(want)
        if not data:
            self.short, self.remaining = True, 0
            return b""
        self.remaining -= len(data)
        return bytes(data)

    def readinto(self, buffer: Any) -> int:  # pragma: no cover - read() is what the app uses
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Consume what the app left unread, so the next request on this connection parses."""
        while self.remaining > 0 and not self.short:
            self.read(min(self.remaining, 1024 * 1024))


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

    def _read_body(self) -> Any:
        """The body as bytes, or as a `_BodyStream` when it is larger than `STREAM_THRESHOLD`."""
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
        if length > STREAM_THRESHOLD:
            return _BodyStream(self.rfile, length)
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequest("body shorter than Content-Length")
        return body

    def _environ(self, body: Any) -> Dict[str, Any]:
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
            "CONTENT_LENGTH": str(body.remaining if isinstance(body, _BodyStream) else len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body if isinstance(body, _BodyStream) else io.BytesIO(body),
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
            if isinstance(result, StreamBody):  # a storage object: written piece by piece
                self._write_stream(captured[0], captured[1], result, bool(environ.get(TRUNCATE_KEY)))
                return
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
        if isinstance(body, _BodyStream):
            body.drain()
            if body.short:  # the client went away mid-body: nobody to answer
                self.close_connection = True
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

    def _write_stream(
        self, status: str, headers: List[Tuple[str, str]], body: "StreamBody", truncate: bool
    ) -> None:
        """Like `_write`, for bodies too large to join: memory stays at one piece (1 MiB)."""
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason or None)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        if truncate:
            self.close_connection = True
        self._headers_buffer.append(b"\r\n")
        if self.command == "HEAD":
            self.flush_headers()
            return
        budget = len(body) // 2 if truncate else len(body)
        first = True
        for piece in body:
            if budget <= 0:
                break
            piece = piece[:budget]
            budget -= len(piece)
            if first:  # headers and the first piece in one write (see `_write`)
                self._headers_buffer.append(piece)
                self.flush_headers()
                first = False
            else:
                self.wfile.write(piece)
        if first:
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
