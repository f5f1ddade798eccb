"""The one send path: every request of a client, to the API or to storage, goes through here.

A :class:`Sender` owns the skeleton of a request: refuse on a closed client, rewind the body,
call the transport, turn a transport failure into a ``ViError`` (recording the phase the retry
policy needs), turn an unwanted status into a ``ViError``, retry by the client's retry policy,
and log. A :class:`SendPolicy` fills in what differs between the two kinds of request: the API
(:class:`vi.http.Requester`: credentials, JSON, Vi error bodies) and pre-signed storage URLs
(:class:`vi.transfers.storage.StorageSession`: never any credential, URLs shown without their
signature). The client builds both over one transport and one retry policy.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, TypeVar, Union

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .config import ClientConfig, Timeout
from .errors import ViClientClosedError, ViError, ViNetworkError, ViTimeoutError
from .logging import get_logger, redact
from .retry import CONNECT, POOL, RetryAfterGate, RetryConfig, call_with_retries, retry_after
from .transport import PoolTimeout, Transport, TransportClosed

__all__ = ["Call", "RetryPolicy", "SendPolicy", "Sender", "short_text", "transport_error", "Body"]

T = TypeVar("T")

Body = Union[None, bytes, io.IOBase, Any]


def short_text(err: Any) -> str:
    """An exception (or anything) as text fit for a message: redacted, at most 300 characters."""
    return redact(str(err))[:300]


@dataclass
class Call:
    """One request as a policy prepared it. ``where`` is what errors and logs show (an API path,
    or a storage URL without its signature); ``expected`` the statuses it wants (any 2xx when
    empty). ``headers`` is read at every attempt, so a reader may change it for the next one (a
    resumed download asks for the rest of the bytes)."""

    method: str
    url: str
    where: str
    headers: Dict[str, str]
    timeout: Tuple[float, float]
    params: Optional[Mapping[str, Any]] = None
    body: Body = None
    stream: bool = False
    expected: Tuple[int, ...] = ()

    def accepts(self, status: int) -> bool:
        return status in self.expected if self.expected else 200 <= status < 300


class SendPolicy:
    """What differs between kinds of request; each policy sends through its own :class:`Sender`
    over the client's transport and retry policy. The defaults log nothing per attempt."""

    #: shown before the method in retry warnings ("Retrying storage GET ...")
    label = ""
    #: errors such as ``ValueError`` from the transport become ``ViNetworkError`` (API bodies are
    #: plain bytes, so they can only come from the connection; storage bodies are user streams)
    wraps_odd_errors = False

    def __init__(
        self, config: ClientConfig, transport: Transport, *, retry: RetryPolicy, is_closed: Callable[[], bool]
    ) -> None:
        self._config = config
        self._is_closed = is_closed
        self._timeout = config.timeout.as_requests()
        self._log = get_logger()
        self._sender = Sender(transport, self, retry=retry, timeout=config.timeout, is_closed=is_closed)

    def error(self, call: Call, response: requests.Response) -> ViError:
        """The error for a response with a status the call did not want (closed or read)."""
        raise NotImplementedError

    def trace_request(self, call: Call) -> None:
        """Called before each attempt when DEBUG logging is on."""

    def trace_response(self, call: Call, response: requests.Response, started: float) -> None:
        """Called after each response when DEBUG logging is on."""

    def failed(self, error: ViError) -> None:
        """A last touch on the error a call ends with."""


class RetryPolicy:
    """A client's retry config, the way it sleeps and its ``Retry-After`` gate: shared by both of
    its senders, so one backoff and one pause hold for every request of the client."""

    def __init__(self, config: RetryConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self.gate = RetryAfterGate()

    def call(
        self,
        attempt: Callable[[], T],
        *,
        method: str,
        rewindable: bool = True,
        on_retry: Optional[Callable[[ViError, int, float], None]] = None,
    ) -> T:
        """``attempt`` under the policy; a request whose body cannot be rewound is sent once."""
        config = self.config if rewindable else self.config.without_retries()
        return call_with_retries(attempt, method=method, config=config, sleep=self.sleep, on_retry=on_retry)


class Sender:
    """The send skeleton for one policy over a client's transport."""

    def __init__(
        self,
        transport: Transport,
        policy: SendPolicy,
        *,
        retry: RetryPolicy,
        timeout: Timeout,
        is_closed: Callable[[], bool],
    ) -> None:
        self._transport = transport
        self._policy = policy
        self.retry = retry
        self._timeout = timeout
        self._is_closed = is_closed
        self._log = get_logger()

    def send(self, call: Call, read: Callable[[requests.Response], T]) -> T:
        """Send ``call`` (with retries) and return ``read(response)`` for an accepted response.

        ``read`` runs inside the attempt: a ``ViError`` it raises is retried like any other
        (a body cut short, a ``Content-Range`` that does not match), by the same budget."""
        start = _tell(call.body)
        rewindable = call.body is None or isinstance(call.body, (bytes, bytearray)) or start is not None
        retry = self.retry
        origin = _origin(call.url)
        waited = [0.0]  # the latest Retry-After pause this call has already waited out

        def attempt() -> T:
            waited[0] = retry.gate.wait(origin, retry.sleep, waited[0])
            if start is not None:
                call.body.seek(start)  # type: ignore[union-attr]  # a stream, by _tell
            try:
                return read(self._send_once(call))
            except ViError as error:
                pause = retry_after(error, retry.config)
                if pause is not None:  # this call sleeps it out as its retry delay
                    waited[0] = max(waited[0], retry.gate.hold(origin, pause))
                raise

        def on_retry(error: ViError, attempt_number: int, delay: float) -> None:
            self._log.warning(
                "Retrying %s%s %s in %.2fs after attempt %d failed: %s",
                self._policy.label,
                call.method,
                call.where,
                delay,
                attempt_number,
                error.message,
            )

        try:
            return retry.call(attempt, method=call.method, rewindable=rewindable, on_retry=on_retry)
        except ViError as error:
            error.method, error.path = call.method, call.where
            self._policy.failed(error)
            raise

    def _send_once(self, call: Call) -> requests.Response:
        policy = self._policy
        if self._is_closed():
            raise ViClientClosedError(method=call.method, path=call.where)
        debug = self._log.isEnabledFor(logging.DEBUG)
        if debug:
            policy.trace_request(call)
        started = time.monotonic()
        # Failures are raised after the ``except`` block, not inside it: an exception raised
        # there keeps the transport's exception as its ``__context__`` (``from None`` only hides
        # it), and that exception holds the request, Authorization header included. Whoever
        # pickles errors with their chain (Dask's workers do) would carry the secret along.
        failure: Optional[ViError] = None
        try:
            response = self._transport.request(
                call.method,
                call.url,
                params=call.params,
                data=call.body,
                headers=call.headers,
                stream=call.stream,
                timeout=call.timeout,
                allow_redirects=True,
            )
        except TransportClosed:
            failure = ViClientClosedError(method=call.method, path=call.where)
        except requests.RequestException as err:
            if self._is_closed():
                failure = ViClientClosedError(method=call.method, path=call.where)
            else:
                failure = transport_error(err, self._timeout)
        except (AttributeError, TypeError, ValueError) as err:
            # A pool torn down by close() in another thread surfaces as odd errors from urllib3.
            if self._is_closed():
                failure = ViClientClosedError(method=call.method, path=call.where)
            elif not policy.wraps_odd_errors:
                raise
            else:
                failure = ViNetworkError("Request to the Vi API failed: %s" % short_text(err))
        if failure is not None:
            raise failure
        if debug:
            policy.trace_response(call, response, started)
        if not call.accepts(response.status_code):
            raise policy.error(call, response)
        return response


def transport_error(err: requests.RequestException, timeout: Timeout) -> ViError:
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
        return ViNetworkError("TLS error talking to the Vi API: %s" % short_text(err))
    if isinstance(err, requests.ConnectionError):
        reason = getattr(err.args[0], "reason", None) if err.args else None
        if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
            return ViNetworkError(
                "Could not connect to the Vi API: %s" % short_text(reason), details={"transport": CONNECT}
            )
        return ViNetworkError(
            "Connection to the Vi API failed: %s" % short_text(err), details={"transport": "io"}
        )
    if isinstance(err, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return ViNetworkError(
            "The response body was cut short or corrupt: %s" % short_text(err), details={"transport": "io"}
        )
    return ViNetworkError("Request to the Vi API failed: %s" % short_text(err))


def _origin(url: str) -> str:
    """``scheme://host:port`` of a URL: the server a ``Retry-After`` pause applies to."""
    scheme, _, rest = url.partition("://")
    return scheme.lower() + "://" + rest.split("/", 1)[0].split("?", 1)[0].lower()


def _tell(body: Any) -> Optional[int]:
    """Where a seekable stream body starts (None: bytes, no body, or a stream that cannot seek)."""
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
