"""Scaling out: download, transform and upload a dataset on a Dask cluster.

Runs as written: it starts a local Vi server and a two-process LocalCluster. Against the real
service, drop the LocalViServer, export DATATURE_VI_SECRET_KEY on every worker (or give the
workers a config file), and connect to your cluster's scheduler instead.
"""

import tempfile
from pathlib import Path

import distributed

import vi
from vi.integrations import dask as vi_dask
from vi.testing import LocalViServer
from vi.testing.pictures import BMP_HEADER_SIZE, bmp_bytes


def invert(source: Path, target: Path, asset: dict) -> None:
    """Per-file work, run on a worker: read the downloaded file, write the result.

    With Pillow this would be ``Image.open(source).convert("L").save(target)``; ``target`` keeps
    the final extension. Return False to leave an asset out."""
    data = source.read_bytes()  # a BMP: its pixels are the bytes after the header
    target.write_bytes(data[:BMP_HEADER_SIZE] + bytes(255 - b for b in data[BMP_HEADER_SIZE:]))


def main() -> None:
    with LocalViServer(datasets=0, runs=0) as server:
        # The workers read the secret from their environment; the task graph never holds it.
        worker_env = {"DATATURE_VI_SECRET_KEY": server.secret_key}
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client, distributed.LocalCluster(
            n_workers=2, threads_per_worker=2, env=worker_env, dashboard_address=None
        ) as cluster, distributed.Client(cluster):
            source = client.datasets.create("raw").dataset_id
            target = client.datasets.create("inverted").dataset_id
            files = [("img_%03d.bmp" % n, bmp_bytes(8 + n, 8, (n, 2 * n, 3 * n))) for n in range(60)]
            client.assets.upload(source, assets_bytes=files, poll_interval=0.1)

            # 1. The listing as a dataframe: each partition (a page of 20) is fetched by a worker.
            frame = vi_dask.assets_frame(client, source, page_size=20)
            print("partitions:", frame.npartitions, "bytes:", int(frame.file_size.sum().compute()))

            # 2. Download on the workers, transform, upload the results; one report per file.
            work = tempfile.mkdtemp(prefix="vi-etl-")  # shared by every worker here
            options = dict(
                transform=invert, target_dataset_id=target, work_dir=work, page_size=20, poll_interval=0.1
            )
            summary = vi_dask.run_etl(client, source, **options)
            print(summary.summary())

            # 3. A rerun (after a crash, say) skips everything already done.
            again = vi_dask.run_etl(client, source, **options)
            print(again.summary())
            assert summary.succeeded == 60 and again.skipped == 60
            assert client.assets.count(target) == 60


if __name__ == "__main__":
    main()
