"""Peak memory of ``datature-vi assets list`` for 100 000 assets against 1 000 in the same run.

    python benchmarks/cli_listing_memory.py                  # 1 000 vs 100 000 assets
    python benchmarks/cli_listing_memory.py --large 20000    # scaled down

The command line streams a listing page by page, so its peak RSS should not grow with the
number of assets: the target is a ratio below 1.25 (same command, same page size, 100 times the
assets). Each listing runs in a fresh interpreter writing JSON Lines to /dev/null; the local
server runs in this process, so its memory is not mixed into the figure. The child reports its
own ``VmHWM`` (peak RSS of its address space) rather than ``ru_maxrss``: Linux carries
``ru_maxrss`` across ``exec``, so a child spawned from this large server process would report the
server's size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vi.testing import LocalViServer  # noqa: E402

TARGET_RATIO = 1.25
CHILD = """
import sys
from vi.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
with open("/proc/self/status") as status:
    peak = [line.split()[1] for line in status if line.startswith("VmHWM:")][0]
sys.stderr.write("peak_kib=%s\\n" % peak)
sys.exit(code)
"""


def measure(server: LocalViServer, dataset_id: str) -> "tuple[float, float]":
    env = dict(os.environ, PYTHONPATH=str(REPO), **server.environment())
    started = time.monotonic()
    with open(os.devnull, "w") as sink:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, "assets", "list", dataset_id, "--page-size", "1000", "-o", "jsonl"],
            env=env,
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    elapsed = time.monotonic() - started
    peak = [line for line in done.stderr.splitlines() if line.startswith("peak_kib=")][-1]
    return int(peak.split("=")[1]) / 1024.0, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    with LocalViServer(seed=False) as server:
        with __import__("vi").Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            small = client.datasets.create("small").dataset_id
            large = client.datasets.create("large").dataset_id
        composite = server.organization_id + "_%s"
        server.store.add_assets(server.organization_id, composite % small, args.small)
        server.store.add_assets(server.organization_id, composite % large, args.large)
        small_mib, small_s = measure(server, small)
        large_mib, large_s = measure(server, large)
    ratio = large_mib / small_mib
    print("assets list, --page-size 1000, jsonl to /dev/null")
    print("  %7d assets: peak RSS %6.1f MiB, %6.1f s" % (args.small, small_mib, small_s))
    print("  %7d assets: peak RSS %6.1f MiB, %6.1f s" % (args.large, large_mib, large_s))
    print(
        "  peak RSS ratio %.2f (target < %.2f): %s"
        % (ratio, TARGET_RATIO, "met" if ratio < TARGET_RATIO else "MISSED")
    )
    return 0 if ratio < TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
