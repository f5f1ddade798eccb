"""Peak memory of uploading one large file: the target is < 64 MiB of RSS growth for 2 GiB.

    python benchmarks/upload_memory.py                 # 2 GiB (sparse file in a temp dir)
    python benchmarks/upload_memory.py --size 256M     # scaled down

Each upload runs in a fresh interpreter (``--worker``) against a LocalViServer in another
process, so neither side's memory is mixed into the other's figure. The worker records its peak
RSS (``ru_maxrss``) after importing, connecting and one API call, uploads the file with
``vi.transfers.uploads.upload_assets`` (waiting for the server to confirm it), and records the
peak again: the difference is the growth caused by the upload. The same is measured for a
1 MiB file in the same run; the report gives both, their ratio, and the server's own peak RSS
for each upload (each file goes to a fresh server process): the server keeps every upload,
spooling large ones to its temporary folder, so its peak should not grow with the file either.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIMIT_MIB = 64.0


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().rstrip("IB").rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / (1024.0 * 1024.0)


def server_main(ready_path: str) -> None:
    """Child process: a LocalViServer until stdin closes; then print its peak RSS."""
    sys.path.insert(0, str(REPO))
    from vi.testing import LocalViServer

    with LocalViServer(operation_delay=0.0, datasets=1, assets_per_dataset=1, runs=0) as server:
        with open(ready_path + ".tmp", "w") as handle:
            json.dump({"url": server.url, "key": server.secret_key, "org": server.organization_id}, handle)
        os.replace(ready_path + ".tmp", ready_path)
        sys.stdin.read()
    print(json.dumps({"server_peak_mib": peak_rss_mib()}), flush=True)


def worker_main(info_path: str, file_path: str) -> None:
    """Child process: upload one file, print the RSS growth it caused."""
    sys.path.insert(0, str(REPO))
    import vi
    from vi.transfers.uploads import upload_assets

    with open(info_path) as handle:
        info = json.load(handle)
    with vi.Client(secret_key=info["key"], organization_id=info["org"], endpoint=info["url"]) as client:
        dataset_id = client.datasets.list().items[0].dataset_id
        before = peak_rss_mib()
        started = time.perf_counter()
        result = upload_assets(client, dataset_id, file_path, poll_interval=0.2, raise_on_failure=True)
        elapsed = time.perf_counter() - started
        after = peak_rss_mib()
    size = os.path.getsize(file_path)
    print(
        json.dumps(
            {
                "size": size,
                "before_mib": before,
                "after_mib": after,
                "growth_mib": after - before,
                "seconds": elapsed,
                "mib_per_s": size / 1048576.0 / elapsed if elapsed else 0.0,
                "ok": result.ok,
            }
        ),
        flush=True,
    )


def measure(info_path: str, file_path: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", info_path, file_path],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_file(folder: str, name: str, size: int) -> str:
    """A sparse file of ``size`` bytes (zeros after a real PNG header, which the server reads for
    the dimensions; costs no disk)."""
    sys.path.insert(0, str(REPO))
    from vi.testing.pictures import png_bytes

    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(png_bytes(64, 48, (0, 0, 0))[:33])  # signature + IHDR
        handle.truncate(size)
    return path


def serve_and_measure(folder: str, tag: str, file_path: str) -> tuple:
    """Upload one file to a fresh server process; (worker figures, server peak RSS in MiB)."""
    info = os.path.join(folder, tag + "-server.json")
    server = subprocess.Popen(
        [sys.executable, __file__, "--server", info],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 30
        while not os.path.exists(info):
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the local server did not start")
            time.sleep(0.05)
        figures = measure(info, file_path)
    finally:
        out, _ = server.communicate("", timeout=120)
    peak = json.loads(out.strip().splitlines()[-1])["server_peak_mib"] if out.strip() else float("nan")
    return figures, peak


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="2G", help="size of the large file (default 2G; e.g. 256M)")
    parser.add_argument("--baseline", default="1M", help="size of the baseline upload (default 1M)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(*args.worker)
        return 0
    if args.server:
        server_main(args.server)
        return 0
    size, baseline_size = parse_size(args.size), parse_size(args.baseline)
    with tempfile.TemporaryDirectory(prefix="vi-upload-bench-") as folder:
        small, small_server = serve_and_measure(
            folder, "baseline", make_file(folder, "baseline.png", baseline_size)
        )
        large, server_peak = serve_and_measure(folder, "large", make_file(folder, "large.png", size))
    ratio = large["growth_mib"] / max(small["growth_mib"], 1.0)
    verdict = "PASS" if large["growth_mib"] < LIMIT_MIB else "MISS"
    print(
        "upload of %s: peak RSS +%.1f MiB (%.0f MiB/s)" % (args.size, large["growth_mib"], large["mib_per_s"])
    )
    print("upload of %s (baseline): peak RSS +%.1f MiB" % (args.baseline, small["growth_mib"]))
    print("ratio large/baseline growth: %.2fx (baseline floor 1 MiB)" % ratio)
    print(
        "server process peak RSS: %.1f MiB (large) vs %.1f MiB (baseline): %.2fx"
        % (server_peak, small_server, server_peak / small_server)
    )
    print("target: growth < %.0f MiB -> %s" % (LIMIT_MIB, verdict))
    print(
        json.dumps(
            {
                "size": size,
                "large": large,
                "baseline": small,
                "ratio": ratio,
                "server_peak_mib": server_peak,
                "server_baseline_peak_mib": small_server,
                "server_peak_ratio": server_peak / small_server,
                "verdict": verdict,
            }
        )
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
