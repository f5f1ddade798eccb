"""Peak memory of reading a downloaded dataset, and of a long asset walk written to CSV.

    python benchmarks/loader_memory.py                     # 1,000 vs 100,000 pairs, then the CSV walk
    python benchmarks/loader_memory.py --large 20000       # scaled down
    python benchmarks/loader_memory.py --only loader       # or: csv
    python benchmarks/loader_memory.py --layout one-file   # only one annotations.jsonl per split

Target (issue: reading what you downloaded): peak RSS while opening a dataset and iterating all
of its pairs is at most 2x larger for 100,000 pairs than for 1,000, measured in the same run,
each in a fresh process. The datasets are written by this script (tiny PNGs and one Vi JSONL
phrase-grounding line per image) in a temporary folder, in both layouts exports use: one
``.jsonl`` per image (the service's ``ViFull``) and one ``annotations.jsonl`` per split; the child process opens the dataset with
``vi.dataset.ViDataset``, decodes every annotation of every pair, reads 1,000 pairs by random
index, and reports its peak RSS (``VmHWM``).

The CSV scenario does the same for ``vi.tables.write_csv(client.assets.list(ds).all_items())``
over 1,000 and 100,000 assets served by a LocalViServer in another process (so that the
server's own memory is not counted).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 2.0
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a4944415408d76360000000020001e221bc330000000049454e44ae426082"
)


def peak_rss() -> int:
    """This process's peak RSS in bytes: ``VmHWM`` on Linux (``ru_maxrss`` can carry the size
    of the process that forked this one across ``exec``), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def write_dataset(root: Path, count: int, layout: str) -> None:
    images = root / "dump" / "images"
    annotations = root / "dump" / "annotations"
    images.mkdir(parents=True)
    annotations.mkdir(parents=True)
    single = open(annotations / "annotations.jsonl", "w", encoding="utf-8") if layout == "one-file" else None
    try:
        for n in range(count):
            name = "img-%07d.png" % n
            (images / name).write_bytes(PNG)
            line = json.dumps(
                {
                    "id": "ann-%d" % n,
                    "asset": {"type": "Image", "filename": name, "width": 640, "height": 480},
                    "contents": {
                        "type": "PhraseGrounding",
                        "caption": "a red car parked next to a tree, picture %d" % n,
                        "groundedPhrases": [
                            {
                                "phrase": "red car",
                                "startTokenIndex": 2,
                                "endTokenIndex": 9,
                                "bounds": [[0.1, 0.2, 0.5, 0.6], [0.6, 0.1, 0.9, 0.4]],
                            }
                        ],
                    },
                    "category": None,
                }
            )
            if single is not None:
                single.write(line + "\n")
            else:
                (annotations / ("%07d.jsonl" % (count - n))).write_text(line + "\n", encoding="utf-8")
    finally:
        if single is not None:
            single.close()
    (root / "metadata.json").write_text(json.dumps({"name": root.name, "createdAt": 0}), encoding="utf-8")


def child_loader(path: str) -> None:
    from vi.dataset import ViDataset

    start = time.perf_counter()
    dataset = ViDataset(path)
    opened = time.perf_counter() - start
    pairs = boxes = 0
    for asset, found in dataset:
        pairs += 1
        for annotation in found:
            for phrase in annotation.contents.grounded_phrases:
                boxes += len(phrase.pixel_boxes(asset.width, asset.height))
    rng = random.Random(0)
    for _ in range(1000):
        dataset[rng.randrange(len(dataset))]
    elapsed = time.perf_counter() - start
    print(
        json.dumps({"pairs": pairs, "boxes": boxes, "peak": peak_rss(), "open_s": opened, "total_s": elapsed})
    )


def child_csv(endpoint: str, key: str, org: str, dataset_id: str, out: str) -> None:
    import vi
    from vi import tables

    start = time.perf_counter()
    with vi.Client(secret_key=key, organization_id=org, endpoint=endpoint) as client:
        rows = tables.write_csv(client.assets.list(dataset_id, page_size=1000).all_items(), out)
    print(json.dumps({"rows": rows, "peak": peak_rss(), "total_s": time.perf_counter() - start}))


def run_child(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit("child failed:\n" + done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve(conn, sizes) -> None:
    from vi.testing import LocalViServer

    with LocalViServer(datasets=0, runs=0) as server:
        import vi

        ids = []
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            for size in sizes:
                ds = str(c.datasets.create("walk-%d" % size).dataset_id)
                server.store.add_assets(server.organization_id, server.organization_id + "_" + ds, size)
                ids.append(ds)
        conn.send((server.url, server.secret_key, server.organization_id, ids))
        conn.recv()


def ratio_line(name: str, small: dict, large: dict, small_n: int, large_n: int) -> float:
    ratio = large["peak"] / small["peak"]
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    print(
        "%-9s peak RSS %7.1f MiB for %7d vs %7.1f MiB for %7d  ratio %.2f (target <= %.1f) %s  [%.1f s / %.1f s]"
        % (
            name,
            small["peak"] / 2**20,
            small_n,
            large["peak"] / 2**20,
            large_n,
            ratio,
            TARGET,
            verdict,
            small["total_s"],
            large["total_s"],
        )
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100000)
    parser.add_argument("--only", choices=("loader", "csv"))
    parser.add_argument("--layout", choices=("one-file", "per-image", "both"), default="both")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        (child_loader if kind == "loader" else child_csv)(*rest)
        return 0
    ok = True
    work = Path(tempfile.mkdtemp(prefix="vi-loader-bench-"))
    try:
        layouts = ("per-image", "one-file") if args.layout == "both" else (args.layout,)
        for layout in layouts if args.only in (None, "loader") else ():
            for n in (args.small, args.large):
                write_dataset(work / layout / ("ds-%d" % n), n, layout)
            small = run_child("loader", str(work / layout / ("ds-%d" % args.small)))
            large = run_child("loader", str(work / layout / ("ds-%d" % args.large)))
            assert small["pairs"] == args.small and large["pairs"] == args.large
            ok &= ratio_line(layout, small, large, args.small, args.large) <= TARGET
            shutil.rmtree(work / layout, ignore_errors=True)
        if args.only in (None, "csv"):
            parent, child = multiprocessing.Pipe()
            proc = multiprocessing.Process(target=serve, args=(child, (args.small, args.large)))
            proc.start()
            try:
                url, key, org, ids = parent.recv()
                small = run_child("csv", url, key, org, ids[0], str(work / "small.csv"))
                large = run_child("csv", url, key, org, ids[1], str(work / "large.csv"))
            finally:
                parent.send("stop")
                proc.join(60)
            assert small["rows"] == args.small and large["rows"] == args.large
            ok &= ratio_line("csv", small, large, args.small, args.large) <= TARGET
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
