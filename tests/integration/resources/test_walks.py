"""Walking a whole listing: without a chosen page size the pages after the first are as large as
the API allows (a few requests, not one per 10 items); a chosen size holds for every page."""

import math

import pytest

import vi
from vi.testing import LocalViServer

ASSETS = 2500


@pytest.fixture(scope="module")
def setup():
    with LocalViServer(datasets=1, assets_per_dataset=0, runs=0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            dataset_id = client.datasets.list()[0].dataset_id
            server.store.add_assets(server.organization_id, dataset_id, ASSETS)
            yield server, client, dataset_id


def walk(server, make):
    before = len(server.stats.requests)
    count = sum(1 for _ in make())
    return count, [r for r in server.stats.requests[before:] if r.path.endswith("/assets")]


def test_a_walk_without_a_page_size_uses_the_largest_pages(setup):
    server, client, dataset_id = setup
    count, requests = walk(server, lambda: client.assets.list(dataset_id).all_items())
    assert count == ASSETS
    assert len(requests) == 1 + math.ceil((ASSETS - 10) / 1000)  # 4 requests, not 250
    assert "s=10" in requests[0].query and all("s=1000" in r.query for r in requests[1:])


def test_iterating_pages_walks_the_same_way(setup):
    server, client, dataset_id = setup
    count, requests = walk(server, lambda: (a for page in client.assets.list(dataset_id) for a in page.items))
    assert count == ASSETS and len(requests) == 4


def test_a_chosen_page_size_holds_for_every_page(setup):
    server, client, dataset_id = setup
    count, requests = walk(server, lambda: client.assets.list(dataset_id, page_size=500).all_items())
    assert count == ASSETS and len(requests) == 5
    assert all("s=500" in r.query for r in requests)
