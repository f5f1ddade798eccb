"""Asset download throughput: `vi`'s downloader against plain `requests`, same URLs, same run.

    python benchmarks/download_throughput.py                # 200 files of 1 MiB, 8 workers, 5 rounds
    python benchmarks/download_throughput.py --files 50 --rounds 3

A LocalViServer on 127.0.0.1 (real sockets, in its own process so the server's work does not
compete for this process's GIL) serves a dataset of N assets of SIZE bytes each.
Every round runs both, in alternating order, into fresh folders:

* **vi**: `vi.transfers.downloads.download_assets(client, dataset, dir, max_workers=W)` — the
  whole job: A1 listing with signed URLs, safe names, streamed GETs through the client's pool,
  MD5 verification, temp file + atomic rename;
* **requests**: one `requests.Session` with a pool of W connections, W threads, `GET` each of the
  same signed URLs (listed beforehand, not timed) and write the body to a file.

Printed: per-round times, medians, and the median of per-round throughput ratios vi/requests
(target ≥ 0.9).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

import vi  # noqa: E402
from vi.testing import LocalViServer  # noqa: E402
from vi.transfers.downloads import download_assets  # noqa: E402


def plain_requests(urls, folder: Path, workers: int) -> None:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=workers)
    session.mount("http://", adapter)

    def fetch(item):
        name, url = item
        response = session.get(url)
        response.raise_for_status()
        with open(folder / name, "wb") as handle:
            handle.write(response.content)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(fetch, urls))
    session.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(child, args.files, args.size), daemon=True)
    process.start()
    endpoint, secret, org, dataset_id = parent.recv()
    try:
        run(args, endpoint, secret, org, dataset_id)
    finally:
        parent.send("stop")
        process.join(10)


def serve(conn, files: int, size: int) -> None:
    with LocalViServer(datasets=1, assets_per_dataset=1, runs=0) as server:
        client = vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        )
        ds = client.datasets.create("throughput")
        client.close()
        composite = server.organization_id + "_" + str(ds.dataset_id).split("_")[-1]
        server.store.add_assets(server.organization_id, composite, files)
        with server.store._lock:
            for asset in server.store._dataset(server.organization_id, composite).assets.values():
                asset.file_size = size
        conn.send((server.url, server.secret_key, server.organization_id, str(ds.dataset_id)))
        conn.recv()


def run(args, endpoint: str, secret: str, org: str, dataset_id: str) -> None:
    client = vi.Client(secret_key=secret, organization_id=org, endpoint=endpoint)
    if True:
        urls = [
            (a.filename, a.contents.asset.url)
            for a in client.assets.list(dataset_id, contents=True, page_size=1000).all_items()
        ]
        assert len(urls) == args.files
        total_mib = args.files * args.size / 2**20
        scratch = Path(tempfile.mkdtemp(prefix="vi-dl-bench-"))
        ours, theirs, ratios = [], [], []
        try:
            for number in range(args.rounds):
                times = {}
                order = ("vi", "requests") if number % 2 == 0 else ("requests", "vi")
                for who in order:
                    folder = scratch / ("%s-%d" % (who, number))
                    folder.mkdir()
                    start = time.perf_counter()
                    if who == "vi":
                        result = download_assets(client, dataset_id, folder, max_workers=args.workers)
                        assert len(result.downloaded) == args.files, result.summary()
                    else:
                        plain_requests(urls, folder, args.workers)
                    times[who] = time.perf_counter() - start
                    shutil.rmtree(folder)
                ours.append(times["vi"])
                theirs.append(times["requests"])
                ratios.append(times["requests"] / times["vi"])
                print(
                    "round %d: vi %.3fs (%.0f MiB/s)   requests %.3fs (%.0f MiB/s)   ratio %.2f"
                    % (
                        number + 1,
                        times["vi"],
                        total_mib / times["vi"],
                        times["requests"],
                        total_mib / times["requests"],
                        ratios[-1],
                    ),
                    flush=True,
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            client.close()
        ratio = statistics.median(ratios)
        print(
            "\n%d files x %d bytes, %d workers, %d rounds"
            % (args.files, args.size, args.workers, args.rounds)
        )
        print(
            "median vi       %.3fs  %.0f MiB/s"
            % (statistics.median(ours), total_mib / statistics.median(ours))
        )
        print(
            "median requests %.3fs  %.0f MiB/s"
            % (statistics.median(theirs), total_mib / statistics.median(theirs))
        )
        print(
            "throughput ratio vi/requests (median of per-round ratios): %.2fx  [target >= 0.90: %s]"
            % (ratio, "PASS" if ratio >= 0.9 else "FAIL")
        )


if __name__ == "__main__":
    main()
