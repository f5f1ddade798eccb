"""Asset and annotation collections on a real cluster: listed on the workers, nothing in the graph.

A 5,000-asset dataset is listed as a bag and a dataframe and downloaded on the workers, and
every byte is compared. The graph is pickled and searched: no secret key unless the client
asked for it, and no asset ids (what crosses from the driver is one page token per partition).
"""

import os
import pickle

import pytest

from .data import make_dataset, skip_without_dask  # noqa: E402

skip_without_dask()

import vi  # noqa: E402
from vi import tables  # noqa: E402
from vi.integrations.workers import ClientSource  # noqa: E402


def _graph_bytes(collection):
    import cloudpickle

    return cloudpickle.dumps(dict(collection.__dask_graph__()))


def test_5000_assets_listed_and_downloaded_on_the_workers(vd, vi_server, vclient, dclient, tmp_path):
    dataset_id, expected = make_dataset(vclient, vi_server, "five-thousand", 5000)
    frame = vd.assets_frame(vclient, dataset_id)  # plans here: one walk, 5 tokens
    assert frame.npartitions == 5
    graph = _graph_bytes(frame)
    assert not any(name.encode() in graph for name in list(expected)[:50])  # no assets in the graph
    # From here on the driver's client is closed: a fetch in this process would fail (its copy has
    # no key here); the workers read theirs from their environment.
    vclient.close()
    listing = frame.compute()
    assert len(listing) == 5000 and listing.asset_id.is_unique
    assert list(listing.columns)[:13] == list(tables.ASSET_COLUMNS)
    assert dict(zip(listing.filename, listing.file_size)) == {k: len(v) for k, v in expected.items()}

    shared = tmp_path / "shared"
    with vi.Client(
        secret_key=vi_server.secret_key, organization_id=vi_server.organization_id, endpoint=vi_server.url
    ) as driver:
        summary = vd.run_etl(driver, dataset_id, work_dir=shared, download_workers=8)
    assert summary.ok and summary.succeeded == 5000, summary.summary()
    folder = shared / "assets"
    assert sorted(os.listdir(folder)) == sorted(expected)
    for name, data in expected.items():
        assert (folder / name).read_bytes() == data, name


def test_secret_stays_out_of_the_graph_unless_asked(vd, vi_server, vclient, tmp_path):
    dataset_id, _ = make_dataset(vclient, vi_server, "secret", 3)
    secret = vi_server.secret_key.encode()
    collections = [
        vd.assets_bag(vclient, dataset_id),
        vd.assets_frame(vclient, dataset_id),
        vd.annotations_bag(vclient, dataset_id),
        vd.etl_bag(vclient, dataset_id, work_dir=tmp_path, target_dataset_id=dataset_id),
    ]
    for collection in collections:
        assert secret not in _graph_bytes(collection)
    assert secret not in pickle.dumps(ClientSource(vclient))
    # the inspection can fail: a client created with pickle_secret=True puts it in the graph
    with vi.Client(
        secret_key=vi_server.secret_key,
        organization_id=vi_server.organization_id,
        endpoint=vi_server.url,
        pickle_secret=True,
    ) as opted_in:
        assert secret in _graph_bytes(vd.assets_bag(opted_in, dataset_id))
    with pytest.raises(vi.errors.ViConfigurationError):
        ClientSource.from_config(secret_key=vi_server.secret_key, endpoint=vi_server.url)
    explicit = ClientSource.from_config(
        secret_key=vi_server.secret_key, endpoint=vi_server.url, pickle_secret=True
    )
    assert secret in pickle.dumps(explicit) and secret.decode() not in repr(explicit)


def _client_identity(source):
    client = source.client()
    client.datasets.list()
    return os.getpid(), id(client)


def test_one_client_per_worker_and_connections_within_max_connections(
    vd, vi_server, vclient, dclient, tmp_path
):
    dataset_id, expected = make_dataset(vclient, vi_server, "pool", 240)
    capped = vi.Client(
        secret_key=vi_server.secret_key,
        organization_id=vi_server.organization_id,
        endpoint=vi_server.url,
        max_connections=2,
        max_keepalive_connections=2,
    )
    source = ClientSource(capped)
    bag = vd.assets_bag(source, dataset_id, page_size=50)
    assert bag.npartitions == 5
    assert sorted(r["filename"] for r in bag.compute()) == sorted(expected)
    identities = dclient.gather(dclient.map(_client_identity, [source] * 12, pure=False))
    by_pid = {}
    for pid, ident in identities:
        by_pid.setdefault(pid, set()).add(ident)
    assert len(by_pid) == 2 and all(len(ids) == 1 for ids in by_pid.values())

    vi_server.stats.reset()
    vi_server.faults.latency = 0.02
    try:
        # 2 threads per worker x 8 download threads per task would be 16 requests per worker
        summary = vd.run_etl(source, dataset_id, work_dir=tmp_path, page_size=40, download_workers=8)
    finally:
        vi_server.faults.latency = 0.0
        capped.close()
    assert summary.ok and summary.succeeded == 240
    stats = vi_server.stats
    # the driver's planning walk ends before any task starts; after it, at most 2 per worker
    assert 3 <= stats.max_requests_in_flight <= 2 * 2, stats


def test_annotations_frame_matches_the_api(vd, vi_server, vclient, dclient):
    dataset = next(d for d in vclient.datasets if vclient.assets.count(d.dataset_id) > 0)
    expected = {
        a.annotation_id: a.asset_id
        for asset in vclient.assets(dataset.dataset_id)
        for a in vclient.annotations(dataset.dataset_id, asset.asset_id)
    }
    assert expected  # the demo data has annotations
    frame = vd.annotations_frame(vclient, dataset.dataset_id, page_size=1).compute()
    assert dict(zip(frame.annotation_id, frame.asset_id)) == expected
    assert len(frame) == len(expected)
    # the same rows as vi.tables, in the same column order
    assert list(frame.columns) == list(tables.ANNOTATION_COLUMNS)
    some = next(iter(expected))
    row = tables.annotation_row(vclient.annotations.get(dataset.dataset_id, expected[some], some))
    mine = frame[frame.annotation_id == some].iloc[0]
    assert (mine.bound_type, mine.tag, mine.kind) == (row["bound_type"], row["tag"], row["kind"])


def test_errors_from_workers_carry_no_secret(vd, vi_server, vclient, dclient):
    """A listing that fails on a worker (every attempt dropped) reaches the driver as a ViError
    with nothing chained to it: Dask pickles a failed task's exception with its context, and a
    network error's context holds the request with its Authorization header."""
    import traceback

    dataset_id, _ = make_dataset(vclient, vi_server, "unreachable", 3)
    impatient = vi.Client(
        secret_key=vi_server.secret_key,
        organization_id=vi_server.organization_id,
        endpoint=vi_server.url,
        retry_config=vi.RetryConfig(max_retries=1, base_delay=0.01, max_delay=0.02),
    )
    bag = vd.assets_bag(impatient, dataset_id)  # planned before the fault
    vi_server.faults.add("GET", r"/assets$", drop=True, times=None)
    try:
        with pytest.raises(vi.ViError) as info:
            bag.compute()
    finally:
        vi_server.faults.clear()
        impatient.close()
    error = info.value
    assert isinstance(error, vi.errors.ViNetworkError)
    secret = vi_server.secret_key
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert secret not in text and secret.encode() not in pickle.dumps(error)
    assert error.__context__ is None and error.__cause__ is None


def test_import_vi_does_not_import_dask():
    import subprocess
    import sys

    code = (
        "import sys, vi, vi.integrations, vi.integrations.etl, vi.integrations.workers;"
        "assert not any(m.split('.')[0] in ('dask', 'distributed', 'pandas') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
