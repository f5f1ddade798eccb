"""Requests to pre-signed storage URLs: the same pool and retry policy as API calls, no credentials.

Storage URLs come from the API with their authorisation built in (a signature in the query), so
nothing of the client's identity is ever attached here (DESIGN decision 4): no ``Authorization``,
no ``Organization-Id``, only the headers the API's descriptor asked for. Signed URLs are also
secrets of a kind, so logs and errors show them without their query string.

This is the storage policy of the one send path (:mod:`vi.send`): 5xx, 408, 429 (``Retry-After``
honoured) and transport failures are retried for these idempotent PUT/GET/HEAD requests; other
4xx (an expired or wrong signature) are not, because repeating them cannot succeed. A request
body is rewound before every retry; a body that cannot be rewound is sent once.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Tuple, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from ..errors import ViClientClosedError, ViError, ViValidationError, error_for_status
from ..send import Body, Call, SendPolicy

__all__ = ["StorageSession", "redact_url", "Body"]

T = TypeVar("T")

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


class StorageSession(SendPolicy):
    """Sends storage requests through a client's transport (its shared connection pool)."""

    label = "storage "

    def check_open(self) -> None:
        """Raise :class:`~vi.errors.ViClientClosedError` now if the client is closed: a workflow
        calls this before local work (reading files for checksums) that would be wasted."""
        if self._is_closed():
            raise ViClientClosedError()

    def request(
        self, method: str, url: str, *, timeout: Optional[Tuple[float, float]] = None, **options: Any
    ) -> requests.Response:
        """One storage request with retries (``options`` as for :meth:`prepare`). Returns the
        response (open, if ``stream=True``).

        Raises the ViError for the final status or transport failure, with ``attempts`` set
        and the URL shown without its signature."""
        call = self.prepare(method, url, **options)
        if timeout is not None:
            call.timeout = timeout
        return self.send(call, _as_is)

    def prepare(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        body: Body = None,
        stream: bool = False,
        expected: Tuple[int, ...] = SUCCESS,
    ) -> Call:
        """A storage request, checked and stripped of any credential header, ready to send."""
        url = _check_url(url)
        send_headers = {str(k): str(v) for k, v in (headers or {}).items()}
        for name in list(send_headers):
            if name.lower() in ("authorization", "organization-id", "cookie"):
                del send_headers[name]  # never forward credentials, whatever a descriptor says
        return Call(
            method,
            url,
            redact_url(url),
            headers=send_headers,
            body=body,
            stream=stream,
            timeout=self._timeout,
            expected=expected,
        )

    def send(self, call: Call, read: Callable[[requests.Response], T]) -> T:
        """Send a prepared request and return ``read(response)``. ``read`` runs inside each
        attempt: a ``ViError`` it raises (a body cut short) is retried by the same budget as a
        5xx, and it may change ``call.headers`` for the next attempt."""
        self._log.debug("Storage request %s %s", call.method, call.where)
        return self._sender.send(call, read)

    # -- the storage policy ------------------------------------------------------------------
    def error(self, call: Call, response: requests.Response) -> ViError:
        status = response.status_code
        text = ""
        try:
            text = response.text[:200] if not call.stream else ""
        finally:
            response.close()
        cls = error_for_status(status)
        return cls(
            "Storage answered HTTP %d for %s %s%s"
            % (status, call.method, call.where, (": " + text) if text else ""),
            status_code=status,
            retry_after=response.headers.get("Retry-After"),
            details={"storage": True},
        )


def _as_is(response: requests.Response) -> requests.Response:
    return response
