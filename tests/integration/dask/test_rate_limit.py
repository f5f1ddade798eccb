"""A 429 with Retry-After seen by one task makes every task of that worker wait.

Two tasks run on one worker (its two threads), each with four threads of its own, all sharing the
worker's one client. The server answers one request with 429 and ``Retry-After: 2``; from half a
second after that (time for the answer to reach the client) until the two seconds are over it
must see no request at all from that worker: the client-wide gate holds every thread, not only
the one that was told. (Without the gate, hundreds arrive in that window.)
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .data import skip_without_dask  # noqa: E402

skip_without_dask()

import vi  # noqa: E402
from vi.integrations.workers import ClientSource  # noqa: E402
from vi.retry import RetryConfig  # noqa: E402


def hammer(source, dataset_id, seconds, threads):
    """Keep ``threads`` threads sending GETs through this worker's client for ``seconds``."""
    client = source.client()
    stop = time.monotonic() + seconds

    def loop(_):
        sent = 0
        while time.monotonic() < stop:
            client.datasets.get(dataset_id)
            sent += 1
        return sent

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(loop, range(threads)))


def test_retry_after_holds_every_task_of_the_worker(vi_server, vclient, dclient):
    dataset_id = str(vclient.datasets.create("rate-limited").dataset_id)
    patient = vi.Client(
        secret_key=vi_server.secret_key,
        organization_id=vi_server.organization_id,
        endpoint=vi_server.url,
        retry_config=RetryConfig(max_retries=4, base_delay=0.01, max_delay=5.0),
    )
    source = ClientSource(patient)
    worker = sorted(dclient.scheduler_info()["workers"])[0]
    dclient.submit(hammer, source, dataset_id, 0.2, 1, workers=[worker], pure=False).result()  # warm up

    started = []
    served_429 = []
    lock = threading.Lock()
    stats, faults = vi_server.stats, vi_server.faults
    original_started, original_match = stats.request_started, faults.match

    def request_started(record):
        with lock:
            started.append(time.monotonic())
        original_started(record)

    def match(method, path):
        fault = original_match(method, path)
        if fault is not None and fault.status == 429:
            served_429.append(time.monotonic())
        return fault

    rule = faults.add("GET", r"/datasets/", status=429, retry_after=2, times=1, skip=200)
    stats.request_started, faults.match = request_started, match
    try:
        tasks = [
            dclient.submit(hammer, source, dataset_id, 4.0, 4, workers=[worker], pure=False) for _ in range(2)
        ]
        sent = dclient.gather(tasks)
    finally:
        stats.request_started, faults.match = original_started, original_match
        faults.clear()
        patient.close()
    assert rule.hits == 1 and len(served_429) == 1 and all(sent)
    told = served_429[0]
    during = [t for t in started if told + 0.5 < t < told + 1.9]
    after = [t for t in started if t > told + 2.0]
    assert after, "the worker never resumed"
    assert during == [], "%d requests reached the server while the worker was told to wait" % len(during)
