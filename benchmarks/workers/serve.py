"""Python servers for the benchmarks, run in their own process (bench venv, repository on PYTHONPATH).

    python serve.py latency DATASET_JSON   # fixed 20 ms per request, static dataset document
    python serve.py local ORG SECRET N  # vi.testing.LocalViServer with an N-asset dataset

The first stdout line is JSON: {"url": ..., ...}. Then stdin takes one command per line and each
gets one JSON line back: ``stats`` (TCP connections opened since the last ``reset``, requests),
``reset``, ``quit``. The process also exits when stdin closes, so it never outlives the harness.
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


def _loop(hello, report, reset, stop) -> None:  # type: ignore[no-untyped-def]
    print(json.dumps(hello), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
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
    else:
        raise SystemExit("usage: serve.py latency DATASET_JSON [SECONDS] | local ORG SECRET N")


if __name__ == "__main__":
    main()
