"""HTTP transport: a ``requests.Session`` with pool semantics that mean what they say."""

from .adapter import PooledAdapter, PoolTimeout
from .session import EnvironmentSettings, Transport, TransportClosed, ViSession

__all__ = ["EnvironmentSettings", "PooledAdapter", "PoolTimeout", "Transport", "TransportClosed", "ViSession"]
