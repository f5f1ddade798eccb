"""vi.tables over real listings from LocalViServer: assets and annotations as rows, DataFrames
and CSV, with the documented columns."""

import csv

import pytest

from vi import tables
from vi.testing import LocalViServer


@pytest.fixture(scope="module")
def server():
    with LocalViServer(datasets=1, assets_per_dataset=7, annotations_per_asset=2, runs=0) as srv:
        yield srv


@pytest.fixture
def dataset_id(client):
    return str(next(client.datasets.list().all_items()).dataset_id)


def test_asset_rows_flatten_the_documented_columns(client, dataset_id):
    assets = list(client.assets.list(dataset_id, page_size=3).all_items())
    got = list(tables.rows(client.assets.list(dataset_id, page_size=3)))  # a Page walks every page
    assert len(got) == len(assets) == 7
    for asset, row in zip(assets, got):
        assert tuple(row)[: len(tables.ASSET_COLUMNS)] == tables.ASSET_COLUMNS
        meta = asset.metadata
        assert row["asset_id"] == asset.asset_id and row["filename"] == asset.filename
        assert (row["file_size"], row["width"], row["height"]) == (meta.file_size, meta.width, meta.height)
        assert row["status"] == meta.status and row["annotation_total"] == meta.annotations.total
        assert row["tags"] == sorted(t for t, n in meta.annotations.with_tag.items() if n)
        assert {k[5:]: v for k, v in row.items() if k.startswith("meta.")} == meta.custom_metadata
        assert not any("url" in str(v) and "?" in str(v) for v in row.values())  # no signed URLs
    assert any(row["tags"] for row in got) and any(k.startswith("meta.") for k in got[0])


def test_page_to_dataframe(client, dataset_id):
    pd = pytest.importorskip("pandas")
    frame = client.assets.list(dataset_id, page_size=2).to_dataframe()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 7
    assert list(frame.columns[: len(tables.ASSET_COLUMNS)]) == list(tables.ASSET_COLUMNS)
    assert frame["asset_id"].is_unique
    assert len(client.assets.list(dataset_id, page_size=2).to_dataframe(limit=3)) == 3


def test_annotation_rows(client, dataset_id):
    asset = next(client.assets.list(dataset_id).all_items())
    annotations = list(client.annotations.list(dataset_id, asset.asset_id).all_items())
    got = list(tables.rows(annotations))
    assert len(got) == len(annotations) > 0
    for annotation, row in zip(annotations, got):
        assert tuple(row) == tables.ANNOTATION_COLUMNS
        assert row["annotation_id"] == annotation.annotation_id and row["asset_id"] == asset.asset_id
        assert row["kind"] in ("Caption", "PhraseGroundingBoundingBox")
        assert row["tag"] == annotation.spec.tag and row["whole_id"] == annotation.spec.aggregation.whole.id
        if row["kind"] == "Caption":
            assert row["caption"] == annotation.spec.contents.contents and row["bound"] is None
        else:
            assert row["bound"] == annotation.spec.contents.bound
            assert [row["target_start"], row["target_end"]] == annotation.spec.contents.target


def test_a_walk_to_csv(client, dataset_id, tmp_path):
    path = tmp_path / "assets.csv"
    assert tables.write_csv(client.assets.list(dataset_id, page_size=2).all_items(), str(path)) == 7
    with open(path, newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert [r["asset_id"] for r in read] == [a.asset_id for a in client.assets.list(dataset_id).all_items()]
    assert read[0]["file_size"].isdigit() and read[0]["tags"].startswith("[")
