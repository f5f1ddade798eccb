"""Walking a whole listing at the default page size, against the page size the default used to be.

``client.assets.list(ds).all_items()`` with no ``page_size`` used to walk in pages of 10; now the
pages after the first are as large as the API allows (and ``for a in client.assets(ds)`` /
iterating a resource starts there). With 20 ms between client and service the walk is bound by
round trips, so the ratio of the two is about the ratio of their page counts.

One ``LocalViServer`` over real sockets with 20 ms added to every request, one dataset of
``--assets`` assets, rounds interleaved (before, default, explicit largest page) so drift hits
all three alike. Prints the median seconds of each and the ratios against "before" in this run.

    python benchmarks/walk_page_size.py            # 2,000 assets, 3 rounds
    python benchmarks/walk_page_size.py --assets 5000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import vi  # noqa: E402
from vi.pagination import MAX_PAGE_SIZE  # noqa: E402
from vi.testing import LocalViServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    args = parser.parse_args()

    with LocalViServer(datasets=1, assets_per_dataset=0, runs=0) as server:
        client = vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        )
        dataset_id = client.datasets.list().items[0].dataset_id
        server.store.add_assets(server.organization_id, dataset_id, args.assets)
        server.faults.latency = args.latency
        walks = {
            "before (page_size=10)": lambda: client.assets.list(dataset_id, page_size=10).all_items(),
            "default (no page_size)": lambda: client.assets.list(dataset_id).all_items(),
            "page_size=%d" % MAX_PAGE_SIZE: lambda: client.assets.list(
                dataset_id, page_size=MAX_PAGE_SIZE
            ).all_items(),
        }
        seconds = {name: [] for name in walks}
        requests = {}
        for _ in range(args.rounds):
            for name, walk in walks.items():
                before = len(server.stats.requests)
                started = time.perf_counter()
                count = sum(1 for _ in walk())
                seconds[name].append(time.perf_counter() - started)
                requests[name] = len(server.stats.requests) - before
                assert count == args.assets, (name, count)
        client.close()

    base = statistics.median(seconds["before (page_size=10)"])
    print(
        "walk of %d assets, %g ms latency, median of %d rounds"
        % (args.assets, args.latency * 1000, args.rounds)
    )
    print("%-26s %9s %9s %12s" % ("walk", "seconds", "requests", "vs before"))
    for name, values in seconds.items():
        median = statistics.median(values)
        print("%-26s %9.3f %9d %11.3fx" % (name, median, requests[name], median / base))


if __name__ == "__main__":
    main()
