"""One measurement in a fresh process: ``python worker.py '<json spec>'``.

The orchestrator (``benchmarks/run.py``) runs this file with two different interpreters:

* the bench venv with the repository on ``PYTHONPATH``, for ``ours``, ``requests``, ``urllib3``,
  ``json`` and ``marshmallow``;
* the official client's venv with ``-I`` (no PYTHONPATH, no script folder on sys.path) and a
  working directory and HOME outside the repository, for ``official`` and ``official-quiet``.

Both import only what their client needs, check that ``vi`` is the package they meant, and print
one line ``RESULT {json}`` at the end. Spec keys: ``scenario``, ``client``, and the scenario's
parameters (see each ``scenario_*`` function). Every loop is bounded by a count and a time budget.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time

SPEC = json.loads(sys.argv[1])
CLIENT = SPEC["client"]
RESULT = {"client": CLIENT, "scenario": SPEC["scenario"]}
perf = time.perf_counter


# -- which `vi` -----------------------------------------------------------------------------------


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def import_ours():
    import vi

    repo = SPEC["repo"]
    assert _inside(vi.__file__, os.path.join(repo, "vi")), "ours is not the repository's vi: " + vi.__file__
    RESULT["vi_file"] = vi.__file__
    return vi


def import_official():
    import importlib.metadata

    import vi

    assert _inside(vi.__file__, sys.prefix), "official vi is not the venv's package: " + vi.__file__
    assert not _inside(vi.__file__, os.path.join(SPEC["repo"], "vi")), "imported the repository's vi"
    assert not _inside(os.getcwd(), SPEC["repo"]), "cwd inside the repository"
    RESULT["vi_sdk_version"] = importlib.metadata.version("vi-sdk")
    return vi


def headers():
    return {
        "Authorization": "Bearer " + SPEC["secret"],
        "Organization-Id": SPEC["org"],
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


def make_get():
    """A zero-argument callable doing one `datasets.get` the way `CLIENT` does it; plus a closer."""
    endpoint, org, dsid = SPEC["endpoint"], SPEC["org"], SPEC["dsid"]
    url = "%s/workspaces/%s/datasets/%s_%s" % (endpoint, org, org, dsid)
    threads = SPEC.get("threads", 1)
    if CLIENT == "ours":
        vi = import_ours()
        client = vi.Client(secret_key=SPEC["secret"], organization_id=org, endpoint=endpoint)
        return (lambda: client.datasets.get(dsid).name), client.close
    if CLIENT in ("official", "official-quiet"):
        vi = import_official()
        kwargs = {}
        if CLIENT == "official-quiet":  # its default logs every request at DEBUG to a file
            from vi.logging import LoggingConfig, LogLevel

            kwargs["logging_config"] = LoggingConfig(level=LogLevel.WARNING, enable_file=False)
        client = vi.Client(secret_key=SPEC["secret"], organization_id=org, endpoint=endpoint, **kwargs)
        closer = getattr(client, "close", None) or (lambda: None)
        return (lambda: client.datasets.get(dsid).name), closer
    if CLIENT == "requests":
        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        session.headers.update(headers())
        if threads > 1:  # the default pool of 10 would thrash with 32 threads: size it like a user would
            session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=threads))
        get = session.get
        return (lambda: json.loads(get(url, timeout=30).content)["name"]), session.close
    if CLIENT == "urllib3":
        import urllib3

        pool = urllib3.PoolManager(
            maxsize=max(threads, 1),
            headers=headers(),
            retries=False,
            timeout=urllib3.Timeout(connect=30, read=30),
        )
        request = pool.request
        return (lambda: json.loads(request("GET", url).data)["name"]), pool.clear
    raise SystemExit("unknown client for datasets.get: " + CLIENT)


# -- scenario 1: single-thread datasets.get -----------------------------------------------------


def scenario_get():
    """`warmup` calls, then `batches` timed batches of `calls`; the median batch is the result."""
    call, close = make_get()
    budget = perf() + SPEC.get("max_seconds", 60)
    name = None
    for _ in range(SPEC["warmup"]):
        name = call()
    per_call = []
    profiler = start_profiler()
    for _ in range(SPEC["batches"]):
        start = perf()
        done = 0
        for _ in range(SPEC["calls"]):
            name = call()
            done += 1
            if done % 100 == 0 and perf() > budget:
                break
        per_call.append((perf() - start) / done)
        if perf() > budget:
            break
    stop_profiler(profiler)
    close()
    RESULT.update(seconds_per_call=statistics.median(per_call), batches=per_call, name=name)


# -- scenario 7: one 100-asset list page, request + decode -------------------------------------------


def make_list():
    """A zero-argument callable listing the 100-asset page the way `CLIENT` does it: (n, first id)."""
    endpoint, org, dsid = SPEC["endpoint"], SPEC["org"], SPEC["dsid"]
    if CLIENT in ("ours", "ours-fast"):
        vi = import_ours()
        client = vi.Client(secret_key=SPEC["secret"], organization_id=org, endpoint=endpoint)
        RESULT["json_backend"] = _json_backend()

        def call():
            page = client.assets.list(dsid, page_size=100)
            return len(page.items), page.items[0].asset_id

        return call, client.close
    if CLIENT == "official":
        vi = import_official()
        from vi.api.types import PaginationParams
        from vi.logging import LoggingConfig, LogLevel

        client = vi.Client(
            secret_key=SPEC["secret"],
            organization_id=org,
            endpoint=endpoint,
            logging_config=LoggingConfig(level=LogLevel.WARNING, enable_file=False),
        )
        params = PaginationParams(page_size=100)

        def call():
            page = client.assets.list(dsid, pagination=params)
            return len(page.items), page.items[0].asset_id

        return call, getattr(client, "close", None) or (lambda: None)
    if CLIENT == "requests":
        import requests

        session = requests.Session()
        session.headers.update(headers())
        url = "%s/workspaces/%s/datasets/%s_%s/assets" % (endpoint, org, org, dsid)
        get = session.get

        def call():
            items = json.loads(get(url, params={"s": "100"}, timeout=30).content)["items"]
            return len(items), items[0]["assetId"]

        return call, session.close
    raise SystemExit("unknown client for the list page: " + CLIENT)


def _json_backend():
    """Which optional speed-up packages the package found (the extra's venv has them)."""
    found = []
    for name in ("orjson", "msgspec"):
        try:
            __import__(name)
            found.append(name)
        except ImportError:
            pass
    return "+".join(found) or "json"


def scenario_page():
    call, close = make_list()
    budget = perf() + SPEC.get("max_seconds", 60)
    result = None
    for _ in range(SPEC["warmup"]):
        result = call()
    per_call = []
    profiler = start_profiler()
    for _ in range(SPEC["batches"]):
        start = perf()
        done = 0
        for _ in range(SPEC["calls"]):
            result = call()
            done += 1
            if done % 20 == 0 and perf() > budget:
                break
        per_call.append((perf() - start) / done)
        if perf() > budget:
            break
    stop_profiler(profiler)
    close()
    RESULT.update(
        seconds_per_call=statistics.median(per_call), batches=per_call, items=result[0], first_id=result[1]
    )


# -- scenario 2: decoding one 100-asset page ------------------------------------------------------


def _timeit(fn, target_seconds, batches, max_number=100000):
    fn()  # warm (compiled loaders, caches)
    number = 1
    while True:  # autorange: a batch of at least target_seconds
        start = perf()
        for _ in range(number):
            fn()
        took = perf() - start
        if took >= target_seconds or number >= max_number:
            break
        number = min(
            max_number, number * 2 if took <= 0 else max(number * 2, int(number * target_seconds / took) + 1)
        )
    samples = [took / number]
    for _ in range(batches - 1):
        start = perf()
        for _ in range(number):
            fn()
        samples.append((perf() - start) / number)
    return statistics.median(samples), number, samples


def scenario_decode():
    with open(SPEC["page_file"], "rb") as handle:
        body = handle.read()
    loads = json.loads
    if CLIENT == "json":
        fn = lambda: loads(body)  # noqa: E731
        check = lambda: (len(loads(body)["items"]), loads(body)["items"][0]["assetId"])  # noqa: E731
    elif CLIENT in ("ours", "marshmallow"):
        import_ours()
        from marshmallow import Schema

        from vi.documents import decode_many
        from vi.resources import assets as assets_module

        schema = assets_module.Asset  # the module's singleton AssetSchema
        if CLIENT == "ours":
            fn = lambda: decode_many(schema, loads(body)["items"], "asset")  # noqa: E731
        else:  # plain marshmallow: Schema.load itself, whatever fast path the package adds on top
            fn = lambda: Schema.load(schema, loads(body)["items"], many=True)  # noqa: E731

        def check():
            items = fn()
            return len(items), items[0].asset_id
    elif CLIENT == "official":
        import_official()
        import msgspec

        from vi.api.resources.datasets.assets.responses import Asset
        from vi.api.responses import Pagination

        kind = Pagination[Asset]
        decode = msgspec.json.decode
        fn = lambda: decode(body, type=kind)  # noqa: E731

        def check():
            page = fn()
            return len(page.items), page.items[0].asset_id
    else:
        raise SystemExit("unknown client for decode: " + CLIENT)
    count, first = check()
    fn()
    profiler = start_profiler()
    seconds, number, samples = _timeit(fn, SPEC["target_seconds"], SPEC["batches"])
    stop_profiler(profiler)
    RESULT.update(
        seconds_per_page=seconds,
        number=number,
        samples=samples,
        items=count,
        first_id=first,
        body_bytes=len(body),
    )


# -- scenario 3: threads sharing one client --------------------------------------------------------


def scenario_threads():
    """`threads` threads share one client and do `requests` gets in total against the 20 ms server."""
    call, close = make_get()
    nthreads, total = SPEC["threads"], SPEC["requests"]
    deadline_seconds = SPEC.get("max_seconds", 120)
    names, errors, counts = set(), [], [0] * nthreads
    barrier = threading.Barrier(nthreads + 1)
    stop_at = [0.0]

    def work(index, quota):
        barrier.wait()
        local = set()
        try:
            for _ in range(quota):
                local.add(call())
                counts[index] += 1
                if perf() > stop_at[0]:
                    break
        except Exception as exc:  # noqa: BLE001 - reported, not swallowed
            errors.append("%s: %s" % (type(exc).__name__, exc))
        names.update(local)

    quotas = [total // nthreads + (1 if i < total % nthreads else 0) for i in range(nthreads)]
    workers = [threading.Thread(target=work, args=(i, q), daemon=True) for i, q in enumerate(quotas)]
    for thread in workers:
        thread.start()
    stop_at[0] = perf() + deadline_seconds
    start = perf()
    barrier.wait()
    for thread in workers:
        thread.join(max(0.0, stop_at[0] + 5 - perf()))
    wall = perf() - start
    close()
    done = sum(counts)
    RESULT.update(
        seconds=wall,
        requests=done,
        throughput=done / wall if wall else 0.0,
        errors=errors[:5],
        error_count=len(errors),
        names=sorted(map(str, names)),
    )


# -- scenario 4: memory while iterating a long listing ------------------------------------------


def _status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def scenario_memory():
    """Walk `assets` assets (pages of `page_size`) and report peak RSS growth over the baseline."""
    import gc
    import resource

    vi = import_ours()
    client = vi.Client(secret_key=SPEC["secret"], organization_id=SPEC["org"], endpoint=SPEC["endpoint"])
    dsid = SPEC["dsid"]
    # warm up every code path with a tiny page, so the baseline includes modules and the connection
    warm = sum(1 for _ in client.assets.list(dsid, page_size=2).all_items(limit=3))
    gc.collect()
    exact = _reset_peak() and _status("VmHWM") is not None
    base = _status("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = perf()
    count, last = 0, None
    deadline = start + SPEC.get("max_seconds", 300)
    for asset in client.assets.list(dsid, page_size=SPEC["page_size"]).all_items(limit=SPEC["assets"]):
        count += 1
        last = asset.asset_id
        if count % 1000 == 0 and perf() > deadline:
            break
    took = perf() - start
    peak = _status("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    client.close()
    RESULT.update(
        assets=count,
        seconds=took,
        baseline_rss=base,
        peak_rss=peak,
        growth=peak - base,
        exact_peak=exact,
        warm=warm,
        last_id=last,
    )


def start_profiler():
    """pyinstrument around the timed part only (``"profile": true`` in the spec), else nothing."""
    if not SPEC.get("profile"):
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=SPEC.get("interval", 0.001))
    profiler.start()
    return profiler


def stop_profiler(profiler):
    if profiler is None:
        return
    session = profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False, timeline=False))
    ours = os.path.join(os.path.realpath(SPEC["repo"]), "vi") + os.sep
    self_time, via, inclusive = {}, {}, {}

    def where(frame):
        path = frame.file_path or "?"
        if path.startswith(ours):
            path = "vi/" + path[len(ours) :]
        else:
            path = frame.file_path_short or path
        return (frame.function, path, frame.line_no)

    callers = {}

    def walk(frame, parent_key, anchor, stack, grand=None):
        # "[self]" frames are time spent in the parent's own code
        key = parent_key if frame.is_synthetic else where(frame)
        mine = not frame.is_synthetic and (frame.file_path or "").startswith(ours)
        if mine:
            anchor = key
            if key not in stack:  # inclusive time, not double counted through recursion
                inclusive[key] = inclusive.get(key, 0.0) + frame.time
                stack = stack | {key}
        if key is not None and (frame.is_synthetic_leaf or not frame.children):
            self_time[key] = self_time.get(key, 0.0) + frame.time
            caller = grand if frame.is_synthetic else parent_key
            callers.setdefault(key, {})
            callers[key][caller] = callers[key].get(caller, 0.0) + frame.time
            via.setdefault(key, {})
            via[key][anchor] = via[key].get(anchor, 0.0) + frame.time
        for child in frame.children:
            walk(child, key, anchor, stack, parent_key)

    root = session.root_frame()
    if root is not None:
        walk(root, None, None, frozenset())
    total = root.time if root is not None else 0.0
    top = SPEC.get("top", 25)

    def fmt(key):
        return "%s:%s" % (key[1], key[2]) if key else "-"

    RESULT["profile_total_seconds"] = total
    RESULT["hot_spots"] = [
        {
            "function": k[0],
            "where": fmt(k),
            "self_seconds": t,
            "self_percent": 100.0 * t / total if total else 0.0,
            "via": "%s (%s)"
            % (
                max(via[k].items(), key=lambda kv: kv[1])[0][0],
                fmt(max(via[k].items(), key=lambda kv: kv[1])[0]),
            )
            if via.get(k) and max(via[k].items(), key=lambda kv: kv[1])[0]
            else "-",
            "caller": fmt(max(callers[k].items(), key=lambda kv: kv[1])[0]) if callers.get(k) else "-",
            "caller_function": (max(callers[k].items(), key=lambda kv: kv[1])[0] or ("-",))[0]
            if callers.get(k)
            else "-",
        }
        for k, t in sorted(self_time.items(), key=lambda kv: -kv[1])[:top]
    ]
    RESULT["ours_inclusive"] = [
        {"function": k[0], "where": fmt(k), "seconds": t, "percent": 100.0 * t / total if total else 0.0}
        for k, t in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    ]


def main():
    run = {
        "get": scenario_get,
        "decode": scenario_decode,
        "page": scenario_page,
        "threads": scenario_threads,
        "memory": scenario_memory,
    }[SPEC["scenario"]]
    run()
    sys.stdout.flush()
    print("\nRESULT " + json.dumps(RESULT, default=repr), flush=True)


if __name__ == "__main__":
    main()
