"""The transport: one ``requests.Session`` with our pooled adapter and any adapters the user
mounts. It knows nothing about Vi; it only sends what the requester hands it.

Ownership is explicit: ``close()`` closes what this object built and
unmounts, without closing, what the user mounted. After ``os.fork()`` the child builds a
fresh session on first use and never touches the sockets it inherited from the parent.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.cookies import RequestsCookieJar
from requests.utils import get_environ_proxies

from .adapter import PooledAdapter

__all__ = ["Transport", "TransportClosed", "ViSession", "EnvironmentSettings"]


class TransportClosed(RuntimeError):
    """The transport was closed; nothing was sent."""


_NO_COOKIES = RequestsCookieJar()  # shared and never written: requests copies jars it changes


class _NoCookies(RequestsCookieJar):
    """A jar that keeps nothing, so responses cannot plant cookies in the session."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        return None


class ViSession(requests.Session):
    """A session that drops every credential header, not only ``Authorization``, when a
    redirect leaves the origin (``requests`` keeps custom headers such as ``Organization-Id``)."""

    credential_headers: Tuple[str, ...] = ("Authorization", "Organization-Id", "Cookie")

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.credential_headers:
                prepared_request.headers.pop(name, None)


class EnvironmentSettings:
    """Proxy and CA-bundle settings from the environment, read once per origin.

    ``requests`` re-reads ``HTTP(S)_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` (and ``~/.netrc``)
    on every call, which is a large share of its per-request cost. The variables are still
    honoured, but the answer for an origin (scheme + host + port) is computed on its first use
    and kept, so a client ignores changes to them made after it started talking to a host.
    """

    def __init__(self, verify: Union[bool, str, None]) -> None:
        self._verify = verify
        self._cache: Dict[Tuple[str, str], Tuple[Dict[str, str], Union[bool, str]]] = {}
        self._lock = threading.Lock()

    def for_url(self, url: str) -> Tuple[Dict[str, str], Union[bool, str]]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._cache.get(key)
        if found is None:
            proxies = get_environ_proxies(url, no_proxy=None)
            verify: Union[bool, str] = True
            if self._verify is not None:
                verify = self._verify  # an explicit verify= wins, as in requests
            else:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            found = (dict(proxies), verify)
            with self._lock:
                if len(self._cache) > 256:  # storage URLs may span many hosts: stay bounded
                    self._cache.clear()
                self._cache[key] = found
        return found


class Transport:
    """Owns the session. Thread-safe: the session is only replaced after a fork or on close."""

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive_connections: int,
        pool_timeout: float,
        adapters: Optional[Mapping[str, BaseAdapter]] = None,
        verify: Union[bool, str, None] = None,
        cert: Union[None, str, Tuple[str, str]] = None,
    ) -> None:
        self._cert = cert
        self._limits = (max_connections, max_keepalive_connections, pool_timeout)
        self._verify = verify
        self._user_adapters: Dict[str, BaseAdapter] = dict(adapters or {})
        self._environment = EnvironmentSettings(verify)
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._session: Optional[requests.Session] = self._build()

    def _build(self) -> requests.Session:
        session = ViSession()
        session.cookies = _NoCookies()
        max_connections, max_keepalive, pool_timeout = self._limits
        # One adapter for both schemes: its host pools are shared, so the cap holds per host.
        pooled = PooledAdapter(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive,
            pool_timeout=pool_timeout,
        )
        session.mount("https://", pooled)
        session.mount("http://", pooled)
        for prefix, adapter in self._user_adapters.items():
            session.mount(prefix, adapter)
        # Environment settings are applied per request from EnvironmentSettings instead; this
        # also keeps requests from reading ~/.netrc (auth is the requester's business).
        session.trust_env = False
        return session

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Any = None,
        stream: bool = False,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """Send one request with proxies and CA bundle from the (cached) environment.

        The request is prepared directly rather than through ``Session.request``: merging it
        with session-level headers, cookies and hooks (none of which we use) is most of the
        per-call cost of ``requests``. Redirects, adapters and pools still go through the
        session. Cookies are neither stored nor sent: the API authenticates by header."""
        proxies, verify = self._environment.for_url(url)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method, url=url, headers=headers, data=data, params=params, cookies=_NO_COOKIES
        )
        return self.session.send(
            prepared,
            stream=stream,
            timeout=timeout,
            verify=verify,
            proxies=proxies,
            cert=self._cert,
            allow_redirects=allow_redirects,
        )

    @property
    def session(self) -> requests.Session:
        session = self._session
        if session is None or self._pid != os.getpid():
            session = self._after_fork_or_closed()
        return session

    def _after_fork_or_closed(self) -> requests.Session:
        if self._pid != os.getpid():
            # A child starts with one thread; a lock held by another parent thread at fork
            # time would never be released here, so take a new one.
            self._lock = threading.Lock()
        with self._lock:
            if self._closed:
                raise TransportClosed("transport is closed")
            if self._pid != os.getpid():
                # Inherited sockets belong to the parent: drop them without closing.
                self._pid = os.getpid()
                self._session = self._build()
            assert self._session is not None
            return self._session

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        """Route URLs starting with ``prefix`` through ``adapter`` (which the caller keeps owning)."""
        with self._lock:
            self._user_adapters[prefix] = adapter
            if self._session is not None:
                self._session.mount(prefix, adapter)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the session and the adapters built here; leave the user's adapters open."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            session, self._session = self._session, None
        if session is None or self._pid != os.getpid():
            return
        for prefix in self._user_adapters:
            if session.adapters.get(prefix) is self._user_adapters[prefix]:
                del session.adapters[prefix]
        session.close()
