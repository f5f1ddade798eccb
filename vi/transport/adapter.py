"""An ``HTTPAdapter`` whose pool limits mean what the guide says.

``requests`` leaves urllib3 pools non-blocking by default: with more threads than
``pool_maxsize`` it opens extra connections and then discards them with "Connection pool is
full". Blocking pools fix that, but urllib3 then waits forever for a free connection, because
``requests`` never passes a pool timeout. This adapter makes the pool block with a timeout,
caps the idle connections it keeps, and enforces ``Content-Length`` on urllib3 1.26 as 2.x does.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import weakref
from typing import Any, Dict, Optional, Type

from requests.adapters import HTTPAdapter
from requests.exceptions import Timeout
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ClosedPoolError, EmptyPoolError
from urllib3.util.retry import Retry

from ..logging import get_logger

__all__ = ["PoolTimeout", "PooledAdapter"]

_log = get_logger()


_FULL_POOL = getattr(urllib3_exceptions, "FullPoolError", ())  # urllib3 2.x only

#: seconds a pool must go without returned connections before idle ones beyond
#: max_keepalive_connections are closed
IDLE_GRACE = 2.0
#: seconds an idle connection beyond max_keepalive_connections is kept while the pool stays busy
BUSY_IDLE_TIMEOUT = 30.0


class PoolTimeout(Timeout):
    """No connection became free within the pool timeout."""


def _wake(pool: "queue.Queue[Any]", count: int) -> None:
    for _ in range(max(1, count)):
        try:
            pool.put(None, block=False)
        except queue.Full:
            return


class _IdleReaper:
    """Closes idle connections beyond a pool's keep-alive cap once the pool has gone quiet
    (``IDLE_GRACE``), including after the last request of a burst, when no caller is left to
    notice. One daemon thread per process, alive only while some pool holds such extras.

    Closing them the moment the pool looks quiet is wrong on a busy machine: 32 threads sharing
    a pool can all be decoding at once for an instant, and trimming then means reconnecting a
    millisecond later. Nor is a connection's own idle time enough while the load goes on: with
    demand swinging between 28 and 32 threads, the 32nd connection sits unused for seconds and
    is needed again. So while the pool is busy an extra is kept for ``BUSY_IDLE_TIMEOUT``."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._due: "Dict[weakref.ref[Any], float]" = {}
        self._thread: Optional[threading.Thread] = None

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            self._reset()  # forked: the parent's thread, lock and pools are not ours

    def schedule(self, pool: Any, when: float) -> None:
        self._check_fork()
        with self._cond:
            ref = weakref.ref(pool)
            due = self._due.get(ref)
            if due is not None and due <= when:
                return
            self._due[ref] = when
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vi-idle-reaper", daemon=True)
                self._thread.start()
            else:
                self._cond.notify()

    def cancel(self, pool: Any) -> None:
        self._check_fork()
        with self._cond:
            if self._due.pop(weakref.ref(pool), None) is not None:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._due:
                    self._thread = None
                    return
                now = time.monotonic()
                ready = [ref for ref, due in self._due.items() if due <= now]
                if not ready:
                    self._cond.wait(min(self._due.values()) - now)
                    continue
                for ref in ready:
                    del self._due[ref]
            for ref in ready:
                pool = ref()
                if pool is None:
                    continue
                try:
                    pool._vi_reap()
                except Exception:  # a failing close must not end reaping for every pool
                    _log.debug("closing idle connections failed", exc_info=True)


_REAPER = _IdleReaper()


def _pool_class(
    base: Type[HTTPConnectionPool], pool_timeout: float, keepalive: int
) -> Type[HTTPConnectionPool]:
    class Pool(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._vi_reap_scheduled = False
            self._vi_last_active = time.monotonic()

        def _get_conn(self, timeout: Optional[float] = None) -> Any:
            waiting_on = self.pool
            conn = super()._get_conn(timeout=pool_timeout if timeout is None else timeout)
            if self.pool is None:
                # Woken by close() (see below): fail like a closed pool instead of connecting,
                # and pass the wake-up on to the next thread waiting on the same queue.
                if conn is not None:
                    conn.close()
                if waiting_on is not None:
                    _wake(waiting_on, 1)
                raise ClosedPoolError(self, "Pool is closed.")
            return conn

        def _put_conn(self, conn: Any) -> None:
            # Idle connections are capped at ``keepalive``, but not the instant the cap is
            # exceeded: under sustained load a returned connection is picked up again moments
            # later, and closing it would only churn connections (one new connection per
            # request). The reaper closes the extras once the pool has been quiet for
            # IDLE_GRACE seconds, or once an extra has sat unused for BUSY_IDLE_TIMEOUT seconds
            # while the pool stayed busy.
            now = time.monotonic()
            self._vi_last_active = now
            if conn is not None:
                conn._vi_idle_since = now
            try:
                super()._put_conn(conn)
            except _FULL_POOL:
                if self.pool is not None:
                    raise
                return  # closed under us: urllib3 already closed the connection
            if self._vi_reap_scheduled:
                return
            pool = self.pool
            if pool is None:
                return
            with pool.mutex:
                idle = [c for c in pool.queue if c is not None]
            if len(idle) > keepalive:
                stalest = getattr(idle[0], "_vi_idle_since", now)  # LIFO: the lowest one
                self._vi_reap_scheduled = True
                _REAPER.schedule(self, min(now + IDLE_GRACE, stalest + BUSY_IDLE_TIMEOUT))

        def _vi_reap(self) -> None:
            """Close the idle connections beyond the cap if the pool has gone quiet, or those
            unused for long if it has not; ask to be called again while extras remain."""
            self._vi_reap_scheduled = False
            pool = self.pool
            if pool is None:
                return
            now = time.monotonic()
            quiet_at = self._vi_last_active + IDLE_GRACE
            victims = []
            next_due = None
            with pool.mutex:
                slots = pool.queue  # LIFO: the lowest connections are the stalest
                idle = [i for i, c in enumerate(slots) if c is not None]
                for i in idle[: max(0, len(idle) - keepalive)]:
                    stale_at = getattr(slots[i], "_vi_idle_since", 0.0) + BUSY_IDLE_TIMEOUT
                    if now >= quiet_at or now >= stale_at:
                        victims.append(slots[i])
                        slots[i] = None  # its slot stays, so the pool can reconnect
                    else:
                        due = min(quiet_at, stale_at)
                        next_due = due if next_due is None else min(next_due, due)
                if next_due is not None:
                    self._vi_reap_scheduled = True
            for conn in victims:
                conn.close()
            if next_due is not None:
                _REAPER.schedule(self, next_due)

        def close(self) -> None:
            # Threads blocked waiting for a free connection would otherwise sleep until the
            # pool timeout; hand each a None slot so they wake up and see the pool is closed.
            pool = self.pool
            _REAPER.cancel(self)
            super().close()
            if pool is not None:
                _wake(pool, 1)  # each woken waiter wakes the next (see _get_conn)

        def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("enforce_content_length", True)
            return super().urlopen(method, url, *args, **kwargs)

    Pool.__name__ = Pool.__qualname__ = "Vi" + base.__name__
    return Pool


class PooledAdapter(HTTPAdapter):
    """Caps requests in flight at ``max_connections`` per host pool, waits at most
    ``pool_timeout`` seconds for a free connection, and keeps at most
    ``max_keepalive_connections`` idle ones. urllib3 retries are off: one layer retries."""

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive_connections: int,
        pool_timeout: float,
        host_pools: int = 10,
    ) -> None:
        self._pool_classes: Dict[str, Type[HTTPConnectionPool]] = {
            "http": _pool_class(HTTPConnectionPool, pool_timeout, max_keepalive_connections),
            "https": _pool_class(HTTPSConnectionPool, pool_timeout, max_keepalive_connections),
        }
        self.pool_timeout = pool_timeout
        super().__init__(
            pool_connections=host_pools,
            pool_maxsize=max_connections,
            max_retries=Retry(total=0, read=False, redirect=False, raise_on_status=False),
            pool_block=True,
        )

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = True, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(self._pool_classes)
        return manager

    def close(self) -> None:
        """Close every host pool now. urllib3 2.x's ``PoolManager.clear()`` only forgets its
        pools (their sockets close whenever the garbage collector gets to them), and threads
        waiting for a connection would sleep on until the pool timeout."""
        managers = [self.poolmanager, *self.proxy_manager.values()]
        pools = []
        for manager in managers:
            container = manager.pools
            for key in list(container.keys()):
                pool = container.get(key)
                if pool is not None:
                    pools.append(pool)
        super().close()
        for pool in pools:
            pool.close()

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().send(request, *args, **kwargs)
        except EmptyPoolError:
            raise PoolTimeout(
                "No free connection within %gs: every pooled connection is busy" % self.pool_timeout,
                request=request,
            ) from None
