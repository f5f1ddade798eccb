"""Polling long-running operations until they finish.

Every waiter in ``vi`` is :func:`wait_until_done` with a different ``poll``/``done``/``failed``
triple: the first poll is immediate, failure is checked before success on every poll, and the
loop sleeps between polls: :data:`FIRST_POLL_DELAY` after the first, twice as long after each
next one, up to ``poll_interval`` (the cap). An operation that finishes in a fraction of a
second is noticed in a fraction of a second, and a long one is still polled only every
``poll_interval`` seconds. Unlike the official client's waiters, this
one takes a ``timeout`` (``ViTimeoutError`` when it passes) and never swallows Ctrl-C.

``sleep`` and ``clock`` are parameters so tests (and callers with their own scheduling) can
drive the loop without wall-clock time.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Optional, TypeVar

from .checks import check_poll_interval, check_timeout
from .errors import ViOperationError, ViTimeoutError

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "wait_until_done",
    "all_reached",
    "condition_reached",
    "failed_condition",
    "describe_conditions",
]

T = TypeVar("T")

#: Seconds between polls unless a call says otherwise: often enough that a finished export is
#: noticed quickly, rarely enough that a few concurrent waiters do not hammer the service. (The
#: official client uses 10 s.)
DEFAULT_POLL_INTERVAL = 3.0

#: Seconds before the second poll; the delay then doubles up to ``poll_interval``.
FIRST_POLL_DELAY = 0.1
#: How much longer each wait is than the one before, until it reaches ``poll_interval``.
POLL_BACKOFF = 2.0

REACHED = "Reached"
FAILED = "FailedReach"


def wait_until_done(
    poll: Callable[[], T],
    *,
    done: Callable[[T], bool],
    failed: Callable[[T], Optional[str]],
    timeout: Optional[float] = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    what: str = "operation",
    describe: Optional[Callable[[T], str]] = None,
) -> T:
    """Call ``poll()`` until ``done(result)``; return that result.

    ``failed(result)`` is asked first on every poll: a non-``None`` answer (a description of
    what failed) raises :class:`~vi.errors.ViOperationError` with it. When ``timeout`` seconds
    have passed since the first poll without success, :class:`~vi.errors.ViTimeoutError` is
    raised; the last poll happens at the deadline, so a ``timeout`` of 0 means "poll once".
    Between polls it waits :data:`FIRST_POLL_DELAY` seconds, then twice as long each time, never
    more than ``poll_interval`` and never past the deadline.
    Errors raised by ``poll`` itself (network, 404, …) propagate unchanged.

    ``what`` names the operation in error messages; ``describe(result)`` adds the last state
    seen to the timeout message."""
    timeout = check_timeout(timeout)
    poll_interval = check_poll_interval(poll_interval)
    started = clock()
    deadline = None if timeout is None else started + timeout
    polls = 0
    pause = min(FIRST_POLL_DELAY, poll_interval)
    while True:
        result = poll()
        polls += 1
        reason = failed(result)
        if reason is not None:
            raise ViOperationError(
                "%s failed: %s" % (_capitalised(what), reason),
                details={"operation": what, "failure": reason, "polls": polls},
            )
        if done(result):
            return result
        now = clock()
        if deadline is not None and timeout is not None and now >= deadline:
            state = ""
            if describe is not None:
                try:
                    state = "; last state: %s" % describe(result)
                except Exception:  # pragma: no cover - a describe bug must not hide the timeout
                    state = ""
            raise ViTimeoutError(
                "%s did not finish within %gs (%d polls)%s" % (_capitalised(what), timeout, polls, state),
                details={"operation": what, "timeout": timeout, "polls": polls},
                suggestion="Wait longer (timeout=None waits forever), or check the operation's status.",
            )
        delay = pause if deadline is None else min(pause, max(deadline - now, 0.0))
        sleep(delay)
        pause = min(pause * POLL_BACKOFF, poll_interval)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- condition predicates (lists of ResourceCondition) ------------------------------------------
def _conditions(conditions: Optional[Iterable[Any]]) -> list:
    return list(conditions or [])


def _get(condition: Any, name: str) -> Any:
    if isinstance(condition, dict):
        return condition.get(name)
    return getattr(condition, name, None)


def all_reached(conditions: Optional[Iterable[Any]]) -> bool:
    """Every condition ``Reached``; an empty list is *not* done (the work has not started)."""
    items = _conditions(conditions)
    return bool(items) and all(_get(c, "status") == REACHED for c in items)


def condition_reached(conditions: Optional[Iterable[Any]], name: str) -> bool:
    """Some condition called ``name`` is ``Reached`` (asset ingestion waits for ``Finished``)."""
    return any(_get(c, "condition") == name and _get(c, "status") == REACHED for c in _conditions(conditions))


def failed_condition(conditions: Optional[Iterable[Any]]) -> Optional[str]:
    """A description of the first ``FailedReach`` condition (name, reason, message), or None."""
    for condition in _conditions(conditions):
        if _get(condition, "status") == FAILED:
            text = "condition %r did not reach (FailedReach)" % (_get(condition, "condition"),)
            reason = _get(condition, "reason")
            message = _get(condition, "message")
            if reason:
                text += ", reason: %s" % reason
            if message:
                text += ", message: %s" % message
            return text
    return None


def describe_conditions(conditions: Optional[Iterable[Any]]) -> str:
    """``Started=Reached, Finished=Waiting`` — for timeout messages."""
    items = _conditions(conditions)
    if not items:
        return "no conditions yet"
    return ", ".join("%s=%s" % (_get(c, "condition"), _get(c, "status")) for c in items)
