"""A failure that stops a whole workflow raises; a failure of one file is reported for that file.

Every workflow (asset upload, annotation import, asset/dataset/model download, get_dataset) meets
a closed client, a refused key (401), a key without access (403) and an unknown dataset or run
(404) by raising the same ``ViError`` subclass that a plain API call raises in that situation.
"""

import pytest

import vi
from vi.errors import ViClientClosedError, ViError, ViPermissionError, ViUploadError
from vi.testing import LocalViServer
from vi.testing.pictures import png_bytes
from vi.transfers.uploads import upload_assets

PNG = png_bytes(8, 8, (0, 0, 0))[:33] + bytes(range(64))  # a real header: the server reads it
LINE = b'{"not": "an annotation line of this dataset"}\n'


@pytest.fixture(scope="module")
def server():
    with LocalViServer(operation_delay=0.0) as srv:
        other_key, other_org = "dtvi_" + "o" * 40, "00000000-0000-4000-8000-000000000403"
        srv.add_credentials(other_key, other_org)  # a valid key of another organization
        srv.other_key = other_key
        yield srv


@pytest.fixture(scope="module")
def dataset_id(server):
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    ) as c:
        return c.datasets.list().items[0].dataset_id


@pytest.fixture(scope="module")
def run_id(server):
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    ) as c:
        return next(r.run_id for r in c.runs if c.models.list(r.run_id).items)


def client_for(server, situation):
    """A client that meets ``situation``, and whether the dataset id must be an unknown one."""
    key = {"401": "dtvi_" + "x" * 40, "403": server.other_key}.get(situation, server.secret_key)
    client = vi.Client(secret_key=key, organization_id=server.organization_id, endpoint=server.url)
    client._requester._sleep = lambda seconds: None
    if situation == "closed":
        client.close()
    return client


WORKFLOWS = {
    "assets.upload": lambda c, ds, run, d: c.assets.upload(ds, str(d / "a.png"), poll_interval=0.01),
    "annotations.upload": lambda c, ds, run, d: c.annotations.upload(
        ds, str(d / "a.jsonl"), poll_interval=0.01
    ),
    "assets.download": lambda c, ds, run, d: c.assets.download(ds, save_dir=str(d / "out")),
    "datasets.download": lambda c, ds, run, d: c.datasets.download(
        ds, save_dir=str(d / "out"), show_progress=False, poll_interval=0.01
    ),
    "get_dataset": lambda c, ds, run, d: c.get_dataset(ds, save_dir=str(d / "out"), show_progress=False),
    "models.download": lambda c, ds, run, d: c.models.download(
        run, save_dir=str(d / "out"), show_progress=False
    ),
}


def plain_call(client, dataset, run, workflow):
    """The error a plain API call on the same resource raises in the same situation."""
    with pytest.raises(ViError) as raised:
        if workflow == "models.download":
            client.models.get(run)
        else:
            client.datasets.get(dataset)
    return raised.value


@pytest.mark.parametrize("situation", ["closed", "401", "403", "404"])
@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_whole_workflow_failure_raises_what_a_plain_call_raises(
    server, dataset_id, run_id, tmp_path, workflow, situation
):
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "a.jsonl").write_bytes(LINE)
    client = client_for(server, situation)
    dataset = "dsnotthere" if situation == "404" else dataset_id
    run = "runnotthere" if situation == "404" else run_id
    expected = plain_call(client, dataset, run, workflow)
    try:
        with pytest.raises(ViError) as raised:
            WORKFLOWS[workflow](client, dataset, run, tmp_path)
    finally:
        client.close()
    error = raised.value
    assert type(error) is type(expected), (workflow, situation, error)
    if error.__cause__ is not None:  # a workflow that adds context keeps the original error
        assert type(error.__cause__) is type(expected)
    assert not (tmp_path / "out" / dataset).exists() or workflow == "assets.download"


def test_upload_on_a_closed_client_reads_no_file(server, dataset_id, tmp_path, monkeypatch):
    import vi.transfers.asset_uploads as uploads

    client = client_for(server, "closed")
    (tmp_path / "a.png").write_bytes(PNG)
    read = []
    monkeypatch.setattr(uploads, "crc32c_file", lambda *a: read.append(a) or 0)
    with pytest.raises(ViClientClosedError):
        client.assets.upload(dataset_id, str(tmp_path / "a.png"))
    assert read == []


def test_upload_failure_of_a_later_batch_keeps_the_earlier_result(server, dataset_id, tmp_path):
    client = client_for(server, "ok")
    names = ["b%d.png" % i for i in range(3)]
    for name in names:
        (tmp_path / name).write_bytes(PNG + name.encode())
    server.faults.add("POST", r"/assetIngestionSessions$", status=404, skip=1, times=1)
    try:
        with pytest.raises(vi.ViNotFoundError) as raised:
            upload_assets(client, dataset_id, str(tmp_path), batch_size=2, poll_interval=0.01)
    finally:
        server.faults.clear()
        client.close()
    partial = raised.value.details["result"]
    assert sorted(partial.succeeded) == names[:2] and partial.failed == {}
    assert isinstance(raised.value.__cause__, vi.ViNotFoundError)


def test_a_file_refused_by_storage_fails_alone(server, dataset_id, tmp_path):
    client = client_for(server, "ok")
    for name in ("good.png", "bad.png"):
        (tmp_path / name).write_bytes(PNG + name.encode())
    server.faults.add("PUT", r"/_storage/uploads/.*bad\.png", status=403, times=None)
    try:
        result = client.assets.upload(dataset_id, str(tmp_path), poll_interval=0.01)
    finally:
        server.faults.clear()
        client.close()
    assert result.succeeded == ["good.png"] and list(result.failed) == ["bad.png"]
    assert isinstance(result.errors["bad.png"], ViPermissionError)


def test_raise_on_failure_carries_the_status_and_the_error(server, dataset_id, tmp_path):
    client = client_for(server, "ok")
    (tmp_path / "bad.png").write_bytes(PNG)
    server.faults.add("PUT", r"/_storage/uploads/", status=403, times=None)
    try:
        with pytest.raises(ViUploadError) as raised:
            client.assets.upload(dataset_id, str(tmp_path / "bad.png"), raise_on_failure=True)
    finally:
        server.faults.clear()
        client.close()
    error = raised.value
    assert error.status_code == 403
    assert isinstance(error.__cause__, ViPermissionError) and error.__cause__.status_code == 403
    assert error.details["errors"]["bad.png"] is error.__cause__
    assert list(error.details["failed"]) == ["bad.png"]


def test_annotation_raise_on_failure_carries_the_status_and_the_error(server, dataset_id, tmp_path):
    client = client_for(server, "ok")
    (tmp_path / "a.jsonl").write_bytes(LINE)
    server.faults.add("PUT", r"/_storage/imports/", status=403, times=None)
    try:
        with pytest.raises(ViUploadError) as raised:
            client.annotations.upload(dataset_id, str(tmp_path / "a.jsonl"), raise_on_failure=True)
    finally:
        server.faults.clear()
        client.close()
    error = raised.value
    assert error.status_code == 403 and isinstance(error.__cause__, ViPermissionError)
    assert error.details["errors"]["a.jsonl"] is error.__cause__
