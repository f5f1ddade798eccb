"""What an application sees of the ``vi`` logger: nothing at all when it configured no logging (the
library's NullHandler keeps Python's last-resort handler quiet), and the milestones of every
upload, export and download at INFO when it did."""

import logging
import os
import subprocess
import sys
import textwrap

import pytest

import vi
from vi.testing import LocalViServer
from vi.testing.pictures import png_bytes

PNG = png_bytes(8, 8, (0, 0, 0))[:33] + bytes(range(64))  # a real header: the server reads it


def test_retry_warnings_stay_off_stderr_without_logging_configuration():
    code = textwrap.dedent(
        """
        import logging, vi
        from vi.testing import LocalViServer
        with LocalViServer() as server:
            server.faults.add("GET", "/datasets", status=503, times=1)
            with vi.Client(secret_key=server.secret_key, organization_id=server.organization_id,
                           endpoint=server.url) as client:
                client._requester._sleep = lambda seconds: None
                client.datasets.list()
            assert server.faults.rules[0].hits == 1  # the retry did happen
            assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("vi").handlers)
        print("done")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VI_", "DATATURE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=os.getcwd()
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
    assert out.stderr == ""


@pytest.fixture
def client():
    with LocalViServer(operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            yield c


def messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "vi" and r.levelno == logging.INFO]


def test_uploads_log_their_milestones_at_info(client, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="vi")
    dataset_id = client.datasets.create("logged").dataset_id
    (tmp_path / "a.png").write_bytes(PNG)
    client.assets.upload(dataset_id, str(tmp_path / "a.png"), poll_interval=0.01)
    seen = messages(caplog)
    assert any(m.startswith("Uploading 1 file(s)") and dataset_id in m for m in seen), seen
    assert any(m.startswith("Ingestion session") and "sending 1 file(s)" in m for m in seen), seen
    assert any(m.startswith("Uploaded 1 of 1 file(s)") for m in seen), seen
    caplog.clear()
    (tmp_path / "a.jsonl").write_text("{}\n")
    client.annotations.upload(
        dataset_id,
        str(tmp_path / "a.jsonl"),
        failure_policies={"on_bad_annotation": "Warn"},
        poll_interval=0.01,
    )
    seen = messages(caplog)
    assert any(m.startswith("Importing 1 annotation file(s)") for m in seen), seen
    assert any(m.startswith("Imported 1 of 1 annotation file(s)") for m in seen), seen


def test_exports_and_downloads_log_their_milestones_at_info(client, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="vi")
    dataset_id = client.datasets.list().items[0].dataset_id
    client.datasets.download(
        dataset_id, save_dir=str(tmp_path / "d"), show_progress=False, poll_interval=0.01
    )
    seen = messages(caplog)
    assert any(m.startswith("Export ") and "created" in m for m in seen), seen
    assert any("is ready; downloading it into" in m for m in seen), seen
    assert any(m.startswith("Dataset %s downloaded into" % dataset_id) for m in seen), seen
    caplog.clear()
    client.assets.download(dataset_id, save_dir=str(tmp_path / "a"))
    seen = messages(caplog)
    assert any(m.startswith("Downloading ") and "asset file(s)" in m for m in seen), seen
    assert any(m.startswith("Dataset %s:" % dataset_id) and "downloaded" in m for m in seen), seen
    caplog.clear()
    run_id = next(r.run_id for r in client.runs if client.models.list(r.run_id).items)
    client.models.download(run_id, save_dir=str(tmp_path / "m"), show_progress=False)
    seen = messages(caplog)
    assert any(m.startswith("Downloading model") for m in seen), seen
    assert any(m.startswith("Model of run %s downloaded" % run_id) for m in seen), seen
