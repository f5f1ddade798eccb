"""HTTP transport: a ``requests.Session`` with pool semantics that mean what they say."""
from .adapter import PooledAdapter, PoolTimeout
from .session import Transport, ViSession

__all__ = ["PooledAdapter", "PoolTimeout", "Transport", "ViSession"]
