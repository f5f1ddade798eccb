"""The client's life cycle over real sockets (DESIGN decision 8, the resource-management guide)."""

import gc
import threading
import time
import warnings

import pytest

import vi


def test_closed_client_refuses_requests_before_io(server, make_client):
    client = make_client()
    client.close()
    before = server.stats.request_count
    with pytest.raises(vi.ViClientClosedError) as info:
        client.datasets.list()
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, vi.ViError)
    assert server.stats.request_count == before
    with pytest.raises(RuntimeError, match="^Cannot use closed client in context manager$"):
        with client:
            pass


def test_close_is_idempotent_and_thread_safe(make_client):
    client = make_client()
    client.organizations.get()
    closes = []
    original = client._transport.close

    def counting_close():
        closes.append(1)
        original()

    client._transport.close = counting_close
    barrier = threading.Barrier(16)
    errors = []

    def close():
        try:
            barrier.wait(5)
            client.close()
        except Exception as err:  # pragma: no cover - the failure being tested for
            errors.append(err)

    threads = [threading.Thread(target=close) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and closes == [1] and client.is_closed
    client.close()
    assert closes == [1]


def test_garbage_collected_open_client_warns_and_frees_sockets(server):
    client = vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    )
    client.organizations.get()
    assert server.stats.connections_open == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) and "vi.Client" in str(w.message) for w in caught)
    deadline = time.monotonic() + 5
    while server.stats.connections_open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stats.connections_open == 0


def test_closed_client_is_not_warned_about(server):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ):
            pass
        gc.collect()
    assert not [
        w for w in caught if issubclass(w.category, ResourceWarning) and "vi.Client" in str(w.message)
    ]


def test_api_requests_carry_protocol_headers(server, client):
    client.organizations.get()
    record = server.stats.requests[-1]
    assert record.headers["Authorization"] == "Bearer " + server.secret_key
    assert record.headers["Organization-Id"] == server.organization_id
    assert record.headers["Accept"] == "application/json"
    assert record.headers["User-Agent"].startswith("vi/")


def test_cross_host_redirect_drops_credentials(server, make_client):
    from vi.testing import LocalViServer

    with LocalViServer(seed=False) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/elsewhere"
        server.faults.add(method="GET", path=r"/workspaces/[^/]+$", status=302, headers={"Location": target})
        client = make_client(max_retries=0)
        with pytest.raises(vi.ViError):
            client.organizations.get()
        redirected = [r for r in other.stats.requests if r.path == "/elsewhere"]
        assert redirected, "the redirect was not followed"
        assert "Authorization" not in redirected[0].headers
        assert "Organization-Id" not in redirected[0].headers


def test_base_url_path_prefix_is_kept(server):
    adapter = server.adapter()
    seen = []

    class Spy(type(adapter)):
        pass

    original = adapter.send

    def send(request, **kwargs):
        seen.append(request.url)
        return original(request, **kwargs)

    adapter.send = send
    with vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local/api/",
        adapters={"http://vi.local/": adapter},
        max_retries=0,
    ) as client:
        with pytest.raises(vi.ViNotFoundError):
            client.organizations.get()
    assert seen == ["http://vi.local/api/workspaces/" + server.organization_id]
