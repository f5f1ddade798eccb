"""Peak memory of a large ranged download: a 2 GiB file must raise peak RSS by < 64 MiB.

    python benchmarks/download_memory.py                 # 2 GiB
    python benchmarks/download_memory.py --size 512M     # scaled down

The object is a sparse file on disk (no 2 GiB of disk or memory needed to create it), published
on a LocalViServer running in a child process, which streams each requested range from the file
in 1 MiB pieces. This process downloads it with `vi.transfers.downloads.download_url` (HEAD,
parallel `Range` parts written at their offsets, MD5 verified, atomic rename), after a small
baseline download (8 MiB) through the same code, and reports peak RSS (`ru_maxrss`) growth of
the large download over the baseline, plus the ratio of the two peaks.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vi  # noqa: E402
from vi.testing import LocalViServer  # noqa: E402
from vi.transfers.downloads import download_url  # noqa: E402

MiB = 1024 * 1024


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    text = text.strip().upper().rstrip("IB").rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def peak_rss() -> int:
    """Peak resident set size of this process, in bytes (Linux reports KiB, macOS bytes)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def serve(conn, big: str, small: str) -> None:
    with LocalViServer(datasets=0, runs=0) as server:
        urls = (
            server.app.publish_blob(server.url, "small.bin", small),
            server.app.publish_blob(server.url, "big.bin", big),
        )
        conn.send((server.url, server.secret_key, server.organization_id) + urls)
        conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="2G", help="size of the large file (e.g. 2G, 512M)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--part-size", default="8M")
    args = parser.parse_args()
    size, part = parse_size(args.size), parse_size(args.part_size)

    work = Path(tempfile.mkdtemp(prefix="vi-mem-bench-"))
    big, small = work / "source-big.bin", work / "source-small.bin"
    with open(big, "wb") as handle:  # sparse: a hole, then a few real bytes at the end
        handle.truncate(size - 4096)
        handle.seek(size - 4096)
        handle.write(os.urandom(4096))
    small.write_bytes(os.urandom(8 * MiB))
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(child, str(big), str(small)), daemon=True)
    process.start()
    endpoint, secret, org, small_url, big_url = parent.recv()
    client = vi.Client(secret_key=secret, organization_id=org, endpoint=endpoint)
    try:
        start_rss = peak_rss()
        download_url(client, small_url, work / "small.bin", part_size=part, max_workers=args.workers)
        baseline = peak_rss()
        started = time.perf_counter()
        outcome = download_url(client, big_url, work / "big.bin", part_size=part, max_workers=args.workers)
        elapsed = time.perf_counter() - started
        after = peak_rss()
        assert outcome.status == "downloaded" and os.path.getsize(work / "big.bin") == size
    finally:
        client.close()
        parent.send("stop")
        process.join(10)
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    growth = after - baseline
    print(
        "file %.0f MiB, parts of %.0f MiB, %d workers: %.1fs (%.0f MiB/s incl. HEAD, MD5 on both ends)"
        % (size / MiB, part / MiB, args.workers, elapsed, size / MiB / elapsed)
    )
    print(
        "peak RSS: start %.1f MiB, after 8 MiB baseline %.1f MiB, after large download %.1f MiB"
        % (start_rss / MiB, baseline / MiB, after / MiB)
    )
    print(
        "peak RSS growth over baseline: %.1f MiB  [target < 64 MiB: %s]; peak ratio large/baseline %.2fx"
        % (growth / MiB, "PASS" if growth < 64 * MiB else "FAIL", after / baseline)
    )


if __name__ == "__main__":
    main()
