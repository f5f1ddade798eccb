"""Asset and annotation uploads against LocalViServer over real sockets (PROTOCOL §9, §16.28–36).

Every test checks what the *server* received (bytes, headers, request counts), not only what the
client reports."""

import json
import os

import pytest

import vi.transfers.asset_uploads as uploads
from vi.errors import ViUploadError, ViValidationError
from vi.testing.pictures import png_bytes
from vi.transfers.crc32c import crc32c, to_signed
from vi.transfers.uploads import upload_annotations, upload_assets

POLL = 0.02


def png(seed, size):
    """Deterministic bytes that start with a real PNG header (the server reads width/height from
    it, and refuses an image whose header it cannot read), padded to `size` bytes (a header needs
    33: anything shorter is cut and the server would refuse it)."""
    header = png_bytes(1 + seed % 50, 1 + seed % 30, (seed % 256, 0, 0))[:33]  # signature + IHDR
    body = bytes((seed * 31 + i * 7) % 256 for i in range(max(0, size - len(header))))
    return (header + body)[:size]


@pytest.fixture
def srv(server):
    server.operations.delay = 0.0
    return server


@pytest.fixture
def vi_client(make_client):
    return make_client()


@pytest.fixture
def dataset(vi_client):
    return vi_client.datasets.list().items[0].dataset_id


def write(folder, name, data):
    path = os.path.join(str(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def stored(server, dataset_id, filename):
    """The bytes the server keeps for an asset of the dataset (None if there is no such asset)."""
    with server.store._lock:
        record = server.store._dataset_by_short(server.organization_id, dataset_id)
        for asset in record.assets.values():
            if asset.filename == filename:
                return asset.data
    return None


def storage_puts(server, kind="uploads"):
    return [r for r in server.stats.requests if r.path.startswith("/_storage/" + kind + "/")]


def test_single_file_arrives_intact_with_content_length_and_no_credentials(srv, vi_client, dataset, tmp_path):
    data = png(1, 5000)
    path = write(tmp_path, "one.png", data)
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, path, poll_interval=POLL)
    assert result.ok and result.succeeded == ["one.png"] and result.failed == {}
    assert len(result.session_ids) == 1 and result.bytes_uploaded == 5000
    assert stored(srv, dataset, "one.png") == data
    create = [
        r for r in srv.stats.requests if r.path.endswith("/assetIngestionSessions") and r.method == "POST"
    ]
    spec = json.loads(create[0].body)["spec"]["assets"][0]
    assert spec == {
        "filename": "one.png",
        "mime": "image/png",
        "size": 5000,
        "crc32c": to_signed(crc32c(data)),
        "customMetadata": None,
        "kind": "Image",
    }
    (put,) = storage_puts(srv)
    assert put.method == "PUT" and put.headers["Content-Length"] == "5000"
    assert "Transfer-Encoding" not in put.headers and put.headers["Content-Type"] == "image/png"
    for record in srv.stats.requests:
        if record.path.startswith("/_storage/"):
            assert "Authorization" not in record.headers and "Organization-Id" not in record.headers
    assert "Uploaded 1 of 1" in result.summary()


def test_many_files_in_parallel_within_the_worker_bound(srv, vi_client, dataset, tmp_path):
    files = {"m%02d.jpg" % i: png(i, 2000 + i) for i in range(24)}
    paths = [write(tmp_path, name, data) for name, data in files.items()]
    srv.faults.latency = 0.02  # so that uploads overlap
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, paths, max_workers=4, poll_interval=POLL)
    assert result.ok and sorted(result.succeeded) == sorted(files)
    assert len(storage_puts(srv)) == 24
    assert 2 <= srv.stats.max_requests_in_flight <= 4
    for name, data in files.items():
        assert stored(srv, dataset, name) == data


def test_folder_recursion_pattern_and_relative_names(srv, vi_client, dataset, tmp_path):
    write(tmp_path, "top.png", png(1, 100))
    write(tmp_path, "notes.txt", b"not an asset")
    write(tmp_path, "sub/deep.png", png(2, 200))
    write(tmp_path, "sub/skip.jpg", png(3, 300))
    flat = upload_assets(vi_client, dataset, tmp_path, pattern="*.png", recursive=False, poll_interval=POLL)
    assert flat.succeeded == ["top.png"]
    deep = upload_assets(
        vi_client, dataset, str(tmp_path), pattern="*.png", relative_names=True, poll_interval=POLL
    )
    assert sorted(deep.succeeded) == ["sub_deep.png", "top.png"]
    assert stored(srv, dataset, "sub_deep.png") == png(2, 200)
    everything = upload_assets(vi_client, dataset, tmp_path, poll_interval=POLL)
    assert sorted(everything.succeeded) == ["deep.png", "skip.jpg", "top.png"]  # .txt ignored in folders


def test_bytes_pairs(srv, vi_client, dataset):
    pairs = [("b1.png", png(5, 64)), ("b2.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(100))]
    result = upload_assets(vi_client, dataset, assets_bytes=pairs, poll_interval=POLL)
    assert result.ok and sorted(result.succeeded) == ["b1.png", "b2.mp4"]
    assert stored(srv, dataset, "b1.png") == pairs[0][1] and stored(srv, dataset, "b2.mp4") == pairs[1][1]
    create = [r for r in srv.stats.requests if r.path.endswith("/assetIngestionSessions")][-1]
    kinds = {a["filename"]: (a["kind"], a["mime"]) for a in json.loads(create.body)["spec"]["assets"]}
    assert kinds == {"b1.png": ("Image", "image/png"), "b2.mp4": ("Video", "video/mp4")}


def test_multipart_sends_every_part_with_content_length(srv, vi_client, dataset, tmp_path):
    srv.store.multipart_part_size = 1000
    big, small = png(7, 3500), png(8, 900)
    paths = [write(tmp_path, "big.png", big), write(tmp_path, "small.png", small)]
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, paths, multipart_threshold=1000, poll_interval=POLL)
    assert result.ok and sorted(result.succeeded) == ["big.png", "small.png"]
    assert stored(srv, dataset, "big.png") == big
    parts = storage_puts(srv, "multipart")
    assert len(parts) == 4  # ceil(3500 / 1000) parts chosen by the server
    # §9.2 split: floor(size / N) per part, the last one takes the remainder
    assert sorted(int(p.headers["Content-Length"]) for p in parts) == [875, 875, 875, 875]
    assert all("Transfer-Encoding" not in p.headers for p in parts)
    completions = [r for r in srv.stats.requests if r.path.endswith("/completion") and "/parts/" in r.path]
    assert len(completions) == 4 and all(json.loads(r.body)["responseHeaders"]["ETag"] for r in completions)
    assert len(storage_puts(srv)) == 1  # small.png took the single PUT


def test_checksum_mismatch_reported_by_server_is_a_failed_file(
    srv, vi_client, dataset, tmp_path, monkeypatch
):
    good, bad = png(1, 500), png(2, 500)
    paths = [write(tmp_path, "good.png", good), write(tmp_path, "bad.png", bad)]
    real = uploads.crc32c_file

    def lying(handle, length=None, chunk_size=1 << 20):
        value = real(handle, length, chunk_size)
        return value ^ 1 if handle.name.endswith("bad.png") else value

    monkeypatch.setattr(uploads, "crc32c_file", lying)
    result = upload_assets(vi_client, dataset, paths, poll_interval=POLL)
    assert result.succeeded == ["good.png"]
    assert "ECORRUPT" in result.failed["bad.png"] and not result.ok
    assert stored(srv, dataset, "bad.png") is None
    with pytest.raises(ViUploadError) as caught:
        upload_assets(vi_client, dataset, paths, poll_interval=POLL, raise_on_failure=True)
    assert "ECORRUPT" in caught.value.details["failed"]["bad.png"]
    assert caught.value.details["succeeded"] == ["good.png"]


def test_storage_500_is_retried_with_the_body_rewound(srv, vi_client, dataset, tmp_path):
    data = png(3, 40000)
    path = write(tmp_path, "retry.png", data)
    rule = srv.faults.add(method="PUT", path=r"^/_storage/uploads/.*/retry\.png$", status=500, times=2)
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, path, poll_interval=POLL)
    assert result.ok and rule.hits == 2
    assert len(storage_puts(srv)) == 3
    assert stored(srv, dataset, "retry.png") == data  # the third attempt sent all bytes again
    assert all(p.headers["Content-Length"] == "40000" for p in storage_puts(srv))


def test_expired_signature_is_a_failed_file_and_not_retried(srv, vi_client, dataset, tmp_path):
    paths = [write(tmp_path, "late.png", png(4, 300)), write(tmp_path, "late2.png", png(5, 300))]
    srv.app.url_ttl_seconds = -60  # every signed URL handed out is already expired
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, paths, poll_interval=POLL)
    assert result.succeeded == [] and set(result.failed) == {"late.png", "late2.png"}
    assert "403" in result.failed["late.png"] and "expired" in result.failed["late.png"]
    assert len(storage_puts(srv)) == 2  # one attempt each
    cancels = [r for r in srv.stats.requests if r.path.endswith(":cancel")]
    assert len(cancels) == 1  # the session is released instead of waiting for files that never come
    with pytest.raises(ViUploadError) as caught:
        upload_assets(vi_client, dataset, paths, poll_interval=POLL, raise_on_failure=True)
    assert set(caught.value.details["failed"]) == {"late.png", "late2.png"}


def test_connection_dropped_mid_body_is_retried(srv, vi_client, dataset, tmp_path):
    data = png(6, 3 * 1024 * 1024)  # larger than the server's read-ahead: it drops while we send
    path = write(tmp_path, "dropped.png", data)
    rule = srv.faults.add(method="PUT", path=r"/dropped\.png$", drop=True, times=1)
    result = upload_assets(vi_client, dataset, path, poll_interval=POLL)
    assert result.ok and rule.hits == 1
    assert stored(srv, dataset, "dropped.png") == data


def test_resume_sends_only_what_did_not_arrive(srv, vi_client, dataset, tmp_path):
    files = {"r%d.png" % i: png(i, 700 + i) for i in range(1, 7)}
    paths = [write(tmp_path / "data", name, data) for name, data in files.items()]
    manifest = tmp_path / "upload.json"
    srv.faults.add(method="PUT", path=r"/r3\.png$", status=403, times=None)  # file 3 of 6 always fails
    first = upload_assets(vi_client, dataset, paths, resume=manifest, poll_interval=POLL)
    assert set(first.failed) == {"r3.png"} and len(first.succeeded) == 5
    recorded = json.loads(manifest.read_text())
    assert recorded["dataset_id"] == dataset and set(recorded["files"]) == set(files) - {"r3.png"}
    assert all(e["state"] == "done" for e in recorded["files"].values())
    srv.faults.clear()
    srv.stats.reset()
    second = upload_assets(vi_client, dataset, paths, resume=manifest, poll_interval=POLL)
    assert (
        second.ok
        and second.succeeded == ["r3.png"]
        and sorted(second.skipped) == sorted(set(files) - {"r3.png"})
    )
    assert [p.path.rsplit("/", 1)[1] for p in storage_puts(srv)] == ["r3.png"]
    assert stored(srv, dataset, "r3.png") == files["r3.png"]
    # a changed file is sent again even though the manifest lists it
    write(tmp_path / "data", "r1.png", png(99, 50))
    srv.stats.reset()
    third = upload_assets(vi_client, dataset, paths, resume=manifest, poll_interval=POLL)
    assert third.succeeded == ["r1.png"] and len(third.skipped) == 5


def test_resume_after_an_interruption_keeps_what_arrived(srv, vi_client, dataset, tmp_path):
    files = {"i%d.png" % i: png(i, 1000) for i in range(1, 6)}
    paths = [write(tmp_path / "data", name, data) for name, data in files.items()]
    manifest = tmp_path / "m.json"
    seen = []

    def interrupt(event):
        seen.append(event.current)
        if event.current == "i3.png":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload_assets(vi_client, dataset, paths, resume=manifest, max_workers=1, progress=interrupt)
    states = {k: v["state"] for k, v in json.loads(manifest.read_text())["files"].items()}
    # i1 and i2 arrived before the interruption; a queued file may still have slipped through
    assert {"i1.png", "i2.png"} <= set(states) and "i3.png" not in states
    assert set(states.values()) == {"sent"}  # never confirmed: the run was interrupted
    srv.stats.reset()
    result = upload_assets(vi_client, dataset, paths, resume=manifest, poll_interval=POLL)
    assert result.ok and sorted(result.skipped) == sorted(states)
    resent = sorted(p.path.rsplit("/", 1)[1] for p in storage_puts(srv))
    assert resent == sorted(set(files) - set(states)) and "i3.png" in resent
    for name, data in files.items():
        assert stored(srv, dataset, name) == data


def test_validation_happens_before_any_request(srv, vi_client, dataset, tmp_path):
    write(tmp_path, "a/x.png", png(1, 10))
    write(tmp_path, "b/x.png", png(2, 10))
    os.makedirs(str(tmp_path / "empty"))
    write(tmp_path, "doc.pdf", b"%PDF")
    srv.stats.reset()
    with pytest.raises(ViValidationError) as caught:
        upload_assets(
            vi_client,
            dataset,
            [tmp_path / "a", tmp_path / "b", tmp_path / "nope.png", tmp_path / "empty", tmp_path / "doc.pdf"],
            assets_bytes=[("y.bmp", "text")],
        )
    problems = " | ".join(caught.value.details["problems"])
    for expected in (
        "2 files would be uploaded as 'x.png'",
        "no such file",
        "nope.png",
        "no files matching",
        "unsupported file type",
        "doc.pdf",
        "is not bytes",
    ):
        assert expected in problems
    assert srv.stats.request_count == 0
    with pytest.raises(ViValidationError):
        upload_assets(vi_client, dataset)
    with pytest.raises(ViValidationError):
        upload_assets(vi_client, dataset, tmp_path / "a", failure_mode="Never")
    assert srv.stats.request_count == 0


def test_progress_callback_totals(srv, vi_client, dataset, tmp_path):
    srv.store.multipart_part_size = 1000
    sizes = {"p1.png": 1200, "p2.png": 3000, "p3.png": 40}
    paths = [write(tmp_path, n, png(i, s)) for i, (n, s) in enumerate(sizes.items())]
    events = []
    result = upload_assets(
        vi_client, dataset, paths, progress=events.append, multipart_threshold=2500, poll_interval=POLL
    )
    assert result.ok
    last = events[-1]
    assert last.operation == "upload" and last.total_bytes == sum(sizes.values()) == last.bytes_done
    assert last.total_files == 3 and last.files_done == 3 and last.files_failed == 0
    assert [e.bytes_done for e in events] == sorted(e.bytes_done for e in events)


def test_wait_timeout_reports_unconfirmed_files(srv, vi_client, dataset, tmp_path):
    srv.operations.delay = 60.0
    path = write(tmp_path, "slow.png", png(1, 100))
    result = upload_assets(vi_client, dataset, path, timeout=0.1, poll_interval=POLL)
    assert not result.ok and "did not confirm" in result.failed["slow.png"] and not result.confirmed
    quick = upload_assets(vi_client, dataset, path, wait=False)
    assert quick.succeeded == ["slow.png"] and not quick.confirmed


# -- annotations ---------------------------------------------------------------------------------


def test_annotation_upload_imports_and_server_checks_the_checksum(srv, vi_client, dataset, tmp_path):
    asset = vi_client.assets.list(dataset).items[0]
    line = {
        "assetId": asset.asset_id,
        "spec": {
            "tag": 0,
            "aggregation": {"whole": {"id": "g1"}, "thisPart": {"role": "Caption"}},
            "contents": {"kind": "Caption", "contents": "uploaded"},
        },
    }
    write(tmp_path, "ann/a.jsonl", (json.dumps(line) + "\n").encode())
    public = {  # the same asset in the public Vi JSONL format
        "id": 1,
        "asset": {"type": "Image", "filename": asset.filename, "width": 1, "height": 1},
        "contents": {"type": "PhraseGrounding", "caption": "public", "groundedPhrases": []},
    }
    write(tmp_path, "ann/sub/b.json", (json.dumps(public) + "\n").encode())
    write(tmp_path, "ann/readme.txt", b"ignored")
    srv.stats.reset()
    result = upload_annotations(vi_client, dataset, tmp_path / "ann", poll_interval=POLL)
    assert result.ok and sorted(result.succeeded) == ["a.jsonl", "b.json"] and result.session_id
    registered = [r for r in srv.stats.requests if r.path.endswith("/files")][0]
    files = json.loads(registered.body)["files"]
    assert set(files) == {"a.jsonl", "b.json"} and files["b.json"]["kind"] == "Unknown"
    puts = storage_puts(srv, "imports")
    assert len(puts) == 2 and all(
        "Authorization" not in p.headers and p.headers["Content-Length"] for p in puts
    )
    assert [c.status for c in result.session.status.conditions] == ["Reached", "Reached", "Reached"]
    texts = [
        a.spec.contents.contents
        for a in vi_client.annotations.list(dataset, asset.asset_id).items
        if getattr(a.spec.contents, "contents", None)
    ]
    assert "uploaded" in texts


def test_annotation_upload_failure_is_reported_and_session_marked_failed(srv, vi_client, dataset, tmp_path):
    path = write(tmp_path, "x.jsonl", b'{"a": 1}\n')
    srv.faults.add(method="PUT", path=r"^/_storage/imports/", status=403, times=None)
    result = upload_annotations(vi_client, dataset, path, poll_interval=POLL)
    assert not result.ok and "403" in result.failed["x.jsonl"]
    patch = [r for r in srv.stats.requests if r.path.endswith("/status") and r.method == "PATCH"][-1]
    condition = json.loads(patch.body)["status"]["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("FailedReach", "UserUploadErrored")
    with pytest.raises(ViUploadError):
        upload_annotations(vi_client, dataset, path, poll_interval=POLL, raise_on_failure=True)


def test_annotation_duplicate_basenames_refused_before_io(srv, vi_client, dataset, tmp_path):
    write(tmp_path, "one/a.json", b"{}")
    write(tmp_path, "two/a.json", b"{}")
    srv.stats.reset()
    with pytest.raises(ViValidationError) as caught:
        upload_annotations(vi_client, dataset, [tmp_path / "one", tmp_path / "two"])
    assert "'a.json'" in str(caught.value) and srv.stats.request_count == 0
