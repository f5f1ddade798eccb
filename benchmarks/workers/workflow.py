"""One ETL workflow in a fresh process: ``python workflow.py '<json spec>'``.

Run by ``benchmarks/run.py`` like ``worker.py``: in the bench venv for ``ours``, in the official
client's venv (``-I``, working directory outside the repository) for ``official``. Spec keys:
``workflow`` (walk, threads, upload, download, export), ``client``, ``endpoint``, ``org``,
``secret`` and the workflow's own keys. Prints one ``RESULT {json}`` line: ``seconds`` (the timed
part only: client construction and the same-data digest are outside it), ``ok`` and a
``digest`` of what the client got, so the harness can check that both clients got the same data.

Each client runs its default, documented way of doing the job. Where the official client cannot
(its asset walk stops with a TypeError after the first page, PROTOCOL §16.14), the spec's
``mode`` says what it does instead, and the result says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time

SPEC = json.loads(sys.argv[1])
CLIENT = SPEC["client"]
RESULT = {"client": CLIENT, "workflow": SPEC["workflow"], "ok": True}
perf = time.perf_counter


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def make_client():
    import vi

    repo = os.path.join(SPEC["repo"], "vi")
    kwargs = dict(secret_key=SPEC["secret"], organization_id=SPEC["org"], endpoint=SPEC["endpoint"])
    if CLIENT.startswith("ours"):
        assert _inside(vi.__file__, repo), "ours is not the repository's vi: " + vi.__file__
        return vi, vi.Client(**kwargs)
    assert CLIENT == "official", CLIENT
    assert _inside(vi.__file__, sys.prefix) and not _inside(vi.__file__, repo), vi.__file__
    assert not _inside(os.getcwd(), SPEC["repo"]), "cwd inside the repository"
    from vi.logging import LoggingConfig, LogLevel

    # file logging off: the harder baseline (as shipped it logs every request at DEBUG to a file)
    kwargs["logging_config"] = LoggingConfig(level=LogLevel.WARNING, enable_file=False)
    return vi, vi.Client(**kwargs)


def close(client):
    closer = getattr(client, "close", None)
    if closer is not None:
        closer()


# -- walking ---------------------------------------------------------------------------------------


def official_pages(client, dataset_id, page_size):
    """What the official client can do instead of walking: ask for each page by hand."""
    from vi.api.types import PaginationParams

    token = None
    while True:
        params = PaginationParams(page_token=token, page_size=page_size) if token else None
        if params is None:
            params = PaginationParams(page_size=page_size)
        page = client.assets.list(dataset_id, pagination=params)
        yield from page.items
        token = page.next_page
        if not token:
            return


def walker(client, mode):
    """A function dataset_id -> (count, digest of asset ids in order)."""

    def digest_of(assets):
        h = hashlib.sha256()
        n = 0
        for asset in assets:
            h.update(asset.asset_id.encode())
            h.update(b"\n")
            n += 1
        return n, h.hexdigest()[:16]

    if mode == "default":  # each client's documented way: call the resource with a dataset id
        return lambda ds: digest_of(client.assets(ds))
    if mode == "page-size":  # ours, walking with an explicit page size
        size = SPEC.get("page_size", 1000)
        return lambda ds: digest_of(client.assets.list(ds, page_size=size).all_items())
    if mode == "by-hand":
        size = SPEC.get("page_size", 1000)
        return lambda ds: digest_of(official_pages(client, ds, size))
    raise SystemExit("unknown walk mode " + mode)


def workflow_walk():
    vi, client = make_client()
    walk = walker(client, SPEC["mode"])
    start = perf()
    try:
        count, digest = walk(SPEC["dataset"])
    except Exception as exc:  # noqa: BLE001 - the official default walk fails; say how
        RESULT.update(ok=False, error="%s: %s" % (type(exc).__name__, str(exc)[:300]))
        count, digest = None, None
    RESULT.update(seconds=perf() - start, assets=count, digest=digest)
    close(client)


def workflow_threads():
    vi, client = make_client()
    walk = walker(client, SPEC["mode"])
    datasets = SPEC["datasets"]
    results, errors = {}, []
    barrier = threading.Barrier(len(datasets) + 1)

    def work(ds):
        barrier.wait()
        try:
            results[ds] = walk(ds)
        except Exception as exc:  # noqa: BLE001 - reported
            errors.append("%s: %s" % (type(exc).__name__, str(exc)[:200]))

    threads = [threading.Thread(target=work, args=(ds,), daemon=True) for ds in datasets]
    for t in threads:
        t.start()
    barrier.wait()
    start = perf()
    for t in threads:
        t.join(SPEC.get("max_seconds", 300))
    seconds = perf() - start
    close(client)
    total = sum(n for n, _ in results.values())
    digest = hashlib.sha256(json.dumps(sorted(results.items())).encode()).hexdigest()[:16]
    RESULT.update(
        seconds=seconds,
        assets=total,
        throughput=total / seconds if seconds else 0.0,
        digest=digest,
        ok=not errors and len(results) == len(datasets),
        errors=errors[:3],
    )


# -- transfers -------------------------------------------------------------------------------------


def folder_digest(root, skip=()):
    """(files, bytes, digest) of every file under ``root`` by relative path and content; files
    whose name ends with one of ``skip`` are left out (they hold per-dataset ids)."""
    entries = []
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if name.endswith(tuple(skip)) or name.startswith("."):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            total += len(data)
            entries.append((rel.replace(os.sep, "/"), hashlib.sha256(data).hexdigest()))
    entries.sort()
    return len(entries), total, hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def run_timed(fn):
    start = perf()
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - e.g. the official extractor's makedirs race
        RESULT.update(ok=False, error="%s: %s" % (type(exc).__name__, str(exc)[:300]))
        value = None
    RESULT["seconds"] = perf() - start
    return value


def workflow_upload():
    vi, client = make_client()
    ds, folder = SPEC["dataset"], SPEC["files"]
    if CLIENT.startswith("ours"):
        result = run_timed(lambda: client.assets.upload(ds, paths=folder))
        if result is not None:
            RESULT["uploaded"] = len(getattr(result, "succeeded", []) or [])
            failed = getattr(result, "failed", None)
            RESULT["failed"] = len(failed) if failed else 0
    else:
        run_timed(lambda: client.assets.upload(ds, paths=folder, show_progress=False))
    close(client)


def workflow_download():
    vi, client = make_client()
    ds, out = SPEC["dataset"], SPEC["out"]
    run_timed(lambda: client.assets.download(ds, save_dir=out, show_progress=False))
    close(client)
    RESULT["files"], RESULT["bytes"], RESULT["digest"] = folder_digest(os.path.join(out, ds))


def workflow_export():
    vi, client = make_client()
    ds, out = SPEC["dataset"], SPEC["out"]
    run_timed(lambda: client.datasets.download(ds, save_dir=out, show_progress=False))
    close(client)
    target = os.path.join(out, ds)
    if os.path.isdir(target):
        # each client exported the dataset it uploaded: same files, different asset ids, so the
        # annotation lines (which carry ids) are counted, not hashed
        files, size, digest = folder_digest(target, skip=("metadata.json", ".jsonl"))
        lines = 0
        for folder, _, names in os.walk(target):
            for name in names:
                if name.endswith(".jsonl"):
                    with open(os.path.join(folder, name), "rb") as handle:
                        lines += sum(1 for line in handle if line.strip())
        RESULT.update(files=files, bytes=size, digest="%s/%d lines" % (digest, lines))


def main():
    {
        "walk": workflow_walk,
        "threads": workflow_threads,
        "upload": workflow_upload,
        "download": workflow_download,
        "export": workflow_export,
    }[SPEC["workflow"]]()
    sys.stdout.flush()
    print("\nRESULT " + json.dumps(RESULT, default=repr), flush=True)


if __name__ == "__main__":
    main()
