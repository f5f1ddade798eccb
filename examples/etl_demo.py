"""The main job: a small ETL against an embedded local Vi server.

It lists the datasets of the demo organization, walks every dataset's assets from a thread pool
that shares one client (one connection pool), prints a summary, and closes cleanly. Point it at
a real organization by setting DATATURE_VI_SECRET_KEY, DATATURE_VI_ORGANIZATION_ID (and
optionally DATATURE_VI_API_ENDPOINT) and passing --real.
"""

import argparse
import collections
import concurrent.futures
import contextlib
import sys
import time

import vi
from vi.testing import LocalViServer


def summarize(client: vi.Client, dataset_id: str) -> dict:
    """One worker's share: every asset page of one dataset, through the shared client."""
    counts = collections.Counter()
    size = 0
    pages = 0
    for page in client.assets.list(dataset_id, pagination={"page_size": 5}):
        pages += 1
        for asset in page.items:
            counts[asset.metadata.mime_type] += 1
            size += asset.metadata.file_size
    return {
        "dataset_id": dataset_id,
        "assets": sum(counts.values()),
        "bytes": size,
        "pages": pages,
        "types": counts,
    }


def run(client: vi.Client, workers: int) -> int:
    started = time.monotonic()
    org = client.organizations.get()
    datasets = list(client.datasets.list(pagination={"page_size": 10}).all_items())
    print("Organization %s: %d datasets" % (org.name, len(datasets)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(lambda d: summarize(client, d.dataset_id), datasets))
    names = {d.dataset_id: d.name for d in datasets}
    print("%-12s %-34s %7s %6s %12s" % ("dataset", "name", "assets", "pages", "bytes"))
    for row in rows:
        print(
            "%-12s %-34s %7d %6d %12d"
            % (row["dataset_id"], names[row["dataset_id"]][:34], row["assets"], row["pages"], row["bytes"])
        )
    total = sum(r["assets"] for r in rows)
    types = collections.Counter()
    for row in rows:
        types.update(row["types"])
    print(
        "Total: %d assets in %d datasets (%s) in %.2fs with %d threads sharing one client"
        % (
            total,
            len(rows),
            ", ".join("%s: %d" % kv for kv in sorted(types.items())),
            time.monotonic() - started,
            workers,
        )
    )
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--real", action="store_true", help="use the credentials in the environment")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.real:
            client = stack.enter_context(vi.Client(max_connections=args.workers))
        else:
            server = stack.enter_context(LocalViServer())
            print("Local Vi server on %s" % server.url)
            client = stack.enter_context(
                vi.Client(
                    secret_key=server.secret_key,
                    organization_id=server.organization_id,
                    endpoint=server.url,
                    max_connections=args.workers,
                    max_keepalive_connections=args.workers,
                )
            )
        total = run(client, args.workers)
    print("Client closed: %s" % client.is_closed)
    if not args.real:
        print(
            "Server saw %d TCP connections for %d requests"
            % (server.stats.connections_opened, server.stats.request_count)
        )
    return 0 if total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
