"""The one retry layer: which failures are retried, how long to wait, how often.

urllib3's own retries are off, so every retry decision of a client is made here, once, for API
calls and storage requests alike. Three small pieces, each readable on its own:

* :func:`retry_budget`: which budget a failure draws on (``"rate"`` for 429, ``"other"`` for
  server errors, timeouts and transport failures the server provably did not act on), or
  ``None`` when repeating the request could do harm or cannot help;
* :func:`backoff`: the one backoff formula of the SDK, a function of ``RetryConfig`` and the
  retry number; ``Retry-After`` (429/503) replaces it when the server sends one;
* :func:`call_with_retries`: runs an attempt until it succeeds or its budget is spent, with a
  fresh count per call so that calls from different threads stay independent.
"""

from __future__ import annotations

import enum
import random
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, List, Optional, TypeVar

import tenacity

from .errors import ViError, ViInvalidParameterError, ViRateLimitError, ViServerError, ViTimeoutError

__all__ = [
    "RetryStrategy",
    "RetryConfig",
    "parse_retry_after",
    "backoff",
    "retry_budget",
    "retry_after",
    "RetryAfterGate",
    "call_with_retries",
    "IDEMPOTENT_METHODS",
]

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

#: transport failure phases the send path records in ``ViError.details["transport"]``
CONNECT = "connect"  # the request never reached the server: safe to repeat for any method
POOL = "pool"  # we already waited our turn for a connection: repeating would only wait again


class RetryStrategy(str, enum.Enum):
    EXPONENTIAL = "exponential"
    EXPONENTIAL_FULL_JITTER = "exponential_full_jitter"
    EXPONENTIAL_EQUAL_JITTER = "exponential_equal_jitter"
    LINEAR = "linear"


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ViInvalidParameterError(name, "%s must be an integer >= 0, got %r" % (name, value))
    return value


def _check_number(name: str, value: Any, ok: Callable[[float], bool], text: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
        raise ViInvalidParameterError(name, "%s must be %s, got %r" % (name, text, value))
    return float(value)


class RetryConfig:
    """How hard to retry. Immutable; invalid values raise ``ViInvalidParameterError`` (a ValueError).

    ``max_retries`` counts retries (not attempts) for server errors, timeouts and transport
    failures; ``max_rate_limit_retries`` is a separate budget for 429 answers. Every sleep,
    ``Retry-After`` included, is capped at ``max_delay``.
    """

    __slots__ = (
        "max_retries",
        "max_rate_limit_retries",
        "base_delay",
        "max_delay",
        "strategy",
        "respect_retry_after",
        "jitter_factor",
    )

    max_retries: int
    max_rate_limit_retries: int
    base_delay: float
    max_delay: float
    strategy: RetryStrategy
    respect_retry_after: bool
    jitter_factor: float

    def __init__(
        self,
        max_retries: int = 3,
        max_rate_limit_retries: int = 20,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        strategy: Any = RetryStrategy.EXPONENTIAL_FULL_JITTER,
        respect_retry_after: bool = True,
        jitter_factor: float = 1.0,
    ) -> None:
        positive = (lambda v: v > 0), "a number > 0"
        values = (
            _check_count("max_retries", max_retries),
            _check_count("max_rate_limit_retries", max_rate_limit_retries),
            _check_number("base_delay", base_delay, *positive),
            _check_number("max_delay", max_delay, *positive),
            _strategy(strategy),
            bool(respect_retry_after),
            _check_number("jitter_factor", jitter_factor, lambda v: 0 <= v <= 1, "between 0 and 1"),
        )
        if base_delay > max_delay:
            raise ViInvalidParameterError("base_delay", "base_delay cannot exceed max_delay")
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RetryConfig is immutable; build a new one")

    def __getstate__(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, state[name])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RetryConfig) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash(tuple(self.__getstate__().values()))

    def __repr__(self) -> str:
        return "RetryConfig(%s)" % ", ".join("%s=%r" % item for item in self.__getstate__().items())

    def backoff(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """Sleep before retry ``retry_number`` (0-based): :func:`backoff` for this config."""
        return backoff(self, retry_number, rng)

    def without_retries(self) -> "RetryConfig":
        """The same delays with both budgets at zero: for a request that must be sent once."""
        state = self.__getstate__()
        state.update(max_retries=0, max_rate_limit_retries=0)
        return RetryConfig(**state)


def _strategy(value: Any) -> RetryStrategy:
    try:
        return RetryStrategy(value)
    except ValueError:
        raise ViInvalidParameterError(
            "strategy", "strategy must be one of %s" % ", ".join(s.value for s in RetryStrategy)
        ) from None


def backoff(config: RetryConfig, retry_number: int, rng: Callable[[], float] = random.random) -> float:
    """The one backoff formula: seconds to sleep before retry ``retry_number`` (0-based), by the
    config's strategy, capped at ``max_delay``."""
    step = config.base_delay * (2 ** min(retry_number, 30))
    strategy = config.strategy
    if strategy is RetryStrategy.EXPONENTIAL:
        delay = step
    elif strategy is RetryStrategy.EXPONENTIAL_FULL_JITTER:
        delay = rng() * step
    elif strategy is RetryStrategy.EXPONENTIAL_EQUAL_JITTER:
        delay = step / 2 + rng() * step / 2
    else:
        linear = config.base_delay * (retry_number + 1)
        delay = max(0.0, linear + config.jitter_factor * linear * (rng() * 2 - 1))
    return min(delay, config.max_delay)


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Negative, non-finite or unparseable values give ``None`` (fall back to the backoff): the
    official client crashes on a negative one."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


def retry_after(error: ViError, config: RetryConfig) -> Optional[float]:
    """The server's ``Retry-After`` of a 429/503, capped at ``max_delay`` (None: none to honour)."""
    if not config.respect_retry_after or error.status_code not in (429, 503):
        return None
    delay = parse_retry_after(error.retry_after)
    return None if delay is None else min(delay, config.max_delay)


def retry_budget(error: BaseException, method: str) -> Optional[str]:
    """Which retry budget a failure draws on, or None if it must not be retried."""
    if not isinstance(error, ViError):
        return None
    if isinstance(error, ViRateLimitError):
        return "rate"  # the server refused before acting: safe for every method
    transport = error.details.get("transport")
    if transport == POOL:
        return None
    if transport == CONNECT:
        return "other"
    if method not in IDEMPOTENT_METHODS:
        return None  # POST/PATCH: the server may have acted
    if transport is not None or isinstance(error, ViServerError):
        return "other"
    if isinstance(error, ViTimeoutError) and error.status_code == 408:
        return "other"
    return None


class RetryAfterGate:
    """A client-wide pause per server: once a server answers 429 or 503 with ``Retry-After``,
    every request of the client to that server (every thread) waits until that moment, instead
    of each thread finding out for itself and retrying on its own schedule.

    A call remembers the last moment it already waited for (its own ``Retry-After`` sleep
    counts), so it never waits twice for the same pause; a later, longer pause set by another
    thread still holds it back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: Dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, origin: str, seconds: float) -> float:
        """Pause requests to ``origin`` for ``seconds`` (a longer pause already set stays);
        returns the moment this pause ends."""
        own = self._clock() + seconds
        with self._lock:
            if own > self._until.get(origin, 0.0):
                self._until[origin] = own
        return own

    def wait(self, origin: str, sleep: Callable[[float], None], waited: float) -> float:
        """Sleep until the pause on ``origin`` ends, unless this call already waited for it;
        returns the moment waited for (to pass back next time)."""
        until = self._until.get(origin)
        if until is None or until <= waited:
            return waited
        remaining = until - self._clock()
        if remaining > 0:
            sleep(remaining)
        return until


class _Budgets:
    """Retries used so far by one call, against the config's two limits."""

    def __init__(self, config: RetryConfig, method: str) -> None:
        self.config = config
        self.method = method
        self.used = {"rate": 0, "other": 0}
        self.limits = {"rate": config.max_rate_limit_retries, "other": config.max_retries}

    def take(self, error: BaseException) -> Optional[float]:
        """Spend one retry on ``error``: the delay before it, or None when it is not retried."""
        budget = retry_budget(error, self.method)
        if budget is None or self.used[budget] >= self.limits[budget]:
            return None
        assert isinstance(error, ViError)
        delay = retry_after(error, self.config)
        if delay is None:
            delay = backoff(self.config, self.used[budget])
        self.used[budget] += 1
        return delay


def call_with_retries(
    attempt: Callable[[], T],
    *,
    method: str,
    config: RetryConfig,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Optional[Callable[[ViError, int, float], None]] = None,
) -> T:
    """Run ``attempt`` until it succeeds or the policy gives up; the error raised in the end
    carries ``attempts`` (how many times the request was sent).

    The first attempt runs directly: most calls succeed at once, and building a tenacity
    policy for them would be pure overhead. Tenacity drives every retry after it."""
    budgets = _Budgets(config, method)
    attempts = 1
    delays: List[float] = []

    def retry_delay(error: BaseException) -> Optional[float]:
        delay = budgets.take(error)
        if delay is not None and on_retry is not None:
            assert isinstance(error, ViError)
            on_retry(error, attempts, delay)
        return delay

    try:
        return attempt()
    except ViError as error:
        first = retry_delay(error)
        if first is None:
            error.attempts = attempts
            raise
        sleep(first)

    # tenacity 8.0 passes the state by keyword, so the parameter must be named retry_state.
    def should_retry(retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        delay = retry_delay(error) if error is not None else None
        if delay is None:
            return False
        delays.append(delay)
        return True

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return attempt()

    retrying = tenacity.Retrying(
        retry=should_retry,
        wait=lambda retry_state: delays[-1],
        stop=tenacity.stop_never,
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(counted)
    except ViError as error:
        error.attempts = attempts
        raise
