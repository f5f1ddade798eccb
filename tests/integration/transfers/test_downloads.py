"""Downloads against LocalViServer over real sockets: assets (every page), ranged exports and
models, resume, skipping identical files, credentials never sent to storage, progress totals."""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Iterator, List

import pytest

import vi
from tests.helpers.clients import quick_retry_client
from vi.errors import ViValidationError
from vi.testing import LocalViServer
from vi.transfers import downloads
from vi.transfers.files import temp_path_for
from vi.transfers.progress import ProgressEvent


@pytest.fixture(scope="module")
def server() -> Iterator[LocalViServer]:
    with LocalViServer(datasets=2, assets_per_dataset=3, runs=1, operation_delay=0.02) as srv:
        yield srv


@pytest.fixture
def client(server: LocalViServer) -> Iterator[vi.Client]:
    yield from quick_retry_client(server)


def _dataset(client: vi.Client, name: str, assets: int = 0, server: "LocalViServer | None" = None) -> str:
    ds = client.datasets.create(name)
    if assets and server is not None:
        server.store.add_assets(server.organization_id, _composite(server, str(ds.dataset_id)), assets)
    return str(ds.dataset_id)


def _composite(server: LocalViServer, dataset_id: str) -> str:
    prefix = server.organization_id + "_"
    return dataset_id if dataset_id.startswith(prefix) else prefix + dataset_id


def _storage_requests(server: LocalViServer) -> List:
    return [r for r in server.stats.requests if r.path.startswith("/_storage/")]


def _listing(root: Path) -> List[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_assets_every_page_downloaded_and_verified(
    client: vi.Client, server: LocalViServer, tmp_path: Path
) -> None:
    dataset_id = _dataset(client, "pages", 23, server)
    events: List[ProgressEvent] = []
    result = downloads.download_assets(
        client, dataset_id, tmp_path, page_size=5, max_workers=4, progress=events.append
    )
    assert result.count == 23 and result.is_complete
    assert len(result.downloaded) == 23
    asset_gets = [r for r in server.stats.requests if r.path.endswith("/assets") and r.method == "GET"]
    assert len(asset_gets) == 5  # 23 assets in pages of 5
    files = _listing(result.save_path)
    assert len(files) == 23 and not any(".vi-" in f for f in files)
    # each file has the bytes storage serves (the server's MD5 ETag)
    for asset in client.assets.list(dataset_id, page_size=100).all_items():
        data = (result.save_path / asset.filename).read_bytes()
        assert len(data) == asset.metadata.file_size
    # progress totals: every file, every byte
    last = events[-1]
    assert last.files_done == 23 and last.total_files == 23
    assert last.bytes_done == sum(p.stat().st_size for p in result.save_path.iterdir())
    assert last.total_bytes == last.bytes_done


def test_no_credentials_on_storage_requests(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _dataset(client, "creds", 3, server)
    downloads.download_assets(client, dataset_id, tmp_path)
    storage = _storage_requests(server)
    assert storage
    for record in storage:
        assert "Authorization" not in record.headers
        assert "Organization-Id" not in record.headers


def test_identical_files_are_skipped(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _dataset(client, "skip", 4, server)
    downloads.download_assets(client, dataset_id, tmp_path)
    server.stats.reset()
    again = downloads.download_assets(client, dataset_id, tmp_path)
    assert len(again.skipped) == 4 and not again.downloaded
    assert all(r.method == "HEAD" for r in _storage_requests(server))  # checked, not re-fetched
    # a changed file is not identical: replaced only with overwrite=True
    victim = sorted(again.save_path.iterdir())[0]
    victim.write_bytes(b"changed")
    kept = downloads.download_assets(client, dataset_id, tmp_path)
    assert victim.read_bytes() == b"changed" and victim in kept.skipped
    replaced = downloads.download_assets(client, dataset_id, tmp_path, overwrite=True)
    assert replaced.downloaded == [victim] and victim.read_bytes() != b"changed"


def test_colliding_names_both_survive(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _dataset(client, "collide", 2, server)
    store = server.store
    with store._lock:
        ds = store._dataset(server.organization_id, _composite(server, dataset_id))
        first, second = list(ds.assets.values())
        first.filename, second.filename = "../same.jpg", "SAME.jpg"
        first.data, second.data = b"one", b"two"
    result = downloads.download_assets(client, dataset_id, tmp_path)
    names = sorted(p.name for p in result.save_path.iterdir())
    assert names == sorted(["same.jpg", "SAME (%s).jpg" % second.asset_id])
    assert (result.save_path / "same.jpg").read_bytes() == b"one"
    assert _listing(tmp_path) == sorted("%s/%s" % (result.save_path.name, n) for n in names)


def test_ranged_multi_part_export(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _dataset(client, "export", 12, server)
    result = downloads.download_dataset(
        client,
        dataset_id,
        save_dir=tmp_path,
        poll_interval=0.02,
        timeout=10,
        export_settings={"format": "ViFull", "options": {"split_ratio": 0.5}},
        part_size=512,
        max_workers=4,
    )
    assert result.splits == ["training", "validation"]
    assert result.asset_count == {"training": 6, "validation": 6}
    assert result.annotation_count == {"training": 6, "validation": 6}  # one file per image
    assert "training" in result.summary()
    ranged = [r for r in _storage_requests(server) if r.method == "GET"]
    assert len(ranged) > 3 and all(r.headers.get("Range", "").startswith("bytes=") for r in ranged)
    assert server.stats.max_requests_in_flight >= 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".vi-")]  # archive removed
    # existing, non-empty target: returned without creating another export
    creates = server.stats.creates["export"]
    again = downloads.download_dataset(client, dataset_id, save_dir=tmp_path)
    assert again.downloaded is False and server.stats.creates["export"] == creates


def test_annotations_only_and_format_table(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _dataset(client, "ann", 3, server)
    creates = server.stats.creates["export"]
    with pytest.raises(ViValidationError):
        downloads.download_dataset(client, dataset_id, save_dir=tmp_path, export_settings={"format": "Coco"})
    with pytest.raises(ViValidationError):
        downloads.download_dataset(
            client, dataset_id, save_dir=tmp_path, annotations_only=True, export_settings={"format": "ViFull"}
        )
    assert server.stats.creates["export"] == creates  # validated before any export was created
    result = downloads.download_annotations(client, dataset_id, save_dir=tmp_path, poll_interval=0.02)
    assert result.splits == ["dump"] and result.annotation_count == {"dump": 1}
    assert result.asset_count == {"dump": 0}


def test_model_download_and_layout(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    run_id = client.runs.list().items[0].run_id
    result = downloads.download_model(client, run_id, save_dir=tmp_path, part_size=256)
    assert result.has_config and (result.model_path / "model.safetensors").is_file()
    assert result.file_list == ["model_full/model.safetensors", "model_full/run.json"]
    # a partial folder (§16.39) is downloaded again rather than raised on
    (result.model_path / "run.json").unlink()
    again = downloads.download_model(client, run_id, save_dir=tmp_path)
    assert again.downloaded and again.has_config
    cached = downloads.download_model(client, run_id, save_dir=tmp_path)
    assert cached.downloaded is False


def test_resume_fetches_only_missing_ranges(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    data = os.urandom(64 * 1024)
    url = server.app.publish_blob(server.url, "resume.bin", data)
    target = tmp_path / "resume.bin"
    # the fourth part is refused (403, not retryable): the download stops after three parts
    server.faults.add(method="GET", path="/_storage/blobs/", status=403, skip=3)
    with pytest.raises(vi.ViDownloadError) as caught:
        downloads.download_url(client, url, target, part_size=8192, max_workers=1)
    assert caught.value.status_code == 403 and "X-Vi-Signature" not in str(caught.value)
    assert not target.exists()
    assert temp_path_for(target).exists()
    server.stats.reset()
    fresh = server.app.publish_blob(server.url, "resume.bin", data)  # a new signature, same object
    downloads.download_url(client, fresh, target, part_size=8192, max_workers=2)
    assert target.read_bytes() == data
    ranges = sorted(r.headers["Range"] for r in _storage_requests(server) if r.method == "GET")
    assert ranges == sorted("bytes=%d-%d" % (s, s + 8191) for s in range(3 * 8192, 64 * 1024, 8192))
    assert [p.name for p in tmp_path.iterdir()] == ["resume.bin"]


def test_changed_object_is_not_resumed(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    url = server.app.publish_blob(server.url, "changing.bin", b"a" * 40000)
    target = tmp_path / "changing.bin"
    server.faults.add(method="GET", path="/_storage/blobs/", status=403, skip=2)
    with pytest.raises(vi.ViDownloadError):
        downloads.download_url(client, url, target, part_size=8192, max_workers=1)
    new = os.urandom(40000)
    url = server.app.publish_blob(server.url, "changing.bin", new)  # different ETag
    downloads.download_url(client, url, target, part_size=8192)
    assert target.read_bytes() == new


def test_download_url_skips_identical_file(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    data = os.urandom(20000)
    url = server.app.publish_blob(server.url, "same.bin", data)
    target = tmp_path / "same.bin"
    target.write_bytes(data)
    server.stats.reset()
    outcome = downloads.download_url(client, url, target, part_size=4096)
    assert outcome.status == "skipped"
    assert [r.method for r in _storage_requests(server)] == ["HEAD"]


def test_safe_extraction_of_hostile_archives(tmp_path: Path) -> None:
    bundle = tmp_path / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("../../escape.txt", b"x")
        archive.writestr("/abs/path.txt", b"y")
        archive.writestr("C:\\win\\name.txt", b"z")
        archive.writestr("dump/%2e%2e/%2e%2e/enc.txt", b"w")
        archive.writestr("dump/ok.txt", b"ok")
    out = tmp_path / "out"
    written = downloads.extract_archive(bundle, out)
    assert sorted(written) == ["abs/path.txt", "dump/enc.txt", "dump/ok.txt", "escape.txt", "win/name.txt"]
    assert _listing(tmp_path) == sorted(["evil.zip"] + ["out/" + w for w in written])
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as archive:
        link = tarfile.TarInfo("model_full/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        info = tarfile.TarInfo("../model_full/run.json")
        payload = b"{}"
        info.size = len(payload)
        import io

        archive.addfile(info, io.BytesIO(payload))
    out2 = tmp_path / "out2"
    assert downloads.extract_archive(tar_path, out2) == ["model_full/run.json"]
    assert not (out2 / "model_full" / "link").exists()


def test_md5_verification_uses_storage_hash(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    data = b"hello world" * 1000
    url = server.app.publish_blob(server.url, "hash.bin", data)
    outcome = downloads.download_url(client, url, tmp_path / "hash.bin", part_size=1000)
    assert outcome.status == "downloaded"
    assert hashlib.md5((tmp_path / "hash.bin").read_bytes()).digest() == hashlib.md5(data).digest()
