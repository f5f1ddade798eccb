"""Each row of PROTOCOL §13.2, driven by the local server's fault injection over sockets."""

import socket

import pytest

import vi

ORG = r"/workspaces/[^/]+$"
DATASETS = r"/datasets$"


def sent(server, method):
    return [r for r in server.stats.requests if r.method == method]


def recording(client):
    sleeps = []
    client._requester._sleep = sleeps.append
    return sleeps


def test_429_retried_for_get_and_post_honouring_retry_after(server, make_client):
    client = make_client()
    sleeps = recording(client)
    server.faults.add(method="GET", path=ORG, status=429, retry_after="2", times=2)
    assert client.organizations.get().organization_id == server.organization_id
    assert sleeps == [2.0, 2.0]
    server.faults.add(method="POST", path=DATASETS, status=429, retry_after="1", times=1)
    created = client.datasets.create("retried")
    assert created.name == "retried"
    assert len(sent(server, "POST")) == 2
    assert sleeps[-1] == 1.0


def test_429_budget_exhausted_raises_rate_limit_error_with_attempts(server, make_client):
    client = make_client(retry_config=vi.RetryConfig(max_rate_limit_retries=2))
    server.faults.add(method="GET", path=ORG, status=429, retry_after="0", times=None)
    with pytest.raises(vi.ViRateLimitError) as info:
        client.organizations.get()
    assert info.value.attempts == 3 and info.value.status_code == 429
    assert info.value.retry_after == "0"


def test_503_retry_after_honoured(server, make_client):
    client = make_client()
    sleeps = recording(client)
    server.faults.add(method="GET", path=ORG, status=503, retry_after="3", times=1)
    client.organizations.get()
    assert sleeps == [3.0]


def test_5xx_retried_for_get_until_budget(server, make_client):
    client = make_client(max_retries=2)
    server.faults.add(method="GET", path=ORG, status=500, times=None)
    with pytest.raises(vi.ViServerError) as info:
        client.organizations.get()
    assert info.value.attempts == 3
    assert len(sent(server, "GET")) == 3
    assert "after 3 attempts" in str(info.value)


def test_5xx_not_retried_for_post_or_patch(server, make_client):
    client = make_client()
    server.faults.add(method="POST", path=DATASETS, status=502, times=None)
    with pytest.raises(vi.ViServerError) as info:
        client.datasets.create("once")
    assert info.value.attempts == 1 and len(sent(server, "POST")) == 1
    server.faults.add(method="PATCH", status=500, times=None)
    with pytest.raises(vi.ViServerError):
        client.organizations.update(spec={"name": "x"})
    assert len(sent(server, "PATCH")) == 1


def test_408_retried_for_get_not_for_post(server, make_client):
    client = make_client()
    server.faults.add(method="GET", path=ORG, status=408, times=1)
    client.organizations.get()
    assert len(sent(server, "GET")) == 2
    server.faults.add(method="POST", path=DATASETS, status=408, times=1)
    with pytest.raises(vi.ViTimeoutError):
        client.datasets.create("x")
    assert len(sent(server, "POST")) == 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_retried_for_every_method():
    client = vi.Client(
        secret_key="k" * 8, organization_id="o", endpoint="http://127.0.0.1:%d" % free_port(), max_retries=2
    )
    client._requester._sleep = lambda s: None
    with client:
        with pytest.raises(vi.ViNetworkError) as info:
            client.organizations.get()
        assert info.value.attempts == 3
        with pytest.raises(vi.ViNetworkError) as info:
            client.datasets.create("x")
        assert info.value.attempts == 3  # never reached a server: safe to repeat a POST


def test_dropped_connection_retried_for_get_not_post(server, make_client):
    client = make_client()
    server.faults.add(method="GET", path=ORG, drop=True, times=1)
    assert client.organizations.get().organization_id == server.organization_id
    server.faults.add(method="POST", path=DATASETS, drop=True, times=1)
    with pytest.raises(vi.ViNetworkError) as info:
        client.datasets.create("x")
    assert info.value.attempts == 1
    assert [d for d in client.datasets if d.name == "x"] == []


def test_truncated_body_retried_for_get(server, make_client):
    client = make_client()
    server.faults.add(method="GET", path=ORG, truncate=True, times=1)
    assert client.organizations.get().organization_id == server.organization_id
    assert len(sent(server, "GET")) == 2


def test_read_timeout_retried_for_get_not_post(server, make_client):
    client = make_client(timeout=vi.Timeout(connect=5, read=0.2, pool=5), max_retries=1)
    server.faults.add(method="GET", path=ORG, latency=1.0, times=None)
    with pytest.raises(vi.ViTimeoutError) as info:
        client.organizations.get()
    assert info.value.attempts == 2
    server.faults.add(method="POST", path=DATASETS, latency=1.0, times=1)
    with pytest.raises(vi.ViTimeoutError) as info:
        client.datasets.create("slow")
    assert info.value.attempts == 1
    server.faults.interrupt()


def test_4xx_not_retried(server, make_client):
    client = make_client()
    with pytest.raises(vi.ViNotFoundError) as info:
        client.datasets.get("nope")
    assert info.value.attempts == 1 and info.value.status_code == 404
    assert server.organization_id + "_" not in info.value.message  # composite id shortened
