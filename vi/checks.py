"""Argument checks: every public method checks what it was given before any I/O.

A wrong argument fails fast, naming the parameter (:class:`vi.errors.ViInvalidParameterError`),
instead of travelling to the service and coming back as a less specific HTTP error, or worse,
being coerced into something the caller did not mean (``contents="no"`` is truthy). The
resources, the pagination arguments, the waiters and the transfers all check with these.
"""

from __future__ import annotations

import enum
import json
import math
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from .errors import ViInvalidParameterError, ViValidationError

__all__ = [
    "MAX_PAGE_SIZE",
    "check_id",
    "check_optional_id",
    "check_str",
    "check_optional_str",
    "check_optional_bool",
    "check_optional_int",
    "check_number",
    "check_choice",
    "check_str_dict",
    "check_spec",
    "check_body",
    "check_page_size",
    "check_page_args",
    "check_limit",
    "check_timeout",
    "check_poll_interval",
]

#: The largest page the service serves.
MAX_PAGE_SIZE = 1000

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}\Z")  # not "$", which also matches before a final "\n"


def check_id(name: str, value: Any) -> str:
    """An id argument: 1-255 letters, digits, ``_`` and ``-``, so that nothing a caller passes
    can point a request at another resource (``../x``, ``a/b``, ``?x=1``)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ViInvalidParameterError(name, "%s must be a string, got %s" % (name, type(value).__name__))
    if not value:
        raise ViInvalidParameterError(name, "%s must not be empty" % name)
    if not _ID_RE.match(value):
        raise ViInvalidParameterError(
            name,
            "%s must be 1-255 characters of letters, digits, '_' and '-', got %r" % (name, value[:80]),
        )
    return value


def check_optional_id(name: str, value: Any) -> Optional[str]:
    return None if value is None else check_id(name, value)


def check_str(name: str, value: Any, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise ViInvalidParameterError(name, "%s must be a string, got %s" % (name, type(value).__name__))
    if not allow_empty and not value.strip():
        raise ViValidationError("%s must not be empty" % name, details={"parameter": name})
    return value


def check_optional_str(name: str, value: Any) -> Optional[str]:
    return None if value is None else check_str(name, value)


def check_optional_bool(name: str, value: Any) -> Optional[bool]:
    """Booleans only: ``contents="no"`` would otherwise be truthy and send ``y``."""
    if value is not None and not isinstance(value, bool):
        raise ViInvalidParameterError(
            name, "%s must be True, False or None, got %s" % (name, type(value).__name__)
        )
    return value


def check_optional_int(name: str, value: Any, *, minimum: Optional[int] = None) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ViInvalidParameterError(name, "%s must be an integer, got %s" % (name, type(value).__name__))
    if minimum is not None and value < minimum:
        raise ViInvalidParameterError(name, "%s must be at least %d, got %d" % (name, minimum, value))
    return value


def check_number(name: str, value: Any, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ViInvalidParameterError(name, "%s must be a number, got %r" % (name, value))
    if not low <= value <= high:
        raise ViInvalidParameterError(name, "%s must be between %g and %g, got %g" % (name, low, high, value))
    return value


def check_choice(name: str, value: Any, choices: Tuple[str, ...]) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if not isinstance(value, str) or value not in choices:
        raise ViInvalidParameterError(
            name, "%s must be one of %s, got %r" % (name, ", ".join(choices), value)
        )
    return value


def check_str_dict(name: str, value: Any) -> Dict[str, str]:
    if not isinstance(value, Mapping):
        raise ViInvalidParameterError(
            name, "%s must be a dict of strings, got %s" % (name, type(value).__name__)
        )
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise ViInvalidParameterError(
                name, "%s must map strings to strings; %r: %r is not" % (name, key, item)
            )
    return dict(value)


def check_spec(name: str, value: Any) -> Dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ViInvalidParameterError(name, "%s must be a dict, got %s" % (name, type(value).__name__))
    for key in value:
        if not isinstance(key, str):
            raise ViInvalidParameterError(name, "%s keys must be strings, got %r" % (name, key))
    return dict(value)


def check_body(name: str, value: Any, *, allow_empty: bool = False) -> Dict[str, Any]:
    """A caller-supplied JSON body (forwarded verbatim): a dict with string keys that JSON can
    encode; empty only where the protocol allows it."""
    body = check_spec(name, value)
    if not allow_empty and not body:
        raise ViValidationError("%s must not be empty" % name, details={"parameter": name})
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ViInvalidParameterError(name, "%s must be JSON-serialisable: %s" % (name, exc)) from None
    return body


def check_page_size(page_size: object) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ViInvalidParameterError("page_size", "page_size must be an integer, got %r" % (page_size,))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ViInvalidParameterError(
            "page_size", "page_size must be between 1 and %d, got %d" % (MAX_PAGE_SIZE, page_size)
        )
    return page_size


def check_page_args(page_size: Any, page: Any) -> Tuple[Optional[int], Optional[str]]:
    """The ``page_size=``/``page=`` pair of the official client's untyped listings: both
    optional (``s``/``p`` are sent only when given); ``page`` is a page token."""
    if page_size is not None:
        check_page_size(page_size)
    if page is not None and not (isinstance(page, str) and page):
        raise ViInvalidParameterError("page", "page must be a non-empty page token or None, got %r" % (page,))
    return page_size, page


def check_limit(limit: object) -> Optional[int]:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ViInvalidParameterError(
            "limit", "limit must be a non-negative integer or None, got %r" % (limit,)
        )
    return limit


def check_count(name: str, value: Any, *, minimum: int = 1) -> int:
    """A whole number of things (workers, bytes, files) of at least ``minimum``; ``None``, bools
    and floats are refused so that a typo fails here, not deep inside a transfer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ViInvalidParameterError(name, "%s must be an integer >= %d, got %r" % (name, minimum, value))
    return value


def check_timeout(timeout: Any) -> Optional[float]:
    """``None`` (wait forever) or a finite number of seconds ≥ 0."""
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout < 0
    ):
        raise ViInvalidParameterError(
            "timeout", "timeout must be None or a non-negative number of seconds, got %r" % (timeout,)
        )
    return float(timeout)


def check_poll_interval(poll_interval: Any) -> float:
    """A finite number of seconds > 0."""
    if (
        isinstance(poll_interval, bool)
        or not isinstance(poll_interval, (int, float))
        or not math.isfinite(poll_interval)
        or poll_interval <= 0
    ):
        raise ViInvalidParameterError(
            "poll_interval", "poll_interval must be a positive number of seconds, got %r" % (poll_interval,)
        )
    return float(poll_interval)
