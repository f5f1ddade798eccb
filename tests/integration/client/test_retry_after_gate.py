"""The client-wide Retry-After gate over real sockets: one 429 (or 503) with Retry-After pauses
every thread of the client, counted by the server during the pause."""

import logging
import threading
import time

import pytest

import vi

ORG = r"/workspaces/[^/]+$"
PAUSE = 1.0


class _Retrying(logging.Handler):
    """Sets an event once the client logs that it will retry, i.e. after it has seen the 429."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen = threading.Event()

    def emit(self, record):
        if record.getMessage().startswith("Retrying"):
            self.seen.set()


@pytest.fixture
def retrying():
    handler = _Retrying()
    logger = logging.getLogger("vi")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize("status", [429, 503])
def test_one_retry_after_pauses_every_thread_of_the_client(server, make_client, retrying, status):
    client = make_client(max_connections=8)
    client._requester._sleep = time.sleep  # real waiting: the point is what the server sees meanwhile
    rule = server.faults.add(method="GET", path=ORG, status=status, retry_after=str(PAUSE), times=1)
    first = threading.Thread(target=client.organizations.get)
    first.start()
    assert retrying.seen.wait(10), "the 429 never arrived"
    paused_at = time.monotonic()
    seen = len(server.stats.requests)
    finished = []

    def work():
        client.datasets.list(page_size=5)
        finished.append(time.monotonic())

    others = [threading.Thread(target=work) for _ in range(4)]
    for thread in others:
        thread.start()
    time.sleep(PAUSE / 2)
    during = len(server.stats.requests) - seen
    for thread in [first] + others:
        thread.join(10)
    assert rule.hits == 1
    assert during == 0  # nobody, in any thread, sent a request during the pause
    assert len(finished) == 4 and min(finished) - paused_at >= PAUSE * 0.8
    assert len(server.stats.requests) == seen + 5  # the retried call and the four others


def test_without_respect_for_retry_after_nothing_waits(server, make_client):
    client = make_client(retry_config=vi.RetryConfig(respect_retry_after=False, base_delay=0.01))
    sleeps = []
    client._requester._sleep = sleeps.append
    server.faults.add(method="GET", path=ORG, status=429, retry_after="30", times=1)
    client.organizations.get()
    client.datasets.list(page_size=5)
    assert len(sleeps) == 1 and sleeps[0] <= 0.01  # the backoff, never the 30 s pause
