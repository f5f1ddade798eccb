"""vi: a synchronous Python SDK for the Datature Vi platform.

Only the error classes are imported eagerly; everything else (``Client`` and the HTTP stack
behind it) loads on first use, so ``import vi`` stays cheap for scripts and worker processes.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    PaginationError,
    ViAuthenticationError,
    ViClientClosedError,
    ViConfigurationError,
    ViConflictError,
    ViDownloadError,
    ViError,
    ViErrorCode,
    ViFileTooLargeError,
    ViInsecureWarning,
    ViInvalidFileFormatError,
    ViInvalidParameterError,
    ViNetworkError,
    ViNotFoundError,
    ViOperationError,
    ViPermissionError,
    ViRateLimitError,
    ViResponseError,
    ViServerError,
    ViTimeoutError,
    ViUploadError,
    ViValidationError,
)

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .config import Timeout
    from .logging import LoggingConfig, LogLevel
    from .pagination import Page
    from .retry import RetryConfig, RetryStrategy

_LAZY = {
    "Client": ("client", "Client"),
    "Timeout": ("config", "Timeout"),
    "LoggingConfig": ("logging", "LoggingConfig"),
    "LogLevel": ("logging", "LogLevel"),
    "Page": ("pagination", "Page"),
    "RetryConfig": ("retry", "RetryConfig"),
    "RetryStrategy": ("retry", "RetryStrategy"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError("module 'vi' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module("." + target[0], __name__), target[1])
    globals()[name] = value
    return value


def __dir__() -> Any:
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "__version__",
    "Client",
    "Timeout",
    "LoggingConfig",
    "LogLevel",
    "Page",
    "RetryConfig",
    "RetryStrategy",
    "PaginationError",
    "ViAuthenticationError",
    "ViClientClosedError",
    "ViConfigurationError",
    "ViConflictError",
    "ViDownloadError",
    "ViError",
    "ViErrorCode",
    "ViFileTooLargeError",
    "ViInsecureWarning",
    "ViInvalidFileFormatError",
    "ViInvalidParameterError",
    "ViNetworkError",
    "ViNotFoundError",
    "ViOperationError",
    "ViPermissionError",
    "ViRateLimitError",
    "ViResponseError",
    "ViServerError",
    "ViTimeoutError",
    "ViUploadError",
    "ViValidationError",
]
