"""A few resource calls against the live local server (in-process adapter). The server side of
these endpoints is being built alongside; an endpoint whose route answers 404 is skipped, so
these tests never depend on it being there yet."""

from __future__ import annotations

import contextlib

import pytest

import vi
from vi.errors import ViNotFoundError
from vi.testing import LocalViServer


@pytest.fixture
def client():
    server = LocalViServer()
    c = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
    )
    c._requester._sleep = lambda seconds: None
    with c:
        yield c


@contextlib.contextmanager
def route(name):
    try:
        yield
    except ViNotFoundError as err:
        pytest.skip("local server has no route for %s yet: %s" % (name, err.message))


def first_dataset(client):
    return client.datasets.list()[0].dataset_id


def test_organization_quota_and_collaborators(client):
    with route("O6"):
        assert isinstance(client.organizations.get_quota(), dict)
    with route("O4"):
        assert all(isinstance(m, dict) for m in client.organizations.list_collaborators().all_items())


def test_export_round_trip(client):
    dataset_id = first_dataset(client)
    with route("D9"):
        export = client.datasets.create_export(dataset_id)
    with route("D11"):
        done = client.datasets.wait_for_export(
            dataset_id, export.dataset_export_id, timeout=30, poll_interval=0.05
        )
    assert done.status.download_url is not None
    with route("D10"):
        ids = [e.dataset_export_id for e in client.datasets.list_exports(dataset_id).all_items()]
    assert export.dataset_export_id in ids


def test_assets_count_matches_listing(client):
    dataset_id = first_dataset(client)
    with route("A4"):
        count = client.assets.count(dataset_id)
    assert count == len(list(client.assets(dataset_id, page_size=50)))


def test_bulk_delete_blocks_until_done(client):
    dataset_id = first_dataset(client)
    with route("D14"):
        session = client.datasets.bulk_delete_assets(
            dataset_id, metadata_query="no-such-key:none", timeout=30, poll_interval=0.05
        )
    assert all(c.status == "Reached" for c in session.status.conditions)


def test_run_create_from_a_flow_id_and_kill(client):
    with route("FL1"):
        flows = client.flows.list()
    if not flows.items:
        pytest.skip("no demo flows on the local server")
    with route("R3"):
        run = client.runs.create(flows[0].flow_id, run_id="run-from-test")
    assert run.run_id == "run-from-test"
    again = client.runs.create(flows[0].flow_id, run_id="run-from-test")
    assert again.run_id == run.run_id
    with route("R4"):
        assert client.runs.kill(run.run_id).spec.killed_at is not None


def test_models_of_a_run(client):
    runs = client.runs.list()
    if not runs.items:
        pytest.skip("no demo runs")
    with route("M1"):
        models = list(client.models(runs[0].run_id))
    for model in models:
        assert model.run_id == runs[0].run_id


def test_folder_names_with_slashes(client):
    dataset_id = first_dataset(client)
    with route("F4"):
        client.folders.put(dataset_id, "2025/january")
    with route("F2"):
        assert isinstance(client.folders.get(dataset_id, "2025/january"), dict)
