"""The requester: HTTP policy for API calls (auth, headers, retries, errors, logging).

Everything about *how* to talk to the Vi API lives here, once; resources only say *what* to
ask for. Credentials are attached per request (DESIGN decision 4), so storage URLs and
redirects to other hosts, which go through the same session, never see them.
"""

from __future__ import annotations

import json as _json
import platform
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._version import __version__
from .config import ClientConfig
from .errors import (
    ViClientClosedError,
    ViConfigurationError,
    ViError,
    ViNetworkError,
    ViResponseError,
    ViTimeoutError,
    ViValidationError,
    error_for_status,
)
from .logging import LoggingConfig, get_logger, redact, redact_headers
from .retry import CONNECT, POOL, call_with_retries
from .transport import PoolTimeout, Transport, TransportClosed

if TYPE_CHECKING:  # pragma: no cover
    from .transfers.storage import StorageSession

__all__ = ["Requester", "default_user_agent"]


def default_user_agent() -> str:
    return "vi/%s (Python/%s; %s/%s)" % (
        __version__,
        platform.python_version(),
        platform.system() or "unknown",
        platform.release() or "unknown",
    )


def _transport_error(err: requests.RequestException, timeout: Any) -> ViError:
    """Map a ``requests`` failure to a ViError, recording the phase for the retry policy."""
    if isinstance(err, PoolTimeout):
        return ViTimeoutError(
            "Timed out after %gs waiting for a free connection; all max_connections are in use"
            % timeout.pool,
            details={"transport": POOL},
            suggestion="Raise max_connections or the pool timeout, or send fewer requests at once.",
        )
    if isinstance(err, requests.ConnectTimeout):
        return ViTimeoutError(
            "Timed out after %gs connecting to the Vi API" % timeout.connect,
            details={"transport": CONNECT},
        )
    if isinstance(err, requests.ReadTimeout):
        return ViTimeoutError(
            "No response from the Vi API within the read timeout (%gs)" % timeout.read,
            details={"transport": "read"},
        )
    if isinstance(err, requests.exceptions.SSLError):
        return ViNetworkError("TLS error talking to the Vi API: %s" % _short(err))
    if isinstance(err, requests.ConnectionError):
        reason = getattr(err.args[0], "reason", None) if err.args else None
        if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
            return ViNetworkError(
                "Could not connect to the Vi API: %s" % _short(reason), details={"transport": CONNECT}
            )
        return ViNetworkError(
            "Connection to the Vi API failed: %s" % _short(err), details={"transport": "io"}
        )
    if isinstance(err, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return ViNetworkError(
            "The response body was cut short or corrupt: %s" % _short(err), details={"transport": "io"}
        )
    return ViNetworkError("Request to the Vi API failed: %s" % _short(err))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(err: Any) -> str:
    return redact(str(err))[:300]


class Requester:
    """Sends API requests for one client. Holds nothing that changes after construction."""

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport,
        *,
        is_closed: Callable[[], bool],
        logging_config: Optional[LoggingConfig] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._transport = transport
        self._is_closed = is_closed
        self._sleep = sleep
        self._log = get_logger()
        self._log_config = logging_config or LoggingConfig()
        self._base_headers = {
            "Accept": "application/json",
            "User-Agent": config.user_agent,
            "Organization-Id": config.organization_id,
        }
        self._timeout = config.timeout.as_requests()
        self._storage: Optional["StorageSession"] = None

    @property
    def organization_id(self) -> str:
        return self._config.organization_id

    @property
    def storage(self) -> "StorageSession":
        """Requests to pre-signed storage URLs through the same pool, without credentials."""
        session = self._storage
        if session is None:
            from .transfers.storage import StorageSession

            session = self._storage = StorageSession(
                self._config, self._transport, is_closed=self._is_closed, sleep=self._sleep
            )
        return session

    @property
    def endpoint(self) -> str:
        return self._config.endpoint

    def __repr__(self) -> str:
        return "<Requester endpoint=%r>" % self._config.endpoint

    def _headers(self, has_body: bool) -> Dict[str, str]:
        secret = self._config.secret_key
        if secret is None:
            raise ViConfigurationError(
                "This client has no secret key (it was unpickled without one): set "
                "DATATURE_VI_SECRET_KEY in this process or pickle it with pickle_secret=True"
            )
        headers = dict(self._base_headers)
        headers["Authorization"] = "Bearer " + secret.reveal()
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> Any:
        """Send one API call (with retries) and return its decoded JSON body (None if empty)."""
        if self._is_closed():
            raise ViClientClosedError(method=method, path=path)
        url = self._config.endpoint + path
        query = {k: v for k, v in params.items() if v is not None} if params else None
        for key, value in (query or {}).items():
            if isinstance(value, str) and not _is_utf8(value):
                raise ViValidationError(
                    "Query parameter %r is not valid Unicode text (a lone surrogate?)" % key,
                    details={"parameter": key},
                    method=method,
                    path=path,
                )
        body = None
        if json is not None:
            # Refused before any I/O: objects JSON cannot encode, NaN/Infinity (not JSON, though
            # json.dumps writes them by default) and lone surrogates (no UTF-8 form).
            try:
                text = _json.dumps(json, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
                body = text.encode("utf-8")
            except (TypeError, ValueError) as err:
                raise ViValidationError(
                    "The request body cannot be sent as JSON: %s" % _short(err), method=method, path=path
                ) from None
        headers = self._headers(body is not None or method in ("POST", "PATCH", "PUT"))
        if body is None and method in ("POST", "PATCH", "PUT"):
            body = b""

        def attempt() -> Any:
            return self._send_once(method, url, path, query, body, headers)

        def on_retry(error: ViError, attempt_number: int, delay: float) -> None:
            self._log.warning(
                "Retrying %s %s in %.2fs after attempt %d failed: %s",
                method,
                path,
                delay,
                attempt_number,
                error.message,
            )

        try:
            return call_with_retries(
                attempt, method=method, config=self._config.retry, sleep=self._sleep, on_retry=on_retry
            )
        except ViError as error:
            error.method, error.path = method, path
            if error.organization_id is None:
                error.organization_id = self._config.organization_id
            self._log.debug("Request failed: %s %s: %s", method, path, error.message)
            raise

    def _send_once(
        self,
        method: str,
        url: str,
        path: str,
        query: Optional[Dict[str, Any]],
        body: Optional[bytes],
        headers: Dict[str, str],
    ) -> Any:
        if self._is_closed():
            raise ViClientClosedError(method=method, path=path)
        log = self._log
        lc = self._log_config
        debug = log.isEnabledFor(10)
        if debug and lc.log_requests:
            log.debug("HTTP request %s %s%s", method, url, _query_text(query))
            if lc.log_request_headers:
                log.debug("HTTP request headers %s", redact_headers(headers))
            if lc.log_request_body and body:
                log.debug("HTTP request body %s", _clip(body, lc.max_request_body_size))
        started = time.monotonic()
        try:
            response = self._transport.request(
                method,
                url,
                params=query,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=True,
            )
        except TransportClosed:
            raise ViClientClosedError(method=method, path=path) from None
        except requests.RequestException as err:
            if self._is_closed():
                raise ViClientClosedError(method=method, path=path) from None
            raise _transport_error(err, self._config.timeout) from None
        except (AttributeError, TypeError, ValueError) as err:
            # A pool torn down by close() in another thread surfaces as odd errors from urllib3.
            if self._is_closed():
                raise ViClientClosedError(method=method, path=path) from None
            raise ViNetworkError("Request to the Vi API failed: %s" % _short(err)) from None
        status = response.status_code
        content = response.content
        if debug and lc.log_responses:
            log.debug(
                "HTTP response %d %s %s (%.1f ms)", status, method, url, (time.monotonic() - started) * 1000
            )
            if lc.log_response_headers:
                log.debug("HTTP response headers %s", redact_headers(response.headers))
            if lc.log_response_body and content:
                log.debug("HTTP response body %s", _clip(content, lc.max_response_body_size))
        if 200 <= status < 300:
            return self._decode(response, content)
        raise self._http_error(response, content)

    def _decode(self, response: requests.Response, content: bytes) -> Any:
        if not content or not content.strip():
            return None
        try:
            return _json.loads(content)
        except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
            ctype = response.headers.get("Content-Type", "unknown")
            reason = "nested too deeply" if isinstance(err, RecursionError) else _short(err)[:160]
            raise ViResponseError(
                "Expected a JSON body from the Vi API but got %s (HTTP %d) that is not valid JSON (%s): %s"
                % (ctype, response.status_code, reason, _clip(content, 120)),
                status_code=response.status_code,
            ) from None

    def _http_error(self, response: requests.Response, content: bytes) -> ViError:
        status = response.status_code
        message = _error_message(status, content)
        org = self._config.organization_id
        message = redact(message.replace(org + "_", ""))
        # Header values end up in the error (its dict, its pickle) too: a proxy that reflects
        # request headers must not turn them into a copy of the key.
        trace = response.headers.get("x-cloud-trace-context")
        details: Dict[str, Any] = {}
        request_id = response.headers.get("x-request-id")
        if request_id:
            details["request_id"] = redact(request_id)
        retry_after = response.headers.get("Retry-After")
        cls = error_for_status(status)
        return cls(
            message,
            status_code=status,
            retry_after=redact(retry_after) if retry_after is not None else None,
            trace_id=redact(trace.split("/", 1)[0]) if trace else None,
            organization_id=org,
            details=details,
        )


def _error_message(status: int, content: bytes) -> str:
    try:
        data = _json.loads(content) if content else None
    except (ValueError, RecursionError):
        text = content.decode("utf-8", "replace").strip()
        return "HTTP %d: %s" % (status, text[:500]) if text else "HTTP %d error" % status
    if isinstance(data, dict):
        for key in ("message", "error"):
            value = data.get(key)
            if value:
                return value if isinstance(value, str) else _json.dumps(value, ensure_ascii=False)
    return "HTTP %d error" % status


def _clip(data: bytes, limit: int) -> str:
    text = redact(data.decode("utf-8", "replace"))
    return text if len(text) <= limit else text[:limit] + "..."


def _query_text(query: Optional[Mapping[str, Any]]) -> str:
    if not query:
        return ""
    from urllib.parse import urlencode

    return "?" + urlencode(query)
