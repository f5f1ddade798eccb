"""The ``ViError`` hierarchy and the HTTP status mapping (403 is a permission error, distinct from a bad key).

Every error the SDK raises on purpose is a :class:`ViError`, so ``except vi.ViError`` is enough
to catch anything the service or the client can throw at a caller. Errors are plain data:
they pickle (so they cross process boundaries in worker pools) and never hold the secret key.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Type

__all__ = [
    "ViErrorCode",
    "ViError",
    "ViAuthenticationError",
    "ViPermissionError",
    "ViNotFoundError",
    "ViRateLimitError",
    "ViServerError",
    "ViNetworkError",
    "ViConflictError",
    "ViValidationError",
    "ViInvalidParameterError",
    "ViFileTooLargeError",
    "ViInvalidFileFormatError",
    "ViDownloadError",
    "ViUploadError",
    "ViConfigurationError",
    "ViOperationError",
    "ViResponseError",
    "ViTimeoutError",
    "ViClientClosedError",
    "PaginationError",
    "ViInsecureWarning",
    "error_for_status",
]


class ViErrorCode(str, enum.Enum):
    """Stable machine-readable error codes, with the canonical HTTP status of each."""

    AUTHENTICATION_FAILED = "AuthenticationFailed"
    INVALID_API_KEY = "InvalidApiKey"
    EXPIRED_CREDENTIALS = "ExpiredCredentials"
    PERMISSION_DENIED = "PermissionDenied"
    VALIDATION_FAILED = "ValidationFailed"
    INVALID_PARAMETER = "InvalidParameter"
    MISSING_REQUIRED_FIELD = "MissingRequiredField"
    INVALID_FILE_FORMAT = "InvalidFileFormat"
    FILE_TOO_LARGE = "FileTooLarge"
    RESOURCE_NOT_FOUND = "ResourceNotFound"
    RESOURCE_CONFLICT = "ResourceConflict"
    RESOURCE_LIMIT_EXCEEDED = "ResourceLimitExceeded"
    NETWORK_ERROR = "NetworkError"
    TIMEOUT_ERROR = "TimeoutError"
    CONNECTION_FAILED = "ConnectionFailed"
    SERVER_ERROR = "ServerError"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"
    RATE_LIMIT_EXCEEDED = "RateLimitExceeded"
    OPERATION_FAILED = "OperationFailed"
    DOWNLOAD_FAILED = "DownloadFailed"
    UPLOAD_FAILED = "UploadFailed"
    CONFIGURATION_ERROR = "ConfigurationError"
    CLIENT_CLOSED = "ClientClosed"
    INVALID_RESPONSE = "InvalidResponse"
    UNKNOWN_ERROR = "UnknownError"

    @property
    def http_status(self) -> int:
        return _CANONICAL_STATUS.get(self, 500)

    @classmethod
    def from_http_status(cls, status: int) -> "ViErrorCode":
        code = _STATUS_CODES.get(status)
        if code is not None:
            return code
        if 400 <= status < 500:
            return cls.VALIDATION_FAILED
        if 500 <= status < 600:
            return cls.SERVER_ERROR
        return cls.UNKNOWN_ERROR


_CANONICAL_STATUS = {
    ViErrorCode.AUTHENTICATION_FAILED: 401,
    ViErrorCode.INVALID_API_KEY: 401,
    ViErrorCode.EXPIRED_CREDENTIALS: 401,
    ViErrorCode.PERMISSION_DENIED: 403,
    ViErrorCode.VALIDATION_FAILED: 400,
    ViErrorCode.INVALID_PARAMETER: 400,
    ViErrorCode.MISSING_REQUIRED_FIELD: 400,
    ViErrorCode.INVALID_FILE_FORMAT: 400,
    ViErrorCode.FILE_TOO_LARGE: 413,
    ViErrorCode.RESOURCE_NOT_FOUND: 404,
    ViErrorCode.RESOURCE_CONFLICT: 409,
    ViErrorCode.RESOURCE_LIMIT_EXCEEDED: 429,
    ViErrorCode.NETWORK_ERROR: 502,
    ViErrorCode.TIMEOUT_ERROR: 504,
    ViErrorCode.CONNECTION_FAILED: 502,
    ViErrorCode.SERVICE_UNAVAILABLE: 503,
    ViErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ViErrorCode.INVALID_RESPONSE: 502,
}

_STATUS_CODES = {
    400: ViErrorCode.VALIDATION_FAILED,
    401: ViErrorCode.AUTHENTICATION_FAILED,
    403: ViErrorCode.PERMISSION_DENIED,
    404: ViErrorCode.RESOURCE_NOT_FOUND,
    408: ViErrorCode.TIMEOUT_ERROR,
    409: ViErrorCode.RESOURCE_CONFLICT,
    413: ViErrorCode.FILE_TOO_LARGE,
    429: ViErrorCode.RATE_LIMIT_EXCEEDED,
    500: ViErrorCode.SERVER_ERROR,
    502: ViErrorCode.NETWORK_ERROR,
    503: ViErrorCode.SERVICE_UNAVAILABLE,
    504: ViErrorCode.TIMEOUT_ERROR,
}

_RETRYABLE_CODES = frozenset(
    {
        ViErrorCode.NETWORK_ERROR,
        ViErrorCode.TIMEOUT_ERROR,
        ViErrorCode.CONNECTION_FAILED,
        ViErrorCode.SERVER_ERROR,
        ViErrorCode.SERVICE_UNAVAILABLE,
        ViErrorCode.RATE_LIMIT_EXCEEDED,
    }
)


class ViError(Exception):
    """Base class of every error raised by ``vi``.

    Carries what a caller needs to decide and to report: the HTTP status actually seen, a
    stable ``error_code``, the request/trace id, how many attempts were made and a hint.
    """

    default_code = ViErrorCode.UNKNOWN_ERROR
    default_message = "An error occurred"
    default_suggestion: Optional[str] = None

    def __init__(
        self,
        message: Any = None,
        *,
        error_code: Optional[ViErrorCode] = None,
        status_code: Optional[int] = None,
        suggestion: Optional[str] = None,
        cause: Optional[BaseException] = None,
        details: Optional[Dict[str, Any]] = None,
        retry_after: Optional[str] = None,
        trace_id: Optional[str] = None,
        organization_id: Optional[str] = None,
        attempts: Optional[int] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        if isinstance(message, BaseException):
            cause = cause or message
            message = str(message) or type(message).__name__
        self.message = str(message) if message is not None else self.default_message
        self.error_code = ViErrorCode(error_code) if error_code else self.default_code
        self.status_code = status_code
        self.suggestion = suggestion if suggestion is not None else self.default_suggestion
        self.cause = cause
        self.details = dict(details) if details else {}
        self.retry_after = retry_after
        self.trace_id = trace_id
        self.organization_id = organization_id
        self.attempts = attempts
        self.method = method
        self.path = path
        super().__init__(self.message)
        if cause is not None:
            self.__cause__ = cause

    # Pickle by keyword so every attribute survives the trip (Exception's default reduce only
    # replays positional args). The cause is dropped: it may be an unpicklable transport error.
    def __reduce__(self) -> Any:
        return (_rebuild_error, (type(self), self.message, self._state()))

    def _state(self) -> Dict[str, Any]:
        return {
            "error_code": self.error_code,
            "status_code": self.status_code,
            "suggestion": self.suggestion,
            "details": self.details,
            "retry_after": self.retry_after,
            "trace_id": self.trace_id,
            "organization_id": self.organization_id,
            "attempts": self.attempts,
            "method": self.method,
            "path": self.path,
        }

    @property
    def http_status(self) -> int:
        """The canonical status of ``error_code`` (``status_code`` is the one observed)."""
        return self.error_code.http_status

    def is_client_error(self) -> bool:
        return 400 <= self.http_status < 500

    def is_server_error(self) -> bool:
        return self.http_status >= 500

    def is_retryable(self) -> bool:
        return self.error_code in _RETRYABLE_CODES

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "type": type(self).__name__,
            "error_code": self.error_code.value,
            "http_status": self.http_status,
            "status_code": self.status_code,
            "message": self.message,
            "suggestion": self.suggestion,
        }
        for key in ("details", "trace_id", "attempts", "method", "path"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    def __str__(self) -> str:
        text = "[%s] %s" % (self.error_code.value, self.message)
        if self.status_code is not None:
            text += " (HTTP %d)" % self.status_code
        if self.method and self.path:
            text += " [%s %s]" % (self.method, self.path)
        if self.attempts and self.attempts > 1:
            text += " after %d attempts" % self.attempts
        if self.suggestion:
            text += "\nSuggestion: %s" % self.suggestion
        return text

    def __repr__(self) -> str:
        return "%s(%r, error_code=%s, status_code=%r)" % (
            type(self).__name__,
            self.message,
            self.error_code.value,
            self.status_code,
        )


def _rebuild_error(cls: Type[ViError], message: str, state: Dict[str, Any]) -> ViError:
    err = cls.__new__(cls)
    ViError.__init__(err, message, **state)
    return err


class ViAuthenticationError(ViError):
    default_code = ViErrorCode.AUTHENTICATION_FAILED
    default_message = "Authentication failed"
    default_suggestion = "Check the secret key and organization id the client was created with."


class ViPermissionError(ViAuthenticationError):
    """403: authenticated but not allowed. A subclass of ``ViAuthenticationError`` so that
    ``except ViAuthenticationError`` written for the official client still catches it."""

    default_code = ViErrorCode.PERMISSION_DENIED
    default_message = "Permission denied"
    default_suggestion = "The secret key is valid but lacks access to this organization or resource."


class ViNotFoundError(ViError):
    default_code = ViErrorCode.RESOURCE_NOT_FOUND
    default_message = "Resource not found"


class ViRateLimitError(ViError):
    default_code = ViErrorCode.RATE_LIMIT_EXCEEDED
    default_message = "Rate limit exceeded"
    default_suggestion = "Slow down, or raise RetryConfig.max_rate_limit_retries."


class ViServerError(ViError):
    default_code = ViErrorCode.SERVER_ERROR
    default_message = "The Vi service failed to handle the request"


class ViNetworkError(ViError):
    default_code = ViErrorCode.NETWORK_ERROR
    default_message = "Network error"
    default_suggestion = "Check connectivity to the Vi endpoint."


class ViConflictError(ViError):
    default_code = ViErrorCode.RESOURCE_CONFLICT
    default_message = "Resource conflict"


class ViValidationError(ViError, ValueError):
    """Bad input, found by the client before any I/O or reported by the server (400).

    Also a ``ValueError`` so that generic argument checking code recognises it."""

    default_code = ViErrorCode.VALIDATION_FAILED
    default_message = "Validation failed"


class ViInvalidParameterError(ViValidationError):
    default_code = ViErrorCode.INVALID_PARAMETER

    def __init__(self, parameter_name: Any = None, message: Any = None, **kwargs: Any) -> None:
        details = dict(kwargs.pop("details", None) or {})
        if parameter_name is not None:
            details.setdefault("parameter", parameter_name)
        if message is None:
            message = "Invalid value for parameter %r" % (parameter_name,)
        super().__init__(message, details=details, **kwargs)

    @property
    def parameter_name(self) -> Optional[str]:
        return self.details.get("parameter")

    def __reduce__(self) -> Any:
        return (_rebuild_error, (type(self), self.message, self._state()))


class ViFileTooLargeError(ViValidationError):
    default_code = ViErrorCode.FILE_TOO_LARGE
    default_message = "File too large"


class ViInvalidFileFormatError(ViValidationError):
    default_code = ViErrorCode.INVALID_FILE_FORMAT
    default_message = "Invalid file format"


class ViDownloadError(ViError):
    default_code = ViErrorCode.DOWNLOAD_FAILED
    default_message = "Download failed"


class ViUploadError(ViError):
    default_code = ViErrorCode.UPLOAD_FAILED
    default_message = "Upload failed"


class ViConfigurationError(ViError):
    default_code = ViErrorCode.CONFIGURATION_ERROR
    default_message = "Invalid client configuration"


class ViOperationError(ViError):
    default_code = ViErrorCode.OPERATION_FAILED
    default_message = "Operation failed"


class ViResponseError(ViOperationError):
    """A 2xx response whose body is not what the protocol promises; names the field path."""

    default_code = ViErrorCode.INVALID_RESPONSE
    default_message = "The Vi service returned a malformed response"
    default_suggestion = (
        "The response did not match the Vi protocol; a proxy may have answered instead of the API."
    )


class ViTimeoutError(ViError):
    default_code = ViErrorCode.TIMEOUT_ERROR
    default_message = "The request timed out"


class ViClientClosedError(ViError, RuntimeError):
    """Raised before any I/O when a closed client is used.

    Also a ``RuntimeError``: the official client raises a bare ``RuntimeError`` here and the
    resource-management guide documents that type."""

    default_code = ViErrorCode.CLIENT_CLOSED
    default_message = "Cannot make requests with a closed client"
    default_suggestion = "Create a new vi.Client instance."


class PaginationError(ViOperationError):
    """A listing the server keeps answering with a token it already gave (a loop), or one longer
    than the iteration cap. Unlike the official client's, this one is a ``ViError``."""


class ViInsecureWarning(UserWarning):
    """A client was configured in a way that exposes its traffic (``verify=False``)."""


_STATUS_CLASSES: Dict[int, Type[ViError]] = {
    400: ViValidationError,
    401: ViAuthenticationError,
    403: ViPermissionError,
    404: ViNotFoundError,
    408: ViTimeoutError,
    409: ViConflictError,
    413: ViFileTooLargeError,
    429: ViRateLimitError,
}


def error_for_status(status: int) -> Type[ViError]:
    """The exception class for an HTTP status, as the service documents it, with 403 → ViPermissionError."""
    cls = _STATUS_CLASSES.get(status)
    if cls is not None:
        return cls
    if 400 <= status < 500:
        return ViValidationError
    if 500 <= status < 600:
        return ViServerError
    return ViError
