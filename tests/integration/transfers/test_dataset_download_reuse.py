"""datasets.download / get_dataset with something already there: an existing export (its own format
decides how it is downloaded) and a folder that already holds the dataset (reused, and said so)."""

import json
import logging

import pytest

import vi
from vi.testing import LocalViServer


@pytest.fixture(scope="module")
def setup():
    with LocalViServer(operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            dataset_id = next(d.dataset_id for d in client.datasets if d.type == "phrase-grounding")
            yield client, dataset_id


@pytest.mark.parametrize("export_format", ["ViJsonl", "Coco", "ViFull"])
def test_an_existing_export_downloads_in_its_own_format(setup, tmp_path, export_format):
    client, dataset_id = setup
    export = client.datasets.create_export(dataset_id, {"format": export_format})
    result = client.datasets.download(
        dataset_id,
        dataset_export_id=export.dataset_export_id,
        save_dir=str(tmp_path),
        show_progress=False,
        poll_interval=0.01,
    )
    assert result.downloaded and result.export_id == export.dataset_export_id
    assert result.format == export_format
    metadata = json.loads((result.save_path / "metadata.json").read_text())
    assert metadata["format"] == export_format and metadata["exportId"] == export.dataset_export_id
    assert sum(result.annotation_count.values()) >= 1


def test_get_dataset_into_a_folder_that_holds_it_says_so(setup, tmp_path, caplog):
    client, dataset_id = setup
    first = client.get_dataset(dataset_id, save_dir=str(tmp_path), show_progress=False)
    assert first.downloaded
    caplog.set_level(logging.INFO, logger="vi")
    again = client.get_dataset(dataset_id, save_dir=str(tmp_path), show_progress=False)
    assert again.downloaded is False
    assert again.export_id == first.export_id and again.format == "ViFull"  # from its metadata.json
    reuse = [r for r in caplog.records if "already in" in r.getMessage()]
    assert len(reuse) == 1 and reuse[0].levelno == logging.INFO
    assert "overwrite=True" in reuse[0].getMessage() and dataset_id in reuse[0].getMessage()
    assert "not downloaded again" in again.summary()
    fresh = client.get_dataset(dataset_id, save_dir=str(tmp_path), show_progress=False, overwrite=True)
    assert fresh.downloaded and fresh.export_id != first.export_id
