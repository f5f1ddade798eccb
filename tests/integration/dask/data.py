"""Datasets with known bytes for the Dask tests (set directly in the server's state: fast)."""

import hashlib
import importlib.util

import pytest

from vi.transfers.crc32c import crc32c, to_base64

#: dask, distributed and pandas are all there (the ``dask`` extra). Checked without importing
#: them: importing dask installs tblib's exception pickling process-wide, which would change
#: what every later test in this process sees (see ``vd`` in conftest.py).
HAVE_DASK = all(importlib.util.find_spec(m) is not None for m in ("dask", "distributed", "pandas"))


def skip_without_dask():
    if not HAVE_DASK:
        pytest.skip("needs the dask extra (dask[dataframe,distributed], pandas)", allow_module_level=True)


def composite(server, dataset_id):
    prefix = server.organization_id + "_"
    dataset_id = str(dataset_id)
    return dataset_id if dataset_id.startswith(prefix) else prefix + dataset_id


def content(index):
    """Distinct, deterministic bytes of varying size for asset number ``index``."""
    block = hashlib.sha256(b"asset-%d" % index).digest()
    return (block * 40)[: 64 + (index * 37) % 900]


def make_dataset(client, server, name, count):
    """A dataset of ``count`` assets whose bytes are ``content(n)``; returns (id, {filename: bytes})."""
    ds = client.datasets.create(name)
    key = composite(server, ds.dataset_id)
    server.store.add_assets(server.organization_id, key, count)
    expected = {}
    with server.store._lock:
        records = server.store._dataset(server.organization_id, key).assets.values()
        for number, asset in enumerate(records):
            data = content(number)
            asset.data, asset.file_size = data, len(data)
            asset.crc32c = to_base64(crc32c(data))
            expected[asset.filename] = data
    return str(ds.dataset_id), expected


def stored_files(server, dataset_id):
    """{filename: bytes} of a dataset, read from the server's state."""
    with server.store._lock:
        records = server.store._dataset(server.organization_id, composite(server, dataset_id)).assets
        return {a.filename: a.data for a in records.values()}
