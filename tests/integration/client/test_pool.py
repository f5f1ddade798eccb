"""Pool semantics over real sockets (DESIGN decision 1)."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests.adapters import BaseAdapter

import vi
from tests.helpers.bursts import burst


def test_32_threads_share_32_connections_without_pool_full_warnings(server, make_client, caplog):
    # The default keep-alive cap (20) is below 32 threads: under sustained load that must not
    # turn into closing and reopening connections.
    client = make_client(max_connections=32)
    ids = [d.dataset_id for d in client.datasets.list(pagination={"page_size": 25}).items]
    server.stats.reset()
    caplog.set_level(logging.WARNING, logger="urllib3")

    def work(i):
        return client.datasets.get(ids[i % len(ids)]).dataset_id

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(work, range(2000)))
    assert results == [ids[i % len(ids)] for i in range(2000)]
    assert server.stats.request_count == 2000
    assert server.stats.connections_opened <= 32
    assert server.stats.max_connections_open <= 32
    assert not [r for r in caplog.records if "pool is full" in r.getMessage().lower()]


def test_max_connections_caps_requests_in_flight(server, make_client):
    client = make_client(max_connections=4, max_keepalive_connections=4)
    server.faults.latency = 0.02
    server.stats.reset()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: client.organizations.get(), range(48)))
    assert server.stats.request_count == 48
    assert 2 <= server.stats.max_requests_in_flight <= 4
    assert server.stats.connections_opened <= 4


def test_waiting_past_the_pool_timeout_raises_a_clear_timeout(server, make_client):
    client = make_client(max_connections=1, timeout=vi.Timeout(connect=5, read=5, pool=0.2))
    server.faults.add(method="GET", path=r"/workspaces/[^/]+$", latency=2.0)
    started = threading.Event()

    def slow():
        started.set()
        client.organizations.get()

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(slow)
        started.wait(5)
        deadline = time.monotonic() + 5
        while server.stats.requests_in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(vi.ViTimeoutError) as info:
            client.datasets.list()
        server.faults.interrupt()
        future.result(timeout=10)
    assert "free connection" in info.value.message
    assert info.value.attempts == 1  # waiting again would not help: not retried


def _reaper_threads():
    return [t for t in threading.enumerate() if t.name == "vi-idle-reaper"]


def test_keepalive_bounds_idle_connections(server, make_client):
    client = make_client(max_connections=8, max_keepalive_connections=2)
    server.faults.latency = 0.05
    burst(client, 8)
    assert server.stats.max_connections_open >= 3  # there really was concurrency
    deadline = time.monotonic() + 5
    while server.stats.connections_open > 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.stats.connections_open <= 2
    # The thread that closed them lives only while there is something to close.
    while _reaper_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _reaper_threads() == []
    assert client.organizations.get().organization_id == server.organization_id


def test_a_pause_between_bursts_does_not_reconnect(server, make_client):
    # All connections idle at once for an instant (every thread between two requests) is not
    # the end of the load: closing the extras then would mean reconnecting moments later.
    client = make_client(max_connections=8, max_keepalive_connections=2)
    server.faults.latency = 0.05
    burst(client, 8)
    opened = server.stats.connections_opened
    assert opened >= 3  # there really was concurrency
    assert server.stats.connections_open == opened  # nothing trimmed the moment all were idle
    burst(client, 8)
    assert server.stats.connections_opened == opened


def test_extras_unused_for_long_are_closed_even_while_the_pool_stays_busy(server, make_client, monkeypatch):
    from vi.transport import adapter

    monkeypatch.setattr(adapter, "IDLE_GRACE", 60.0)  # the pool never counts as quiet here
    monkeypatch.setattr(adapter, "BUSY_IDLE_TIMEOUT", 0.3)
    client = make_client(max_connections=8, max_keepalive_connections=2)
    server.faults.latency = 0.05
    burst(client, 8)
    assert server.stats.connections_open >= 3
    server.faults.latency = 0
    deadline = time.monotonic() + 10
    while server.stats.connections_open > 3 and time.monotonic() < deadline:
        client.organizations.get()  # one thread keeps the pool busy, on one connection
        time.sleep(0.05)
    assert server.stats.connections_open <= 3  # the cap of 2 idle, plus the one in use


def test_bad_limits_rejected():
    for kwargs in (
        {"max_connections": 0},
        {"max_keepalive_connections": -1},
        {"max_connections": "8"},
        {"max_connections": True},
        {"max_keepalive_connections": 1.5},
    ):
        with pytest.raises(vi.ViConfigurationError):
            vi.Client(secret_key="k" * 10, organization_id="o", **kwargs)


class CountingAdapter(BaseAdapter):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.sent = 0
        self.closed = 0

    def send(self, request, **kwargs):
        self.sent += 1
        return self.inner.send(request, **kwargs)

    def close(self):
        self.closed += 1


def test_user_adapter_used_for_its_prefix_and_not_closed(server):
    adapter = CountingAdapter(server.adapter())
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": adapter},
    )
    assert client.organizations.get().organization_id == server.organization_id
    assert adapter.sent == 1
    assert server.stats.connections_opened == 0  # no socket was used
    client.close()
    assert adapter.closed == 0
    other = CountingAdapter(server.adapter())
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint="http://other.local"
    ) as second:
        second.mount("http://other.local/", other)
        second.datasets.list()
    assert other.sent == 1 and other.closed == 0


def test_client_closes_the_pool_it_built(server, make_client):
    client = make_client()
    client.organizations.get()
    deadline = time.monotonic() + 5
    assert server.stats.connections_open == 1
    client.close()
    while server.stats.connections_open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stats.connections_open == 0
