"""Python servers for the benchmarks, run in their own process (bench venv, repository on PYTHONPATH).

    python serve.py latency DATASET_JSON   # fixed 20 ms per request, static dataset document
    python serve.py local ORG SECRET N  # vi.testing.LocalViServer with an N-asset dataset
    python serve.py workflow ORG SECRET WALK THREADS PER_THREAD LATENCY DELAY
                                        # LocalViServer for the workflows: every request
                                        # LATENCY s late, operations DELAY s long

The first stdout line is JSON: {"url": ..., ...}. Then stdin takes one command per line and each
gets one JSON line back: ``stats`` (TCP connections opened since the last ``reset``, requests),
``reset``, ``quit``; the workflow server also answers ``newds`` (a new empty dataset) and
``dsinfo ID`` (asset count and a digest of names and sizes). The process also exits when stdin closes, so it never outlives the harness.
"""

from __future__ import annotations

import json
import sys
import threading
import time


def _latency(dataset_path: str, latency: float) -> None:
    from vi.testing.server import ThreadedWSGIServer
    from vi.testing.stats import Stats

    with open(dataset_path, "rb") as handle:
        body = handle.read()
    stats = Stats()
    lock = threading.Lock()
    counter = [0]

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        time.sleep(latency)  # the fixed latency: a remote API's think time, no CPU
        with lock:
            counter[0] += 1
        if environ.get("PATH_INFO", "").startswith("/workspaces/"):
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]

    server = ThreadedWSGIServer(app, stats, "127.0.0.1", 0)
    server.start()
    host, port = server.address

    def report():  # type: ignore[no-untyped-def]
        return {
            "connections_opened": stats.connections_opened,
            "requests": counter[0],
            "max_connections_open": stats.max_connections_open,
        }

    def reset():  # type: ignore[no-untyped-def]
        stats.reset()
        counter[0] = 0

    _loop({"url": "http://%s:%d" % (host, port), "latency": latency}, report, reset, server.stop)


def _local(org: str, secret: str, count: int) -> None:
    from vi.testing import LocalViServer

    started = time.perf_counter()
    server = LocalViServer(
        secret_key=secret,
        organization_id=org,
        seed=True,
        datasets=1,
        assets_per_dataset=0,
        annotations_per_asset=0,
        runs=0,
    )
    composite = server.store.list_datasets(org, 0, 1).items[0]["datasetId"]
    server.store.add_assets(org, composite, count)
    server.start()
    seeded = time.perf_counter() - started

    def report():  # type: ignore[no-untyped-def]
        return {"connections_opened": server.stats.connections_opened, "requests": server.stats.request_count}

    short = composite[len(org) + 1 :] if composite.startswith(org + "_") else composite
    _loop(
        {"url": server.url, "dataset_id": short, "assets": count, "seed_seconds": seeded},
        report,
        server.stats.reset,
        server.stop,
    )


def _workflow(org: str, secret: str, walk: int, threads: int, per_thread: int, latency: float, delay: float):
    """One server for every workflow: a WALK-asset dataset, THREADS datasets of PER_THREAD assets,
    and empty datasets on demand (``newds``) for the uploads. Latency applies to every request,
    API and storage alike, as a remote service's would."""
    import hashlib

    from vi.testing import LocalViServer

    started = time.perf_counter()
    server = LocalViServer(
        secret_key=secret,
        organization_id=org,
        seed=False,
        operation_delay=delay,
    )
    store = server.store
    store.add_organization(org)

    def new_dataset(name: str) -> str:
        composite = store.create_dataset(org, {"name": name})["datasetId"]
        return composite[len(org) + 1 :]

    walk_id = new_dataset("walk")
    store.add_assets(org, "%s_%s" % (org, walk_id), walk)
    thread_ids = []
    for index in range(threads):
        short = new_dataset("thread-%02d" % index)
        store.add_assets(org, "%s_%s" % (org, short), per_thread)
        thread_ids.append(short)
    server.start()
    server.faults.latency = latency
    seeded = time.perf_counter() - started

    def report():  # type: ignore[no-untyped-def]
        return {
            "connections_opened": server.stats.connections_opened,
            "max_connections_open": server.stats.max_connections_open,
            "requests": server.stats.request_count,
        }

    def dsinfo(short: str):  # type: ignore[no-untyped-def]
        page = store.list_assets(org, "%s_%s" % (org, short), 0, 10**9)
        pairs = sorted((a["filename"], a["metadata"]["fileSize"]) for a in page.items)
        digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]
        return {"assets": len(pairs), "digest": digest, "bytes": sum(size for _, size in pairs)}

    extra = {
        "newds": lambda *args: {"dataset_id": new_dataset("upload")},
        "dsinfo": lambda short: dsinfo(short),
    }
    hello = {
        "url": server.url,
        "walk_dataset": walk_id,
        "thread_datasets": thread_ids,
        "latency": latency,
        "operation_delay": delay,
        "seed_seconds": seeded,
    }
    _loop(hello, report, server.stats.reset, server.stop, extra)


def _loop(hello, report, reset, stop, extra=None) -> None:  # type: ignore[no-untyped-def]
    print(json.dumps(hello), flush=True)
    try:
        for line in sys.stdin:
            command, *args = line.split() or [""]
            if extra and command in extra:
                try:
                    answer = extra[command](*args)
                except Exception as exc:  # noqa: BLE001 - reported to the harness, which fails loudly
                    answer = {"error": "%s: %s" % (type(exc).__name__, exc)}
                print(json.dumps(answer), flush=True)
            elif command == "stats":
                print(json.dumps(report()), flush=True)
            elif command == "reset":
                reset()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "quit":
                break
            else:
                print(json.dumps({"error": "unknown command %r" % command}), flush=True)
    finally:
        stop()


def main() -> None:
    kind = sys.argv[1]
    if kind == "latency":
        _latency(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.02)
    elif kind == "local":
        _local(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif kind == "workflow":
        org, secret = sys.argv[2], sys.argv[3]
        walk, threads, per_thread = (int(x) for x in sys.argv[4:7])
        _workflow(org, secret, walk, threads, per_thread, float(sys.argv[7]), float(sys.argv[8]))
    else:
        raise SystemExit("usage: serve.py latency DATASET_JSON [SECONDS] | local ORG SECRET N")


if __name__ == "__main__":
    main()
