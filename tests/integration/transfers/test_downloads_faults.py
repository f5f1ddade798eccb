"""Storage faults during downloads, over real sockets: each ends in a correct file after a retry
or in a clear ViDownloadError, and never in a partial or corrupt file under its final name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List

import pytest

import vi
from tests.helpers.clients import quick_retry_client
from vi.testing import LocalViServer
from vi.transfers import downloads

BLOBS = "/_storage/blobs/"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalViServer]:
    with LocalViServer(datasets=1, assets_per_dataset=1, runs=1, operation_delay=0.02) as srv:
        yield srv


@pytest.fixture
def client(server: LocalViServer) -> Iterator[vi.Client]:
    yield from quick_retry_client(server)
    server.app.url_ttl_seconds = 3600


def _visible(root: Path) -> List[str]:
    """Files a user would see (hidden temporaries of a resumable download excluded)."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".vi-")
    )


def _blob(server: LocalViServer, name: str, size: int = 40000) -> "tuple[str, bytes]":
    data = os.urandom(size)
    return server.app.publish_blob(server.url, name, data), data


def _asset_dataset(client: vi.Client, server: LocalViServer, count: int = 3) -> str:
    ds = client.datasets.create("faults")
    composite = server.organization_id + "_" + str(ds.dataset_id).split("_")[-1]
    server.store.add_assets(server.organization_id, composite, count)
    return str(ds.dataset_id)


# -- ranged (exports, models, download_url) -------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"drop": True},  # connection closed before any response
        {"truncate": True},  # connection closed mid-body (half the part arrives)
        {"status": 500},
        {"status": 503, "retry_after": 0},
        {"ignore_range": True},  # 200 + whole object instead of 206
        {"corrupt": True},  # bytes flipped: caught by the MD5 of the whole file
    ],
    ids=["drop", "truncate", "500", "503", "200-not-206", "corrupt"],
)
def test_ranged_transient_fault_recovers(
    client: vi.Client, server: LocalViServer, tmp_path: Path, fault: dict
) -> None:
    url, data = _blob(server, "t.bin")
    rule = server.faults.add(method="GET", path=BLOBS, skip=1, times=1, **fault)
    outcome = downloads.download_url(client, url, tmp_path / "t.bin", part_size=8192, max_workers=3)
    assert rule.hits == 1
    assert outcome.status == "downloaded"
    assert (tmp_path / "t.bin").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["t.bin"]


@pytest.mark.parametrize(
    "fault, status, text",
    [
        ({"status": 500}, 500, "500"),
        ({"ignore_range": True}, 200, "instead of 206"),
        ({"truncate": True}, 206, "mid-body"),
        ({"corrupt": True}, None, "Checksum mismatch"),
    ],
    ids=["500", "200-not-206", "truncate", "corrupt"],
)
def test_ranged_persistent_fault_fails_cleanly(
    client: vi.Client, server: LocalViServer, tmp_path: Path, fault: dict, status: "int | None", text: str
) -> None:
    url, _ = _blob(server, "p.bin")
    server.faults.add(method="GET", path=BLOBS, times=None, **fault)
    with pytest.raises(vi.ViDownloadError) as caught:
        downloads.download_url(client, url, tmp_path / "p.bin", part_size=8192, max_workers=2)
    error = caught.value
    assert text in str(error)
    assert error.status_code == status
    assert error.attempts and error.attempts >= 2
    assert "X-Vi-Signature" not in str(error) and "blobs/p.bin" in str(error.path)
    assert _visible(tmp_path) == []  # nothing under the final name


def test_expired_signature(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    data = os.urandom(20000)
    expired = server.app.publish_blob(server.url, "e.bin", data, ttl_seconds=-5)
    with pytest.raises(vi.ViDownloadError) as caught:
        downloads.download_url(client, expired, tmp_path / "e.bin", part_size=4096)
    assert caught.value.status_code == 403 and "expired" in str(caught.value).lower()
    assert _visible(tmp_path) == []
    # with a way to re-sign, the same download succeeds
    fresh = lambda: server.app.publish_blob(server.url, "e.bin", data)  # noqa: E731
    downloads.download_url(client, expired, tmp_path / "e.bin", part_size=4096, refresh_url=fresh)
    assert (tmp_path / "e.bin").read_bytes() == data


# -- streamed (assets) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"drop": True}, {"truncate": True}, {"status": 500}, {"corrupt": True}],
    ids=["drop", "truncate", "500", "corrupt"],
)
def test_asset_transient_fault_recovers(
    client: vi.Client, server: LocalViServer, tmp_path: Path, fault: dict
) -> None:
    dataset_id = _asset_dataset(client, server)
    rule = server.faults.add(method="GET", path=r"/_storage/.*/bulk_", times=1, **fault)
    result = downloads.download_assets(client, dataset_id, tmp_path, max_workers=2, raise_on_failure=True)
    assert rule.hits == 1 and len(result.downloaded) == 3
    sizes = {a.filename: a.metadata.file_size for a in client.assets.list(dataset_id).all_items()}
    assert {p.name: p.stat().st_size for p in result.save_path.iterdir()} == sizes
    gets = [r for r in server.stats.requests if r.path.startswith("/_storage/") and r.method == "GET"]
    assert len(gets) == 4  # three files, one of them fetched twice


def test_asset_persistent_faults_reported_and_raised(
    client: vi.Client, server: LocalViServer, tmp_path: Path
) -> None:
    dataset_id = _asset_dataset(client, server)
    server.faults.add(method="GET", path=r"/_storage/.*/bulk_\d+2\.jpg", times=None, corrupt=True)
    result = downloads.download_assets(client, dataset_id, tmp_path)
    assert len(result.failed) == 1 and "Checksum mismatch" in next(iter(result.failed.values()))
    assert len(result.downloaded) == 2
    assert len(_visible(tmp_path)) == 2 and not any(
        p.name.startswith(".vi-") for p in result.save_path.iterdir()
    )
    with pytest.raises(vi.ViDownloadError) as caught:
        downloads.download_assets(client, dataset_id, tmp_path / "again", raise_on_failure=True)
    assert "1 of 3" in str(caught.value)


def test_asset_urls_expired_everywhere(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _asset_dataset(client, server, 2)
    server.app.url_ttl_seconds = -5  # every signed URL is born expired, re-signing included
    with pytest.raises(vi.ViDownloadError) as caught:
        downloads.download_assets(client, dataset_id, tmp_path, raise_on_failure=True)
    assert caught.value.status_code == 403
    assert _visible(tmp_path) == []


def test_asset_url_expired_then_resigned(client: vi.Client, server: LocalViServer, tmp_path: Path) -> None:
    dataset_id = _asset_dataset(client, server, 2)
    # the first storage read of each file is refused as expired; A2 re-signs it
    server.faults.add(
        method="GET",
        path=r"/_storage/.*/bulk_",
        status=403,
        times=2,
        body={"message": "Storage URL has expired"},
    )
    result = downloads.download_assets(client, dataset_id, tmp_path, max_workers=1, raise_on_failure=True)
    assert len(result.downloaded) == 2
    single_gets = [r for r in server.stats.requests if r.method == "GET" and "/assets/" in r.path]
    assert len(single_gets) == 2 and all("contents=y" in r.query for r in single_gets)


def test_a_cut_body_is_retried_with_the_clients_retry_policy(
    client: vi.Client, server: LocalViServer, tmp_path: Path
) -> None:
    """One backoff for everything: a part whose body is cut short waits the retry policy's
    delay (base_delay 0.01 here), through the client's way of sleeping, like a 5xx would."""
    sleeps: List[float] = []
    client._requester._sleep = sleeps.append
    url, data = _blob(server, "b.bin")
    server.faults.add(method="GET", path=BLOBS, skip=1, times=1, truncate=True)
    downloads.download_url(client, url, tmp_path / "b.bin", part_size=8192, max_workers=1)
    assert (tmp_path / "b.bin").read_bytes() == data
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.01
