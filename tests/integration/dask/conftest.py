"""A real Dask cluster (worker processes) against a LocalViServer on 127.0.0.1, shared by the
tests of this folder (starting either costs seconds).

The workers get the secret key the way production workers should: from their environment
(``DATATURE_VI_SECRET_KEY``, set by the nanny), not from the task graph. The scheduler allows
no task failures, so a worker killed mid-task fails the run instead of being retried
silently: the tests then resume by running the job again.
"""

import os
import sys

import pytest

import vi
from vi.retry import RetryConfig
from vi.testing import LocalViServer

N_WORKERS = 2


@pytest.fixture(scope="package")
def vd():
    """``vi.integrations.dask``, imported when the first test here runs, not at collection: dask
    installs tblib's exception pickling for the whole process when it is imported."""
    import vi.integrations.dask

    return vi.integrations.dask


@pytest.fixture(scope="package")
def vi_server():
    with LocalViServer(datasets=1, assets_per_dataset=2, runs=0, operation_delay=0.05) as server:
        yield server


@pytest.fixture(scope="package")
def cluster(vi_server):
    import dask
    import distributed

    # the workers import this package and the tests' modules from where this process does
    env = {
        "DATATURE_VI_SECRET_KEY": vi_server.secret_key,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(
            n_workers=N_WORKERS,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            env=env,
        ) as cluster:
            yield cluster


@pytest.fixture(scope="package")
def dask_client(cluster):
    import distributed

    with distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def dclient(dask_client):
    """The Dask client with every worker up (a test before may have killed one)."""
    dask_client.wait_for_workers(N_WORKERS, timeout=60)
    return dask_client


@pytest.fixture
def vclient(vi_server):
    """The driver's vi client: it has the secret, its pickle does not."""
    vi_server.reset()
    client = vi.Client(
        secret_key=vi_server.secret_key,
        organization_id=vi_server.organization_id,
        endpoint=vi_server.url,
        retry_config=RetryConfig(max_retries=6, base_delay=0.01, max_delay=0.2),
    )
    yield client
    client.close()
    vi_server.reset()
