"""The in-memory store and its demo data, without HTTP."""

import threading

import pytest

from vi.testing.pagination import InvalidPageRequest, PageTokens, parse_page_size
from vi.testing.store import NotFound, Store, seed_demo


def ids(store, org):
    return [d["datasetId"] for d in store.list_datasets(org, 0, 1000).items]


def test_demo_data_is_deterministic_and_scoped_to_the_org():
    a, b = Store(), Store()
    seed_demo(a, "org-a")
    seed_demo(b, "org-b")
    short_a = [i.split("_", 1)[1] for i in ids(a, "org-a")]
    short_b = [i.split("_", 1)[1] for i in ids(b, "org-b")]
    assert short_a == short_b and len(set(short_a)) == 25
    assert all(i.startswith("org-a_") for i in ids(a, "org-a"))
    first_a = a.list_assets("org-a", ids(a, "org-a")[0], 0, 100).items
    first_b = b.list_assets("org-b", ids(b, "org-b")[0], 0, 100).items
    assert [x["assetId"] for x in first_a] == [x["assetId"] for x in first_b]
    assert [x["filename"].split(".")[0] for x in first_a] == ["frame_%04d" % i for i in range(1, 13)]


def test_seeding_twice_never_collides():
    store = Store()
    store.seed_demo("org", datasets=3, assets_per_dataset=1, runs=2)
    store.seed_demo("org", datasets=3, assets_per_dataset=1, runs=2)
    assert len(set(ids(store, "org"))) == 6
    assert len(store.list_runs("org", 0, 100).items) == 4


def test_counts_follow_the_lists():
    store = Store()
    (dataset_id,) = store.seed_demo("org", datasets=1, assets_per_dataset=4, annotations_per_asset=3, runs=0)
    stats = store.get_dataset("org", dataset_id)["statistic"]
    assert stats["assetTotal"] == 4
    assert stats["annotationTotal"] == 12
    assert stats["assetAnnotated"] == 4
    assert sum(stats["tagsCount"].values()) == 12
    org = store.get_organization("org")
    assert org["datasets"] == [dataset_id]
    assert org["users"][org["billing"]["payer"]]["datasets"] == {dataset_id: "Owner"}


def test_delete_dataset_drops_assets_and_annotations():
    store = Store()
    first, second = store.seed_demo("org", datasets=2, assets_per_dataset=2)
    asset_id = store.list_assets("org", first, 0, 10).items[0]["assetId"]
    op = store.delete_dataset("org", first)
    assert op["status"]["conditions"][1]["status"] == "Waiting"
    with pytest.raises(NotFound):
        store.get_dataset("org", first)
    with pytest.raises(NotFound):
        store.list_annotations("org", first, asset_id, 0, 10)
    assert store.get_delete_operation("org", first)["status"]["conditions"][1]["status"] == "Waiting"
    store.operations.finish_all()
    assert store.get_delete_operation("org", first)["status"]["conditions"][1]["status"] == "Reached"
    assert ids(store, "org") == [second]


def test_returned_json_does_not_alias_state():
    store = Store()
    store.seed_demo("org", datasets=1, runs=1)
    run = store.list_runs("org", 0, 1).items[0]
    run["spec"]["flow"]["blocks"].clear()
    assert store.get_run("org", run["runId"])["spec"]["flow"]["blocks"]


def test_concurrent_creates_and_deletes_stay_consistent():
    store = Store()
    store.add_organization("org")
    errors = []

    def worker(n):
        try:
            for i in range(20):
                ds = store.create_dataset("org", {"name": f"w{n}-{i}"})
                if i % 2:
                    store.delete_dataset("org", ds["datasetId"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert errors == []
    assert len(ids(store, "org")) == 80
    assert len(store.get_organization("org")["datasets"]) == 80


def test_credentials_table():
    store = Store()
    assert store.add_credentials("k1", "org") is True
    assert store.add_credentials("k2", "org") is False
    assert store.organization_for_key("k1") == store.organization_for_key("k2") == "org"
    assert store.organization_for_key("nope") is None
    with pytest.raises(ValueError):
        store.add_credentials("", "org")


def test_page_tokens_are_bound_to_listing_and_authenticated():
    tokens = PageTokens()
    nonce = tokens.new_walk()
    token = tokens.encode("a", nonce, 10)
    assert tokens.decode("a", token) == (nonce, 10)
    with pytest.raises(InvalidPageRequest):
        tokens.decode("b", token)
    with pytest.raises(InvalidPageRequest):
        tokens.decode("a", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    assert tokens.encode("a", tokens.new_walk(), 10) != token
    assert parse_page_size(None) == 10
    assert parse_page_size("1000") == 1000
