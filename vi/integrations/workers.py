"""One client per worker process, built from something that is safe to put in a task.

A distributed engine pickles every argument of every task into its task graph, ships the graph
to a scheduler and hands it to worker processes. A :class:`ClientSource` is what travels: a
pickled client (configuration only; the secret key is left out unless the client was created
with ``pickle_secret=True``) or the keyword arguments for a new client (``secret_key`` refused
unless ``pickle_secret=True``). On a worker, :meth:`ClientSource.client` returns the one client
of that process for that source, built on first use and reused by every task and thread after
it, so that:

* the connections a worker opens stay within that client's ``max_connections``, however many
  tasks and threads run there;
* a rate limit the API signals (429 with ``Retry-After``) is seen by every task of the worker,
  because they all share the client that saw it;
* the secret key comes from the worker's own environment (``DATATURE_VI_SECRET_KEY``) or
  configuration file, never from the task graph, unless the caller opted in.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Tuple, TypeVar, cast

from ..errors import ViConfigurationError, ViError

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client

__all__ = ["ClientSource", "worker_client", "forget_worker_clients", "detached", "task"]

F = TypeVar("F", bound=Callable[..., Any])

_LOCK = threading.Lock()
_CLIENTS: Dict[Tuple[int, str], "Client"] = {}
# The client a source was made from, while it lives: tasks run in the driver's own process
# (Dask's threaded scheduler, a thread pool) use it as it is, secret key included.
_ORIGINS: "weakref.WeakValueDictionary[Tuple[int, str], Client]" = weakref.WeakValueDictionary()


class ClientSource:
    """A picklable recipe for "this process's client"; see the module docstring.

    ``ClientSource(client)`` carries the client's pickle (the same bytes ``pickle.dumps(client)``
    gives); ``ClientSource.from_config(endpoint=..., organization_id=..., ...)`` carries keyword
    arguments for :class:`vi.Client`. Either way nothing secret is carried unless
    ``pickle_secret=True`` was chosen, and ``repr`` never shows what is carried."""

    __slots__ = ("_payload", "_kind", "_key")

    def __init__(self, client: "Client") -> None:
        from ..client import Client

        if not isinstance(client, Client):
            raise ViConfigurationError("ClientSource needs a vi.Client, got %s" % type(client).__name__)
        if client.is_closed:
            raise ViConfigurationError("ClientSource needs an open client")
        self._kind = "pickle"
        self._payload: Any = pickle.dumps(client, protocol=4)
        self._key = hashlib.sha256(self._payload).hexdigest()
        with _LOCK:
            _ORIGINS[(os.getpid(), self._key)] = client

    @classmethod
    def from_config(cls, **client_kwargs: Any) -> "ClientSource":
        """Keyword arguments for ``vi.Client`` to be built on each worker (``adapters`` cannot
        travel). ``secret_key`` is accepted only together with ``pickle_secret=True``."""
        if client_kwargs.get("secret_key") is not None and not client_kwargs.get("pickle_secret"):
            raise ViConfigurationError(
                "A secret_key in a ClientSource would travel in clear in every task: let workers read "
                "DATATURE_VI_SECRET_KEY or a config_file, or pass pickle_secret=True to send it anyway"
            )
        if client_kwargs.get("adapters"):
            raise ViConfigurationError("Mounted adapters cannot travel to other processes")
        source = cls.__new__(cls)
        source._kind = "config"
        source._payload = dict(client_kwargs)
        source._key = hashlib.sha256(pickle.dumps(sorted(client_kwargs.items(), key=repr))).hexdigest()
        return source

    @classmethod
    def coerce(cls, value: Any) -> "ClientSource":
        """A ``ClientSource`` as is, a ``vi.Client`` wrapped (its pickle, secret only if it
        was created with ``pickle_secret=True``)."""
        return value if isinstance(value, ClientSource) else cls(value)

    @property
    def key(self) -> str:
        """Identifies the source (a digest, safe to log): equal sources share a worker client."""
        return self._key

    def build(self) -> "Client":
        """A new client from this source (the caller owns it). Most code wants :meth:`client`."""
        if self._kind == "pickle":
            client = pickle.loads(self._payload)
        else:
            from ..client import Client

            client = Client(**self._payload)
        return client  # type: ignore[no-any-return]

    def client(self) -> "Client":
        """This process's client for this source: built once, shared by every task and thread.

        In the process that made the source from a client, that client itself while it is open.
        A client that was closed (by user code in a task) is replaced by a new one."""
        key = (os.getpid(), self._key)
        with _LOCK:
            origin = _ORIGINS.get(key)
            if origin is not None and not origin.is_closed:
                return origin
            client = _CLIENTS.get(key)
            if client is None or client.is_closed:
                client = self.build()
                _CLIENTS[key] = client
            return client

    def __getstate__(self) -> Dict[str, Any]:
        return {"kind": self._kind, "payload": self._payload, "key": self._key}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._kind = state["kind"]
        self._payload = state["payload"]
        self._key = state["key"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClientSource) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return "ClientSource(%s, key=%s)" % (self._kind, self._key[:12])


def worker_client(source: Any) -> "Client":
    """The current process's client for ``source`` (a :class:`ClientSource` or a ``vi.Client``)."""
    if not isinstance(source, ClientSource):
        from ..client import Client

        if isinstance(source, Client):
            return source  # already in this process: use it as it is
        raise ViConfigurationError("worker_client needs a ClientSource or a vi.Client")
    return source.client()


def forget_worker_clients() -> int:
    """Close and drop this process's cached clients (for a worker shutting down); returns how many."""
    with _LOCK:
        clients = [c for (pid, _), c in _CLIENTS.items() if pid == os.getpid()]
        _CLIENTS.clear()
    for client in clients:
        client.close()
    return len(clients)


def detached(error: ViError) -> ViError:
    """A copy of ``error`` without the exceptions chained to it or its traceback.

    A worker sends a failed task's exception to the scheduler and the client with its
    ``__cause__``/``__context__`` chain (Dask pickles exceptions with ``tblib``). Under a
    ``ViNetworkError`` that chain holds the HTTP library's exception and, in it, the request
    with its ``Authorization`` header; the copy keeps every field of the error and nothing
    else."""
    rebuild, args = error.__reduce__()[:2]
    return cast(ViError, rebuild(*args))


def task(func: F) -> F:
    """Wrap a task function so that a ``ViError`` leaves it :func:`detached` (raised outside
    the ``except`` block, so nothing is chained to it either)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        failure = None
        try:
            return func(*args, **kwargs)
        except ViError as error:
            failure = detached(error)
        raise failure

    return cast(F, run)
