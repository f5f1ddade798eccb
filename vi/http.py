"""The requester: the API policy of the send path (auth headers, JSON bodies, Vi error bodies).

Everything about *how* to talk to the Vi API lives here, once; resources only say *what* to
ask for, and :class:`vi.send.Sender` does the sending, retrying and logging. Credentials are
attached per request, so storage URLs and redirects to other hosts, which
go through the same session, never see them.
"""

from __future__ import annotations

import json as _json
import platform
import time
from typing import Any, Callable, Dict, Mapping, Optional

import requests

from ._json import loads as parse_json
from ._version import __version__
from .config import ClientConfig
from .errors import (
    ViClientClosedError,
    ViConfigurationError,
    ViError,
    ViResponseError,
    ViValidationError,
    error_for_status,
)
from .logging import LoggingConfig, redact, redact_headers
from .send import Call, RetryPolicy, SendPolicy, short_text
from .transport import Transport

__all__ = ["Requester", "default_user_agent"]


def default_user_agent() -> str:
    return "vi/%s (Python/%s; %s/%s)" % (
        __version__,
        platform.python_version(),
        platform.system() or "unknown",
        platform.release() or "unknown",
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Requester(SendPolicy):
    """Sends API requests for one client. Holds nothing that changes after construction."""

    wraps_odd_errors = True

    def __init__(
        self,
        config: ClientConfig,
        transport: Transport,
        *,
        retry: RetryPolicy,
        is_closed: Callable[[], bool],
        logging_config: Optional[LoggingConfig] = None,
    ) -> None:
        super().__init__(config, transport, retry=retry, is_closed=is_closed)
        self._log_config = logging_config or LoggingConfig()
        self._base_headers = {
            "Accept": "application/json",
            "User-Agent": config.user_agent,
            "Organization-Id": config.organization_id,
        }

    @property
    def _sleep(self) -> Callable[[float], None]:
        """How retries sleep (shared with the client's storage requests); tests replace it."""
        return self._sender.retry.sleep

    @_sleep.setter
    def _sleep(self, sleep: Callable[[float], None]) -> None:
        self._sender.retry.sleep = sleep

    @property
    def organization_id(self) -> str:
        return self._config.organization_id

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
                    "The request body cannot be sent as JSON: %s" % short_text(err), method=method, path=path
                ) from None
        headers = self._headers(body is not None or method in ("POST", "PATCH", "PUT"))
        if body is None and method in ("POST", "PATCH", "PUT"):
            body = b""
        call = Call(
            method,
            self._config.endpoint + path,
            path,
            params=query,
            headers=headers,
            body=body,
            timeout=self._timeout,
        )
        return self._sender.send(call, self._decode)

    # -- the API policy ----------------------------------------------------------------------
    def trace_request(self, call: Call) -> None:
        lc = self._log_config
        if lc.log_requests:
            self._log.debug("HTTP request %s %s%s", call.method, call.url, _query_text(call.params))
            if lc.log_request_headers:
                self._log.debug("HTTP request headers %s", redact_headers(call.headers))
            if lc.log_request_body and isinstance(call.body, bytes) and call.body:
                self._log.debug("HTTP request body %s", _clip(call.body, lc.max_request_body_size))

    def trace_response(self, call: Call, response: requests.Response, started: float) -> None:
        lc = self._log_config
        if lc.log_responses:
            elapsed = (time.monotonic() - started) * 1000
            self._log.debug(
                "HTTP response %d %s %s (%.1f ms)", response.status_code, call.method, call.url, elapsed
            )
            if lc.log_response_headers:
                self._log.debug("HTTP response headers %s", redact_headers(response.headers))
            if lc.log_response_body and response.content:
                self._log.debug("HTTP response body %s", _clip(response.content, lc.max_response_body_size))

    def failed(self, error: ViError) -> None:
        if error.organization_id is None:
            error.organization_id = self._config.organization_id
        self._log.debug("Request failed: %s %s: %s", error.method, error.path, error.message)

    def _decode(self, response: requests.Response) -> Any:
        content = response.content
        if not content or not content.strip():
            return None
        try:
            return parse_json(content)  # orjson when the [fast] extra is installed, same values
        except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
            ctype = response.headers.get("Content-Type", "unknown")
            reason = "nested too deeply" if isinstance(err, RecursionError) else short_text(err)[:160]
            raise ViResponseError(
                "Expected a JSON body from the Vi API but got %s (HTTP %d) that is not valid JSON (%s): %s"
                % (ctype, response.status_code, reason, _clip(content, 120)),
                status_code=response.status_code,
            ) from None

    def error(self, call: Call, response: requests.Response) -> ViError:
        status = response.status_code
        message = _error_message(status, response.content)
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
