"""Download → transform → upload on a real cluster: a worker killed mid-upload, faults injected,
and the result exact every time (every target file present once, with the right bytes)."""

import os
import signal
import threading
import time

import pytest

from vi.testing.pictures import png_bytes

from .data import make_dataset, skip_without_dask, stored_files  # noqa: E402

skip_without_dask()


#: The transform's output starts with a real picture header: the server reads it (and refuses a
#: file whose header it cannot read, as the service does); the rest is the source reversed.
HEADER = png_bytes(8, 8, (0, 0, 0))[:33]


def reverse(source, target, record):
    """The job's transform: the file's bytes reversed; records the worker's pid for the test."""
    target.write_bytes(HEADER + source.read_bytes()[::-1])
    pids = source.parent.parent.parent / "pids"
    pids.mkdir(exist_ok=True)
    (pids / record["filename"]).write_text(str(os.getpid()))


def _quiet(server, seconds=1.0, timeout=60.0):
    """Wait until the server has seen no request for ``seconds`` (tasks of a failed run that were
    still running when the run gave up have finished)."""
    deadline = time.monotonic() + timeout
    last, since = server.stats.request_count, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = server.stats.request_count
        if now != last or server.stats.requests_in_flight:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
    raise AssertionError("the server never went quiet")


def _exact(server, target, expected):
    assert stored_files(server, target) == {name: HEADER + data[::-1] for name, data in expected.items()}


def test_worker_killed_mid_upload_then_rerun_completes_exactly(vd, vi_server, vclient, dclient, tmp_path):
    source_id, expected = make_dataset(vclient, vi_server, "kill-source", 400)
    target_id = str(vclient.datasets.create("kill-target").dataset_id)
    work = tmp_path / "shared" / "work"
    options = dict(
        work_dir=work, transform=reverse, target_dataset_id=target_id, page_size=50, poll_interval=0.05
    )
    vi_server.stats.reset()
    victim = "bulk_000263.jpg"  # in partition 5 of 8
    rule = vi_server.faults.add("PUT", r"/_storage/uploads/.*/%s$" % victim.replace(".", r"\."), latency=3.0)
    killed = []

    def killer():
        deadline = time.monotonic() + 120
        while not rule.hits and time.monotonic() < deadline:
            time.sleep(0.01)
        if rule.hits:  # that worker is inside the upload of partition 5 right now
            pid = int((tmp_path / "shared" / "pids" / victim).read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    with pytest.raises(Exception) as failure:
        vd.run_etl(vclient, source_id, **options)
    thread.join(10)
    assert killed, "the kill never happened"
    assert "KilledWorker" in type(failure.value).__name__, failure.value
    vi_server.faults.clear()
    _quiet(vi_server)
    dclient.wait_for_workers(2, timeout=60)
    partial = len(stored_files(vi_server, target_id))
    assert 0 < partial < 400  # the first run really stopped halfway

    summary = vd.run_etl(vclient, source_id, **options)
    assert summary.ok and summary.total == 400, summary.summary()
    assert summary.skipped >= 50 and summary.succeeded >= 50  # earlier work kept, the rest done now
    _exact(vi_server, target_id, expected)
    assert vi_server.stats.creates["asset"] == 400  # nothing created twice, across both runs
    assert vclient.assets.count(target_id) == 400

    again = vd.run_etl(vclient, source_id, **options)
    assert again.skipped == 400 and again.succeeded == 0 and again.failed == 0
    assert vi_server.stats.creates["asset"] == 400


def test_faults_injected_and_the_job_still_exact(vd, vi_server, vclient, dclient, tmp_path):
    source_id, expected = make_dataset(vclient, vi_server, "fault-source", 300)
    target_id = str(vclient.datasets.create("fault-target").dataset_id)
    vi_server.stats.reset()
    faults = vi_server.faults
    rules = [
        faults.add("GET", r"/assets$", status=500, times=3, skip=2),  # partition fetches
        faults.add("GET", r"/assets$", status=429, retry_after=0.3, times=2),
        faults.add("HEAD", r"/_storage/", status=503, times=10, probability=0.2),
        faults.add("GET", r"/_storage/", drop=True, times=8, probability=0.1),
        faults.add("GET", r"/_storage/", truncate=True, times=8, probability=0.1),
        faults.add("PUT", r"/_storage/uploads/", status=500, times=8, probability=0.1),
        faults.add("POST", r"IngestionSessions?$", status=429, retry_after=0.2, times=2),
        faults.add("GET", r"IngestionSessions?/", status=502, times=4, probability=0.3),
    ]
    try:
        summary = vd.run_etl(
            vclient,
            source_id,
            work_dir=tmp_path / "work",
            transform=reverse,
            target_dataset_id=target_id,
            page_size=60,
            poll_interval=0.05,
        )
    finally:
        faults.clear()
    fired = [r for r in rules if r.hits]
    assert len(fired) >= 6, rules  # the faults really happened
    assert summary.ok and summary.succeeded == 300, summary.summary()
    _exact(vi_server, target_id, expected)
    assert vi_server.stats.creates["asset"] == 300


def test_every_file_reported_with_its_reason(vd, vi_server, vclient, dclient, tmp_path):
    source_id, expected = make_dataset(vclient, vi_server, "report-source", 30)
    target_id = str(vclient.datasets.create("report-target").dataset_id)
    names = sorted(expected)

    def picky(source, target, record):
        if record["filename"] == names[0]:
            raise ValueError("cannot read this one")
        if record["filename"] == names[1]:
            return False
        target.write_bytes(HEADER + source.read_bytes()[::-1])

    bag = vd.etl_bag(
        vclient,
        source_id,
        work_dir=tmp_path / "work",
        transform=picky,
        target_dataset_id=target_id,
        page_size=10,
        poll_interval=0.05,
    )
    frame = bag.to_dataframe(meta=vd.file_frame_meta()).compute()  # records stay a dataframe
    assert len(frame) == 30
    records = {r["filename"]: r for r in frame.to_dict("records")}
    assert sorted(records) == names
    assert records[names[0]]["status"] == "failed" and records[names[0]]["stage"] == "transform"
    assert "cannot read this one" in records[names[0]]["reason"]
    assert records[names[1]]["status"] == "skipped" and records[names[1]]["stage"] == "transform"
    assert all(records[n]["status"] == "succeeded" and records[n]["upload"] == "succeeded" for n in names[2:])
    # the rerun retries the failure (its partition has no done file) and skips the rest
    rerun = {r["filename"]: r for r in bag.compute()}
    assert rerun[names[0]]["status"] == "failed"
    assert all(rerun[n]["status"] == "skipped" for n in names[1:])
    assert sorted(stored_files(vi_server, target_id)) == names[2:]
