"""Fork and pickle (DESIGN decision 7): a client created in the parent works in children made by
``os.fork()`` and by the ``spawn`` start method, and the parent's client keeps working."""

import multiprocessing
import os
import pickle
import sys
import time

import pytest

import vi
from tests.helpers import spawn_worker
from tests.helpers.bursts import burst


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_uses_its_own_pool(server, make_client):
    client = make_client()
    expected = [d.dataset_id for d in client.datasets.list().items]
    assert server.stats.connections_opened == 1
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            ids = [d.dataset_id for d in client.datasets.list().items]
            ids2 = [d.dataset_id for d in client.datasets.list().items]
            os.write(write_end, ("ok" if ids == ids2 == expected else "mismatch").encode())
            code = 0
        except BaseException as err:
            os.write(write_end, ("error: %r" % err).encode()[:500])
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    assert message == "ok" and os.WEXITSTATUS(status) == 0
    # The child opened its own connection instead of writing on the parent's socket ...
    assert server.stats.connections_opened == 2
    # ... and the parent's pooled connection is intact and still reused.
    assert [d.dataset_id for d in client.datasets.list().items] == expected
    assert server.stats.connections_opened == 2


def _idle_connections(client):
    adapter = client._transport.session.get_adapter(client.endpoint)
    pools = [adapter.poolmanager.pools.get(key) for key in adapter.poolmanager.pools.keys()]
    return sum(1 for pool in pools if pool is not None for conn in list(pool.pool.queue) if conn is not None)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_idle_connections_are_trimmed_on_both_sides_of_a_fork(server, make_client):
    # The parent forks while its idle-connection reaper has work pending; the child must not
    # inherit that state (a thread that does not exist there, a lock it may never get back).
    client = make_client(max_connections=4, max_keepalive_connections=1)
    server.faults.latency = 0.05
    burst(client, 4)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            burst(client, 4)
            deadline = time.monotonic() + 10
            while _idle_connections(client) > 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            os.write(write_end, ("idle=%d" % _idle_connections(client)).encode())
            code = 0
        except BaseException as err:
            os.write(write_end, ("error: %r" % err).encode()[:500])
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    assert message == "idle=1" and os.WEXITSTATUS(status) == 0
    deadline = time.monotonic() + 10
    while _idle_connections(client) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _idle_connections(client) == 1
    assert client.organizations.get().organization_id == server.organization_id


def test_spawned_process_uses_a_pickled_client(server, make_client, monkeypatch):
    client = make_client(pickle_secret=True, max_connections=7)
    expected = [d.dataset_id for d in client.datasets.list().items]
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        ids, closed = pool.apply_async(spawn_worker.list_dataset_ids, (client,)).get(timeout=60)
    assert ids == expected and closed is False
    assert [d.dataset_id for d in client.datasets.list().items] == expected


def test_pickle_leaves_the_secret_behind_unless_asked(server, make_client, monkeypatch):
    client = make_client(max_connections=5)
    data = pickle.dumps(client)
    assert server.secret_key.encode() not in data
    copy = pickle.loads(data)
    try:
        assert copy.config.max_connections == 5 and copy.endpoint == server.url
        with pytest.raises(vi.ViConfigurationError, match="pickle_secret"):
            copy.organizations.get()
    finally:
        copy.close()
    monkeypatch.setenv("DATATURE_VI_SECRET_KEY", server.secret_key)
    with pickle.loads(data) as from_env:
        assert from_env.organizations.get().organization_id == server.organization_id
    with_secret = make_client(pickle_secret=True)
    assert server.secret_key.encode() in pickle.dumps(with_secret)


def test_pickled_closed_client_stays_closed(make_client):
    client = make_client(pickle_secret=True)
    client.close()
    copy = pickle.loads(pickle.dumps(client))
    assert copy.is_closed
    with pytest.raises(vi.ViClientClosedError):
        copy.datasets.list()


def test_errors_cross_process_boundaries(server, make_client):
    client = make_client()
    with pytest.raises(vi.ViNotFoundError) as info:
        client.datasets.get("missing")
    back = pickle.loads(pickle.dumps(info.value))
    assert back.status_code == 404 and back.path == info.value.path
    assert server.secret_key not in repr(back.__dict__)


if sys.platform == "win32":  # pragma: no cover
    pytest.skip("fork tests are POSIX only", allow_module_level=True)


def test_unpickled_client_reads_the_secret_from_its_config_file(server, tmp_path):
    import json

    path = tmp_path / "vi.json"
    path.write_text(json.dumps({"secret_key": server.secret_key, "organization_id": server.organization_id}))
    with vi.Client(config_file=str(path), endpoint=server.url) as client:
        data = pickle.dumps(client)
    assert server.secret_key.encode() not in data
    with pickle.loads(data) as copy:
        assert copy.organizations.get().organization_id == server.organization_id
