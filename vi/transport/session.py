"""The transport: one ``requests.Session`` with our pooled adapter and any adapters the user
mounts. It knows nothing about Vi; it only sends what the requester hands it.

Ownership is explicit (DESIGN decision 2): ``close()`` closes what this object built and
unmounts, without closing, what the user mounted. After ``os.fork()`` the child builds a
fresh session on first use and never touches the sockets it inherited from the parent
(DESIGN decision 7).
"""
from __future__ import annotations

import os
import threading
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import requests
from requests.adapters import BaseAdapter

from .adapter import PooledAdapter

__all__ = ["Transport", "ViSession"]


class ViSession(requests.Session):
    """A session that drops every credential header, not only ``Authorization``, when a
    redirect leaves the origin (``requests`` keeps custom headers such as ``Organization-Id``)."""

    credential_headers: Tuple[str, ...] = ("Authorization", "Organization-Id", "Cookie")

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.credential_headers:
                prepared_request.headers.pop(name, None)


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
    ) -> None:
        self._limits = (max_connections, max_keepalive_connections, pool_timeout)
        self._verify = verify
        self._user_adapters: Dict[str, BaseAdapter] = dict(adapters or {})
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._session: Optional[requests.Session] = self._build()

    def _build(self) -> requests.Session:
        session = ViSession()
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
        if self._verify is not None:
            session.verify = self._verify
        return session

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
                raise RuntimeError("transport is closed")
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
