"""The transfer workflows through the client's own methods (the names of the official client)."""

import os

import pytest

import vi
from vi.testing import LocalViServer
from vi.testing.pictures import jpeg_bytes, png_bytes


@pytest.fixture
def client():
    with LocalViServer(operation_delay=0.01) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            c.server = server
            yield c


ONE_JPG = jpeg_bytes(4, 3, (200, 10, 10))


def test_upload_then_download_round_trip(client, tmp_path):
    dataset_id = client.datasets.create("transfers").dataset_id
    result = client.assets.upload(
        dataset_id,
        assets_bytes=[("one.jpg", ONE_JPG), ("two.png", png_bytes(3, 2, (0, 9, 0)))],
        timeout=30,
        poll_interval=0.02,
    )
    assert result.ok and len(result.succeeded) == 2
    assert client.assets.count(dataset_id) == 2
    downloaded = client.assets.download(dataset_id, save_dir=str(tmp_path), show_progress=False)
    assert len(downloaded.downloaded) == 2 and not downloaded.failed
    folder = tmp_path / dataset_id
    assert sorted(p.name for p in folder.iterdir()) == ["one.jpg", "two.png"]
    assert (folder / "one.jpg").read_bytes() == ONE_JPG
    storage = [r for r in client.server.stats.requests if r.path.startswith("/_storage")]
    assert storage and all("Authorization" not in r.headers for r in storage)


def test_get_dataset_and_get_model(client, tmp_path):
    dataset_id = client.datasets.list().items[0].dataset_id
    result = client.get_dataset(dataset_id, save_dir=str(tmp_path / "d"), show_progress=False, timeout=60)
    assert result.save_path.is_dir() and sum(result.asset_count.values()) >= 1
    finished = [r for r in client.runs if r.run_id and client.models.list(r.run_id).items]
    model = client.get_model(finished[0].run_id, save_path=str(tmp_path / "m"), show_progress=False)
    assert any(os.scandir(str(tmp_path / "m")))
    assert model is not None


def test_transfer_methods_need_a_live_client(tmp_path):
    server = LocalViServer()
    c = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
    )
    assets = c.assets
    c.close()
    del c
    import gc

    gc.collect()
    with pytest.raises(vi.ViClientClosedError):
        assets.download("dswzchi1", save_dir=str(tmp_path))
