"""A relative ``save_dir`` (the natural ``--to ./exports`` of a shell) extracts like an absolute one."""

import vi


def test_dataset_download_into_a_relative_folder(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    ) as client:
        dataset_id = client.datasets.list().items[0].dataset_id
        result = client.datasets.download(
            dataset_id, save_dir="exports", show_progress=False, poll_interval=0.05
        )
    assert (tmp_path / "exports" / dataset_id / "metadata.json").is_file()
    assert sum(result.asset_count.values()) > 0
