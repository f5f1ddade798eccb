"""Code written for the official client: its argument names and spellings work where they mean
the same thing here, and give a clear error where they do not."""

import json

import pytest

import vi
from vi.errors import ViInvalidParameterError
from vi.testing import LocalViServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture(scope="module")
def client():
    with LocalViServer(operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            c.run_id = next(r.run_id for r in c.runs if c.models.list(r.run_id).items)
            c.dataset_id = next(d.dataset_id for d in c.datasets if d.type == "phrase-grounding")
            yield c


def test_models_download_takes_run_id_or_link_like_list_and_get(client, tmp_path):
    by_keyword = client.models.download(
        run_id_or_link=client.run_id, save_dir=str(tmp_path), show_progress=False
    )
    positional = client.models.download(client.run_id, None, str(tmp_path), False, False)
    legacy = client.models.download(run_id=client.run_id, save_dir=str(tmp_path), show_progress=False)
    assert by_keyword.run_id == positional.run_id == legacy.run_id == client.run_id
    assert by_keyword.downloaded and not positional.downloaded  # the second found it in place


def test_models_links_and_contradictions_get_clear_errors(client, tmp_path):
    with pytest.raises(ViInvalidParameterError, match="takes a run id .*not a link"):
        client.models.download("https://app.datature.io/p/runs/" + client.run_id, save_dir=str(tmp_path))
    with pytest.raises(ViInvalidParameterError, match="not a link"):
        client.models.get("workspaces/x/runs/" + client.run_id)
    with pytest.raises(ViInvalidParameterError, match="not two different runs"):
        client.models.download(client.run_id, run_id="run-other", save_dir=str(tmp_path))
    with pytest.raises(ViInvalidParameterError, match="needs run_id_or_link"):
        client.models.download(save_dir=str(tmp_path))


def test_uploads_accept_wait_until_done(client, tmp_path):
    (tmp_path / "w.png").write_bytes(PNG)
    result = client.assets.upload(client.dataset_id, str(tmp_path / "w.png"), wait_until_done=False)
    assert result.succeeded == ["w.png"] and result.confirmed is False
    (tmp_path / "w.jsonl").write_text("{}\n")
    imported = client.annotations.upload(client.dataset_id, str(tmp_path / "w.jsonl"), wait_until_done=False)
    assert imported.confirmed is False and imported.inserted is None
    with pytest.raises(ViInvalidParameterError, match="disagree"):
        client.assets.upload(client.dataset_id, str(tmp_path / "w.png"), wait=True, wait_until_done=False)


def test_annotations_download_takes_the_official_positional_export_id(client, tmp_path):
    export = client.datasets.create_export(client.dataset_id, {"format": "Coco"})
    result = client.annotations.download(
        client.dataset_id, export.dataset_export_id, str(tmp_path / "a"), False, False
    )
    assert result.export_id == export.dataset_export_id and result.format == "Coco"
    settings = client.annotations.download(
        client.dataset_id,
        export_settings={"format": "PascalVoc"},
        save_dir=str(tmp_path / "b"),
        show_progress=False,
    )
    assert json.loads((settings.save_path / "metadata.json").read_text())["format"] == "PascalVoc"
    by_name = client.annotations.download(
        client.dataset_id, "ViJsonl", save_dir=str(tmp_path / "c"), show_progress=False
    )
    assert by_name.format == "ViJsonl"  # this method's earlier positional format still works
    with pytest.raises(ViInvalidParameterError):
        client.annotations.download(client.dataset_id, "ViJsonl", export_format="Coco")
    with pytest.raises(ViInvalidParameterError, match="export_settings="):
        client.annotations.download(client.dataset_id, None, {"format": "Coco"}, str(tmp_path))


def test_help_lists_what_there_is(client, capsys):
    client.help()
    out = capsys.readouterr().out
    assert "get_dataset(" in out and "close()" in out and "assets" in out and "models" in out
    client.models.help()
    out = capsys.readouterr().out
    assert out.startswith("Models:") and "download(run_id_or_link=None" in out and "list(" in out
