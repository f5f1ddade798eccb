"""Download-and-transform throughput on Dask (1 and 2 worker processes) against one process with a
thread pool, at 20 ms of latency per request, in the same run.

    python benchmarks/dask_throughput.py                    # 1000 files of 64 KiB, 3 rounds
    python benchmarks/dask_throughput.py --files 400 --rounds 2 --latency 0.02

A LocalViServer runs in its own process (real sockets on 127.0.0.1) with ``faults.latency`` set,
so every API and storage request waits that long before it is served. The job is the same in
every mode: ``vi.integrations.etl.run_partition`` over partitions of 100 assets (listing with
signed URLs, ``download_url`` of each file, then a transform in pure Python that holds the GIL,
about as much CPU per byte as a simple image filter). Modes:

* **threads**: one process, ``--threads`` partitions at once, each with ``--downloads`` threads;
* **dask-1**: a LocalCluster with 1 worker process of ``--threads`` threads (same concurrency);
* **dask-2**: 2 worker processes of ``--threads`` threads each (twice the concurrency).

Every round runs the three modes in rotating order into fresh folders. Printed: files/s per mode
and round, medians, the medians of per-round ratios against **threads**, the CPU seconds the
server process and the workers used per mode (where the limit is), and the planning walk's share
of the job. "Cores busy" is CPU seconds per wall-clock second: a server near 1.0 is the limit (it
serves from one Python process), job processes near their count are CPU-bound. Clusters are started before the rounds and not timed.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import distributed  # noqa: E402
import psutil  # noqa: E402

import vi  # noqa: E402
from vi.integrations.etl import EtlJob, run_partition, summarize  # noqa: E402
from vi.integrations.partitions import plan_asset_partitions  # noqa: E402
from vi.testing import LocalViServer  # noqa: E402


def transform(source: Path, target: Path, record: dict) -> None:
    """CPU work in pure Python (the GIL is held throughout)."""
    data = source.read_bytes()
    target.write_bytes(bytes(255 - b for b in data))


def serve(conn, files: int, size: int, latency: float) -> None:
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
        server.faults.latency = latency
        conn.send((server.url, server.secret_key, server.organization_id, str(ds.dataset_id), os.getpid()))
        conn.recv()


def run_threads(job: EtlJob, partitions, threads: int):
    with ThreadPoolExecutor(threads) as pool:
        return [r for part in pool.map(lambda p: run_partition(job, p), partitions) for r in part]


def run_dask(dask_client, job: EtlJob, partitions):
    futures = dask_client.map(run_partition, [job] * len(partitions), partitions, pure=False)
    return [r for part in dask_client.gather(futures) for r in part]


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--threads", type=int, default=4, help="partitions at once per process")
    parser.add_argument("--downloads", type=int, default=4, help="download threads per partition")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(child, args.files, args.size, args.latency), daemon=True
    )
    server.start()
    endpoint, secret, org, dataset_id, server_pid = parent.recv()
    os.environ["DATATURE_VI_SECRET_KEY"] = secret  # the workers' environment (never the graph)
    scratch = Path(tempfile.mkdtemp(prefix="vi-dask-bench-"))
    clusters = {}
    try:
        client = vi.Client(organization_id=org, endpoint=endpoint, max_connections=64)
        for name, workers in (("dask-1", 1), ("dask-2", 2)):
            cluster = distributed.LocalCluster(
                silence_logs=logging.ERROR,
                n_workers=workers,
                threads_per_worker=args.threads,
                processes=True,
                dashboard_address=None,
                env={"DATATURE_VI_SECRET_KEY": secret},
            )
            clusters[name] = (cluster, distributed.Client(cluster, set_as_default=False))
        modes = ["threads", "dask-1", "dask-2"]
        rates = {m: [] for m in modes}
        cpu = {m: [] for m in modes}
        walks = []
        for number in range(args.rounds):
            order = modes[number % 3 :] + modes[: number % 3]
            for mode in order:
                work = scratch / ("%s-%d" % (mode, number))
                job = EtlJob(
                    client, dataset_id, work_dir=work, transform=transform, download_workers=args.downloads
                )
                start = time.perf_counter()
                partitions = plan_asset_partitions(
                    client, dataset_id, page_size=args.page_size, contents=True
                )
                walk = time.perf_counter() - start
                if mode == "threads":
                    pids = [os.getpid()]
                else:
                    dask_client = clusters[mode][1]
                    pids = list(dask_client.run(os.getpid).values())
                before = (cpu_seconds([server_pid]), cpu_seconds(pids))
                if mode == "threads":
                    records = run_threads(job, partitions, args.threads)
                else:
                    records = run_dask(dask_client, job, partitions)
                elapsed = time.perf_counter() - start
                used = (cpu_seconds([server_pid]) - before[0], cpu_seconds(pids) - before[1])
                summary = summarize(records)
                assert summary.succeeded == args.files, summary.summary()
                rates[mode].append(args.files / elapsed)
                cpu[mode].append((used[0] / elapsed, used[1] / elapsed))
                walks.append(walk / elapsed)
                shutil.rmtree(work)
                print(
                    "round %d %-8s %7.1f files/s  (%.2fs, walk %.2fs)"
                    % (number + 1, mode, args.files / elapsed, elapsed, walk),
                    flush=True,
                )
        print()
        print(
            "%d files of %d KiB, %.0f ms latency per request, %d round(s)"
            % (args.files, args.size // 1024, args.latency * 1000, args.rounds)
        )
        for mode in modes:
            print("%-8s median %7.1f files/s" % (mode, statistics.median(rates[mode])))
        for mode in ("dask-1", "dask-2"):
            ratio = statistics.median(a / b for a, b in zip(rates[mode], rates["threads"]))
            print("ratio %s / threads: %.2f" % (mode, ratio))
        print(
            "ratio dask-2 / dask-1: %.2f"
            % statistics.median(a / b for a, b in zip(rates["dask-2"], rates["dask-1"]))
        )
        print("planning walk: median %.1f%% of the job's time" % (100 * statistics.median(walks)))
        for mode in modes:
            print(
                "%-8s cores busy: server %.2f, job processes %.2f"
                % (
                    mode,
                    statistics.median(c[0] for c in cpu[mode]),
                    statistics.median(c[1] for c in cpu[mode]),
                )
            )
    finally:
        for cluster, dask_client in clusters.values():
            dask_client.close()
            cluster.close()
        parent.send("stop")
        server.join(10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
