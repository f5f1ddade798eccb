"""The one retry layer (DESIGN decision 3): ``RetryConfig`` turned into a tenacity policy per call.

urllib3's own retries are off, so every retry decision is made here, once, with the whole
picture: the HTTP method (was it safe to repeat?), what failed (did the server act?), two
separate budgets (rate limits vs everything else, PROTOCOL §13.2) and the server's
``Retry-After``. A fresh policy per call keeps calls from different threads independent.
"""

from __future__ import annotations

import enum
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Optional, TypeVar

import tenacity

from .errors import (
    ViError,
    ViInvalidParameterError,
    ViRateLimitError,
    ViServerError,
    ViTimeoutError,
)

__all__ = ["RetryStrategy", "RetryConfig", "parse_retry_after", "call_with_retries", "IDEMPOTENT_METHODS"]

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

#: transport failure phases set by the requester in ``ViError.details["transport"]``
CONNECT = "connect"  # the request never reached the server: safe to repeat for any method
POOL = "pool"  # we already waited our turn for a connection: repeating would only wait again


class RetryStrategy(str, enum.Enum):
    EXPONENTIAL = "exponential"
    EXPONENTIAL_FULL_JITTER = "exponential_full_jitter"
    EXPONENTIAL_EQUAL_JITTER = "exponential_equal_jitter"
    LINEAR = "linear"


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
        for name, value in (("max_retries", max_retries), ("max_rate_limit_retries", max_rate_limit_retries)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ViInvalidParameterError(name, "%s must be an integer >= 0, got %r" % (name, value))
        for name, delay in (("base_delay", base_delay), ("max_delay", max_delay)):
            if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay > 0:
                raise ViInvalidParameterError(name, "%s must be a number > 0, got %r" % (name, delay))
        if base_delay > max_delay:
            raise ViInvalidParameterError("base_delay", "base_delay cannot exceed max_delay")
        if (
            isinstance(jitter_factor, bool)
            or not isinstance(jitter_factor, (int, float))
            or not 0 <= jitter_factor <= 1
        ):
            raise ViInvalidParameterError("jitter_factor", "jitter_factor must be between 0 and 1")
        try:
            strategy = RetryStrategy(strategy)
        except ValueError:
            raise ViInvalidParameterError(
                "strategy", "strategy must be one of %s" % ", ".join(s.value for s in RetryStrategy)
            ) from None
        values = (
            max_retries,
            max_rate_limit_retries,
            float(base_delay),
            float(max_delay),
            strategy,
            bool(respect_retry_after),
            float(jitter_factor),
        )
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
        """Sleep before retry ``retry_number`` (0-based) per the strategy, capped at ``max_delay``."""
        step = self.base_delay * (2 ** min(retry_number, 30))
        if self.strategy is RetryStrategy.EXPONENTIAL:
            delay = step
        elif self.strategy is RetryStrategy.EXPONENTIAL_FULL_JITTER:
            delay = rng() * step
        elif self.strategy is RetryStrategy.EXPONENTIAL_EQUAL_JITTER:
            delay = step / 2 + rng() * step / 2
        else:
            linear = self.base_delay * (retry_number + 1)
            delay = max(0.0, linear + self.jitter_factor * linear * (rng() * 2 - 1))
        return min(delay, self.max_delay)


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    Negative, non-finite or unparseable values give ``None`` (fall back to the strategy): the
    official client crashes on a negative one (PROTOCOL §13.2)."""
    if value is None:
        return None
    text = value.strip()
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
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


def _budget(error: BaseException, method: str) -> Optional[str]:
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
    if transport is not None:
        return "other"
    if isinstance(error, ViServerError):
        return "other"
    if isinstance(error, ViTimeoutError) and error.status_code == 408:
        return "other"
    return None


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
    policy for them would be pure overhead. The policy is built on the first retryable failure
    and drives every retry after it."""
    used = {"rate": 0, "other": 0}
    limits = {"rate": config.max_rate_limit_retries, "other": config.max_retries}
    attempts = 1

    def budget_for(error: Optional[BaseException]) -> Optional[str]:
        budget = _budget(error, method) if error is not None else None
        if budget is None or used[budget] >= limits[budget]:
            return None
        return budget

    def delay_for(error: ViError, budget: str) -> float:
        delay = None
        if config.respect_retry_after and error.status_code in (429, 503):
            delay = parse_retry_after(error.retry_after)
        if delay is None:
            delay = config.backoff(used[budget])
        used[budget] += 1
        delay = min(delay, config.max_delay)
        if on_retry is not None:
            on_retry(error, attempts, delay)
        return delay

    try:
        return attempt()
    except ViError as error:
        budget = budget_for(error)
        if budget is None:
            error.attempts = attempts
            raise
        sleep(delay_for(error, budget))

    pending: Dict[str, str] = {}

    # tenacity 8.0 passes the state by keyword, so the parameter must be named retry_state.
    def should_retry(retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        budget = budget_for(outcome.exception())
        if budget is None:
            return False
        pending["budget"] = budget
        return True

    def wait(retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome is not None else None
        assert isinstance(error, ViError)
        return delay_for(error, pending["budget"])

    retrying = tenacity.Retrying(
        retry=should_retry,
        wait=wait,
        stop=tenacity.stop_never,
        sleep=sleep,
        reraise=True,
    )

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return attempt()

    try:
        return retrying(counted)
    except ViError as error:
        error.attempts = attempts
        raise
