"""Requests to pre-signed storage URLs: the same pool and retry policy as API calls, no credentials.

Storage URLs come from the API with their authorisation built in (a signature in the query), so
nothing of the client's identity is ever attached here (DESIGN decision 4): no ``Authorization``,
no ``Organization-Id``, only the headers the API's descriptor asked for. Signed URLs are also
secrets of a kind, so logs and errors show them without their query string.

Retries follow PROTOCOL §13.3 with our fixes: 5xx, 408, 429 (``Retry-After`` honoured) and
transport failures are retried for these idempotent PUT/GET/HEAD requests; other 4xx (an
expired or wrong signature) are not, because repeating them cannot succeed. A request body is
rewound before every retry; a body that cannot be rewound is sent once.
"""

from __future__ import annotations

import io
import time
from typing import Any, Callable, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import requests

from ..config import ClientConfig
from ..errors import ViClientClosedError, ViError, ViValidationError, error_for_status
from ..http import _transport_error
from ..logging import get_logger
from ..retry import RetryConfig, call_with_retries
from ..transport import Transport, TransportClosed

__all__ = ["StorageSession", "redact_url", "Body"]

Body = Union[None, bytes, io.IOBase, Any]

SUCCESS = (200, 201, 204, 206)


def redact_url(url: str) -> str:
    """A signed URL without its query (where the signature lives) and fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or not url:
        raise ViValidationError("storage URL must be a non-empty string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ViValidationError("storage URL must be an http(s) URL, got %r" % redact_url(url))
    return url


class StorageSession:
    """Sends storage requests through a client's transport (its shared connection pool)."""

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport,
        *,
        is_closed: Callable[[], bool],
        retry: Optional[RetryConfig] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._transport = transport
        self._is_closed = is_closed
        self._retry = retry or config.retry
        self._sleep = sleep
        self._log = get_logger()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        body: Body = None,
        stream: bool = False,
        expected: Tuple[int, ...] = SUCCESS,
        timeout: Optional[Tuple[float, float]] = None,
    ) -> requests.Response:
        """One storage request with retries. Returns the response (open, if ``stream``).

        Raises the ViError for the final status or transport failure, with ``attempts`` set
        and the URL shown without its signature."""
        url = _check_url(url)
        shown = redact_url(url)
        send_headers = {str(k): str(v) for k, v in (headers or {}).items()}
        for name in list(send_headers):
            if name.lower() in ("authorization", "organization-id", "cookie"):
                del send_headers[name]  # never forward credentials, whatever a descriptor says
        start = _tell(body)
        rewindable = body is None or isinstance(body, (bytes, bytearray)) or start is not None
        retry = (
            self._retry
            if rewindable
            else RetryConfig(
                max_retries=0,
                max_rate_limit_retries=0,
                base_delay=self._retry.base_delay,
                max_delay=self._retry.max_delay,
            )
        )
        timeouts = timeout or self._config.timeout.as_requests()

        def attempt() -> requests.Response:
            if self._is_closed():
                raise ViClientClosedError(method=method, path=shown)
            if start is not None:
                body.seek(start)  # type: ignore[union-attr]
            try:
                response = self._transport.request(
                    method,
                    url,
                    headers=send_headers,
                    data=body,
                    stream=stream,
                    timeout=timeouts,
                    allow_redirects=True,
                )
            except TransportClosed:
                raise ViClientClosedError(method=method, path=shown) from None
            except requests.RequestException as err:
                if self._is_closed():
                    raise ViClientClosedError(method=method, path=shown) from None
                raise _transport_error(err, self._config.timeout) from None
            if response.status_code in expected:
                return response
            status = response.status_code
            text = ""
            try:
                text = response.text[:200] if not stream else ""
            finally:
                response.close()
            cls = error_for_status(status)
            raise cls(
                "Storage answered HTTP %d for %s %s%s"
                % (status, method, shown, (": " + text) if text else ""),
                status_code=status,
                retry_after=response.headers.get("Retry-After"),
                details={"storage": True},
            )

        def on_retry(error: ViError, attempt_number: int, delay: float) -> None:
            self._log.warning(
                "Retrying storage %s %s in %.2fs after attempt %d failed: %s",
                method,
                shown,
                delay,
                attempt_number,
                error.message,
            )

        self._log.debug("Storage request %s %s", method, shown)
        try:
            return call_with_retries(
                attempt, method=method, config=retry, sleep=self._sleep, on_retry=on_retry
            )
        except ViError as error:
            error.method, error.path = method, shown
            raise


def _tell(body: Any) -> Optional[int]:
    if body is None or isinstance(body, (bytes, bytearray)):
        return None
    seek = getattr(body, "seek", None)
    tell = getattr(body, "tell", None)
    if seek is None or tell is None:
        return None
    try:
        if hasattr(body, "seekable") and not body.seekable():
            return None
        return int(tell())
    except (OSError, ValueError):
        return None
