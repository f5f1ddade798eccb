"""Scaling out without Dask: the same partitions on a concurrent.futures process pool.

Runs as written against a local Vi server. Each pool process builds one client (from the
pickled client in the job, its secret read from the environment the pool inherited) and
processes whole partitions.
"""

import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import vi
from vi.integrations.etl import EtlJob, run_partition, summarize
from vi.integrations.partitions import plan_asset_partitions
from vi.testing import LocalViServer
from vi.testing.pictures import BMP_HEADER_SIZE, bmp_bytes


def invert(source: Path, target: Path, asset: dict) -> None:
    data = source.read_bytes()  # a BMP: its pixels are the bytes after the header
    target.write_bytes(data[:BMP_HEADER_SIZE] + bytes(255 - b for b in data[BMP_HEADER_SIZE:]))


def main() -> None:
    with LocalViServer(datasets=0, runs=0) as server:
        # Production sets this in the workers' environment; the pool's processes inherit it.
        os.environ["DATATURE_VI_SECRET_KEY"] = server.secret_key
        with vi.Client(organization_id=server.organization_id, endpoint=server.url) as client:
            source = client.datasets.create("raw").dataset_id
            target = client.datasets.create("inverted").dataset_id
            files = [("img_%03d.bmp" % n, bmp_bytes(8, 8, (n, 2 * n, 3 * n))) for n in range(30)]
            client.assets.upload(source, assets_bytes=files, poll_interval=0.1)

            partitions = plan_asset_partitions(client, source, page_size=10, contents=True)
            job = EtlJob(
                client,
                source,
                work_dir=tempfile.mkdtemp(prefix="vi-etl-"),
                transform=invert,
                target_dataset_id=target,
                poll_interval=0.1,
            )
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(2, mp_context=spawn) as pool:
                records = [
                    r for part in pool.map(run_partition, [job] * len(partitions), partitions) for r in part
                ]
            summary = summarize(records)
            print(summary.summary())
            assert summary.succeeded == 30 and client.assets.count(target) == 30


if __name__ == "__main__":
    main()
