"""Concurrent load for the pool tests: ``size`` threads released together by a barrier."""

import threading
from concurrent.futures import ThreadPoolExecutor


def burst(client, size):
    """Make ``size`` requests at once, so that the pool needs ``size`` connections together."""
    barrier = threading.Barrier(size)

    def work(_):
        barrier.wait(5)
        return client.organizations.get()

    with ThreadPoolExecutor(max_workers=size) as pool:
        return list(pool.map(work, range(size)))
