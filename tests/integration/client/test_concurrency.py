"""200 threads share one client while another thread closes it midway (bounded, loopback only)."""

import gc
import os
import threading
import time

import pytest

import vi
from vi.testing import LocalViServer


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_close_midway_under_200_threads():
    gc.collect()
    fds_before = open_fds()
    threads_before = set(threading.enumerate())
    unexpected = []
    completed = []
    closed_errors = []
    with LocalViServer(datasets=3, assets_per_dataset=2) as server:
        server.faults.latency = 0.005
        client = vi.Client(
            secret_key=server.secret_key,
            organization_id=server.organization_id,
            endpoint=server.url,
            max_connections=50,
            max_keepalive_connections=50,
        )
        start = threading.Barrier(201)

        def worker():
            start.wait(10)
            for _ in range(200):  # bounded: each thread stops after 200 calls at most
                try:
                    client.organizations.get()
                    completed.append(1)
                except vi.ViClientClosedError:
                    closed_errors.append(1)
                    return
                except vi.ViError:
                    continue  # e.g. a connection torn down mid-request: a ViError is acceptable
                except BaseException as err:  # pragma: no cover - the failure under test
                    unexpected.append(err)
                    return

        workers = [threading.Thread(target=worker, daemon=True) for _ in range(200)]
        for t in workers:
            t.start()
        start.wait(10)
        deadline = time.monotonic() + 20
        while len(completed) < 500 and time.monotonic() < deadline:
            time.sleep(0.005)
        client.close()
        for t in workers:
            t.join(15)
        stuck = [t for t in workers if t.is_alive()]
        assert stuck == [], "%d threads hung after close()" % len(stuck)
        assert unexpected == []
        assert len(completed) >= 500 and len(closed_errors) > 0
        for _ in range(3):
            with pytest.raises(vi.ViClientClosedError):
                client.datasets.list()
    client = workers = None  # drop the last references before counting
    gc.collect()
    deadline = time.monotonic() + 5
    while (
        open_fds() > fds_before or set(threading.enumerate()) - threads_before
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
        gc.collect()
    assert open_fds() <= fds_before
    assert set(threading.enumerate()) - threads_before == set()
