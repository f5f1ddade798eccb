"""Retry policy as values: backoff arithmetic, Retry-After parsing, budgets (PROTOCOL §13)."""

from email.utils import formatdate

import pytest

from vi.errors import ViNetworkError, ViRateLimitError, ViServerError, ViTimeoutError, ViValidationError
from vi.retry import RetryConfig, RetryStrategy, call_with_retries, parse_retry_after


def test_backoff_strategies():
    cfg = RetryConfig(base_delay=1, max_delay=5, strategy=RetryStrategy.EXPONENTIAL)
    assert [cfg.backoff(n) for n in range(4)] == [1, 2, 4, 5]
    full = RetryConfig(base_delay=1, max_delay=60)
    assert full.backoff(3, rng=lambda: 0.5) == 4
    equal = RetryConfig(strategy="exponential_equal_jitter")
    assert equal.backoff(1, rng=lambda: 0.0) == 1
    linear = RetryConfig(strategy="linear", jitter_factor=0)
    assert linear.backoff(2) == 3


@pytest.mark.parametrize(
    "value, expected",
    [("3", 3.0), ("0.5", 0.5), ("-1", None), ("soon", None), ("", None), (None, None), ("nan", None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    assert parse_retry_after(formatdate(1000.0 + 30, usegmt=True), now=1000.0) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(0, usegmt=True), now=1000.0) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"base_delay": 0},
        {"base_delay": 5, "max_delay": 1},
        {"strategy": "x"},
        {"jitter_factor": 2},
    ],
)
def test_invalid_retry_config(kwargs):
    with pytest.raises(ValueError):
        RetryConfig(**kwargs)


def run(errors, method="GET", **cfg):
    calls = []
    sleeps = []

    def attempt():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    config = RetryConfig(base_delay=0.01, max_delay=1, **cfg)
    try:
        result = call_with_retries(attempt, method=method, config=config, sleep=sleeps.append)
    except Exception as err:
        return err, len(calls), sleeps
    return result, len(calls), sleeps


def test_get_retried_on_5xx_until_budget():
    err, calls, _ = run([ViServerError(status_code=500) for _ in range(10)], max_retries=2)
    assert isinstance(err, ViServerError) and calls == 3 and err.attempts == 3


def test_post_not_retried_on_5xx_but_on_429():
    err, calls, _ = run([ViServerError(status_code=500)], method="POST")
    assert isinstance(err, ViServerError) and calls == 1 and err.attempts == 1
    result, calls, _ = run([ViRateLimitError(status_code=429)], method="POST")
    assert result == "ok" and calls == 2


def test_connect_errors_retried_for_post_read_errors_not():
    result, calls, _ = run([ViNetworkError(details={"transport": "connect"})], method="POST")
    assert result == "ok" and calls == 2
    err, calls, _ = run([ViNetworkError(details={"transport": "io"})], method="POST")
    assert isinstance(err, ViNetworkError) and calls == 1
    err, calls, _ = run([ViTimeoutError(details={"transport": "pool"})])
    assert calls == 1


def test_retry_after_honoured_and_capped():
    _, _, sleeps = run([ViRateLimitError(status_code=429, retry_after="0.3")])
    assert sleeps == [0.3]
    _, _, sleeps = run([ViServerError(status_code=503, retry_after="99")])
    assert sleeps == [1.0]  # capped at max_delay
    _, _, sleeps = run([ViRateLimitError(status_code=429, retry_after="-4")])
    assert 0 <= sleeps[0] <= 0.01  # garbage ignored, strategy used


def test_budgets_are_independent_and_4xx_not_retried():
    errors = [ViRateLimitError(status_code=429)] * 3 + [ViServerError(status_code=502)] * 2
    result, calls, _ = run(list(errors), max_retries=2, max_rate_limit_retries=3)
    assert result == "ok" and calls == 6
    err, calls, _ = run([ViValidationError(status_code=400)])
    assert calls == 1
    err, calls, _ = run([ViTimeoutError(status_code=408)] * 5, max_retries=1)
    assert calls == 2 and err.attempts == 2
