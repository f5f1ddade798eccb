"""Interrupted transfers: Ctrl-C exits cleanly (130), a killed upload resumes on the next run of
the same command without duplicates, and a download never leaves a partial file under a final
name."""

import json
import signal
import subprocess
import time
from collections import Counter

import pytest

from tests.helpers.cli import make_images
from vi.cli import exits

FILES = 16


def _wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _manifest_entries(cli):
    """What the upload's resume manifest records so far (written atomically, so always whole)."""
    found = list((cli.home / "cache" / "datature-vi" / "uploads").glob("*.json"))
    if not found:
        return 0
    try:
        return len(json.loads(found[0].read_text()).get("files", {}))
    except ValueError:
        return 0


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_an_interrupted_folder_upload_resumes_without_duplicates(cli, server, client, tmp_path, how):
    dataset_id = client.datasets.create("resume %s" % how.name).dataset_id
    folder = make_images(tmp_path / "photos", FILES)
    rule = server.faults.add(method="PUT", path=r"^/_storage/", latency=0.25, times=None)
    args = ("assets", "upload", dataset_id, folder, "--workers", "2", "--poll-interval", "0.05")
    process = subprocess.Popen(
        cli.argv(*args), env=cli.environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for(lambda: _manifest_entries(cli) >= 3, "the first files to be recorded")
        assert process.poll() is None, "the upload finished before it could be interrupted"
        process.send_signal(how)
        code = process.wait(timeout=30)
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if how == signal.SIGINT:
        assert code == exits.INTERRUPTED == 130
        assert stderr.strip().splitlines()[-1].endswith("interrupted; rerun the same command to resume")
        assert "Traceback" not in stderr
    else:
        assert code == -signal.SIGKILL
    server.faults.clear()
    del rule
    rerun = cli.jsonl(*args)
    statuses = Counter(row["status"] for row in rerun)
    assert statuses["skipped"] >= 1 and statuses["failed"] == 0, rerun
    names = [a.filename for a in client.assets.list(dataset_id).all_items()]
    assert sorted(names) == sorted(p.name for p in folder.iterdir())  # all there, each once
    assert max(Counter(names).values()) == 1


def test_an_interrupted_download_leaves_no_partial_file_and_a_rerun_completes(cli, server, client, tmp_path):
    dataset_id = client.datasets.create("download").dataset_id
    folder = make_images(tmp_path / "src", 8, size=64 * 1024)
    client.assets.upload(dataset_id, folder, poll_interval=0.05)
    out = tmp_path / "out"
    server.faults.add(method="GET", path=r"^/_storage/", latency=0.3, times=None)
    process = subprocess.Popen(
        cli.argv("assets", "download", dataset_id, "--to", out, "--workers", "1"),
        env=cli.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        target = out / dataset_id
        _wait_for(lambda: target.is_dir() and any(target.iterdir()), "the download to start")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == exits.INTERRUPTED
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    server.faults.clear()
    visible = [p for p in target.iterdir() if not p.name.startswith(".")]
    assert len(visible) < 8, "the download finished before it could be interrupted"
    for path in visible:  # whatever carries a final name is complete
        assert path.read_bytes() == (folder / path.name).read_bytes()
    rows = cli.jsonl("assets", "download", dataset_id, "--to", out)
    assert Counter(r["status"] for r in rows)["failed"] == 0
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in folder.iterdir()
    )
    for path in folder.iterdir():
        assert (target / path.name).read_bytes() == path.read_bytes()
