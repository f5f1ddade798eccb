"""Scenario 6: whole ETL workflows against a service 20 ms away, and their latency-bound ideal.

One ``LocalViServer`` process (``workers/serve.py workflow``) adds a fixed latency to every
request, API and storage alike, and finishes long-running operations (ingestions, exports) a
fixed delay after they become due. Every workflow runs in a fresh process per client per round
(``workers/workflow.py``), clients interleaved and rotated round by round, like scenarios 1-5.

The *ideal* of a workflow is the fewest round trips the protocol allows, at the concurrency the
client uses, times the latency, plus the server's own operation delay where the workflow waits
for one. It ignores every CPU cost (ours, the server's, the kernel's), so nobody reaches it;
``IDEALS`` spells out each formula and the table prints it.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import _env
from _services import PyServer, run_worker, scratch_dir

WORKFLOWS = ("walk", "upload", "download", "export", "threads32")
CLIENTS = ["ours", "official"]
#: the walks also run ours with an explicit page_size=1000: what walking a whole listing does once
#: the default page size for whole walks is the largest (the ETL-correctness issue)
WALK_CLIENTS = ["ours", "ours-1000", "official"]
SCRIPT = _env.HERE / "workers" / "workflow.py"
MAX_PAGE = 1000  # the protocol's largest page size


def make_files(folder: Path, count: int, low: int, high: int, seed: int = 15) -> int:
    """``count`` JPEG-shaped files of ``low``-``high`` bytes (random body: incompressible, like
    real images; a JPEG header, with a frame header saying 64 x 48, so the official client's
    content sniffing accepts them and the server can read their dimensions)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    head = (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xc0\x00\x11\x08\x00\x30\x00\x40\x03\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    )
    total = 0
    for index in range(count):
        size = rng.randint(low, high)
        body = head + rng.getrandbits(8 * (size - len(head) - 2)).to_bytes(size - len(head) - 2, "little")
        path = folder / ("frame_%05d.jpg" % index)
        data = body + b"\xff\xd9"
        if not path.exists() or path.stat().st_size != len(data):
            path.write_bytes(data)
        total += len(data)
    return total


def ideals(p: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Seconds of each workflow's latency-bound ideal, with the formula that gives it."""
    lat, delay, conc = p["latency"], p["operation_delay"], p["transfer_concurrency"]
    files, walk, per_thread = p["files"], p["walk_assets"], p["per_thread"]
    waves = math.ceil(files / conc)
    pages = math.ceil(walk / MAX_PAGE)
    thread_pages = math.ceil(per_thread / MAX_PAGE)
    ms = round(1000 * lat)
    return {
        "walk": {
            "seconds": pages * lat,
            "formula": "%d pages of %d (the largest page) one after another x %d ms" % (pages, MAX_PAGE, ms),
        },
        "upload": {
            "seconds": (2 + waves) * lat + delay,
            "formula": "(1 session + %d waves of %d PUTs + 1 poll) x %d ms + %.1f s ingestion"
            % (waves, conc, ms, delay),
        },
        "download": {
            "seconds": (1 + waves) * lat,
            "formula": "(1 listing page with signed URLs + %d waves of %d GETs) x %d ms" % (waves, conc, ms),
        },
        "export": {
            "seconds": 3 * lat + delay,
            "formula": "(1 create + 1 poll + 1 archive GET) x %d ms + %.1f s export" % (ms, delay),
        },
        "threads32": {
            "seconds": thread_pages * lat,
            "formula": "%d threads in parallel (<= the connection limit), %d pages each x %d ms"
            % (p["threads"], thread_pages, ms),
        },
    }


class Workflows:
    """Runs the selected workflows; ``harness`` is ``run.Harness`` (venvs, rounds, args)."""

    def __init__(self, harness: Any, selected: List[str]) -> None:
        self.h = harness
        self.a = harness.args
        self.selected = selected

    def params(self) -> Dict[str, Any]:
        a = self.a
        return {
            "latency": a.wf_latency,
            "operation_delay": a.wf_delay,
            "files": a.wf_files,
            "file_kib": [10, 100],
            "walk_assets": a.wf_walk,
            "threads": 32,
            "per_thread": a.wf_per_thread,
            # both clients move files 8 at a time by default: ours max_workers=8, the official
            # client min(max(2 x CPUs, 8), 32) on this 2-core machine
            "transfer_concurrency": 8,
            "max_connections": 100,  # ours, by default
        }

    def run(self) -> Dict[str, Any]:
        p = self.params()
        files = scratch_dir() / "wf-files"
        p["file_bytes"] = make_files(files, p["files"], 10 * 1024, 100 * 1024)
        _env.log(
            "workflows: starting the 20 ms LocalViServer (seeding %d + 32 x %d assets) ..."
            % (p["walk_assets"], p["per_thread"])
        )
        # CRC-32C of every upload, on both sides: vi-sdk depends on a compiled one (google-crc32c),
        # vi has it in the [fast] extra (its pure-Python fallback moves about 2 MB/s). So the server
        # and our client run in the venv with the extra; the table says so.
        self.fast_python = self.h.python_for("ours-fast")
        server = PyServer(
            self.fast_python,
            [
                "workflow",
                _env.ORG,
                _env.SECRET,
                str(p["walk_assets"]),
                str(p["threads"]),
                str(p["per_thread"]),
                str(p["latency"]),
                str(p["operation_delay"]),
            ],
        )
        self.h.stack.callback(server.stop)
        base = dict(endpoint=server.url, org=_env.ORG, secret=_env.SECRET)
        out: Dict[str, Any] = {"params": p, "ideals": ideals(p), "seed_seconds": server.hello["seed_seconds"]}
        try:
            if "walk" in self.selected:
                out["walk_official_default"] = self.one(
                    server,
                    dict(
                        base,
                        workflow="walk",
                        client="official",
                        mode="default",
                        dataset=server.hello["walk_dataset"],
                    ),
                )
                out["walk"] = self.rounds(
                    WALK_CLIENTS,
                    server,
                    "walk",
                    lambda c: dict(
                        base,
                        workflow="walk",
                        client=c,
                        dataset=server.hello["walk_dataset"],
                        mode={"ours": "default", "ours-1000": "page-size"}.get(c, "by-hand"),
                        page_size=MAX_PAGE,
                    ),
                )
            if {"upload", "download", "export"} & set(self.selected):
                out.update(self.transfers(server, base, files))
            if "threads32" in self.selected:
                out["threads32"] = self.rounds(
                    WALK_CLIENTS,
                    server,
                    "threads32",
                    lambda c: dict(
                        base,
                        workflow="threads",
                        client=c,
                        datasets=server.hello["thread_datasets"],
                        mode={"ours": "default", "ours-1000": "page-size"}.get(c, "by-hand"),
                        page_size=MAX_PAGE,
                    ),
                )
        finally:
            server.stop()
            shutil.rmtree(files, ignore_errors=True)
        return out

    def one(self, server: PyServer, spec: Dict[str, Any], timeout: float = 600.0) -> Dict[str, Any]:
        server.command("reset")
        official = spec["client"] == "official"
        python = self.h.official_python if official else self.fast_python
        try:
            result = run_worker(python, spec, official=official, timeout=timeout, script=SCRIPT)
        except RuntimeError as exc:
            result = {"client": spec["client"], "ok": False, "crashed": True, "error": str(exc)[-1500:]}
        result["server"] = server.command("stats")
        return result

    def rounds(
        self,
        clients: List[str],
        server: PyServer,
        name: str,
        spec: Callable[[str], Dict[str, Any]],
        before: Optional[Callable[[str, int], Dict[str, Any]]] = None,
    ) -> Dict[str, Any]:
        from run import rotated

        rounds: Dict[str, List[Dict[str, Any]]] = {c: [] for c in clients}
        for r in range(self.a.wf_rounds):
            for client in rotated(clients, r):
                extra = before(client, r) if before else {}
                rounds[client].append(self.one(server, dict(spec(client), **extra)))
            _env.log("workflow %s: round %d/%d done" % (name, r + 1, self.a.wf_rounds))
        return {"clients": clients, "rounds": rounds}

    def transfers(self, server: PyServer, base: Dict[str, Any], files: Path) -> Dict[str, Any]:
        """Per round and client: a new dataset, upload into it, download it, export it."""
        from run import rotated

        out: Dict[str, Any] = {}
        kinds = [k for k in ("upload", "download", "export")]
        rounds: Dict[str, Dict[str, List[Dict[str, Any]]]] = {k: {c: [] for c in CLIENTS} for k in kinds}
        datasets: Dict[str, str] = {}
        work = scratch_dir() / "wf-out"
        for r in range(self.a.wf_rounds):
            for kind in kinds:
                for client in rotated(CLIENTS, r):
                    if kind == "upload":
                        datasets[client] = server.command("newds")["dataset_id"]
                    ds = datasets[client]
                    target = work / ("%s-%s-%d" % (kind, client, r))
                    shutil.rmtree(target, ignore_errors=True)
                    spec = dict(
                        base, workflow=kind, client=client, dataset=ds, files=str(files), out=str(target)
                    )
                    result = self.one(server, spec)
                    if kind == "upload":
                        result["stored"] = server.command("dsinfo %s" % ds)
                    rounds[kind][client].append(result)
                    shutil.rmtree(target, ignore_errors=True)
            _env.log("workflows upload/download/export: round %d/%d done" % (r + 1, self.a.wf_rounds))
        for kind in kinds:
            if kind in self.selected:
                out[kind] = {"clients": CLIENTS, "rounds": rounds[kind]}
        return out


# -- summary and table ------------------------------------------------------------------------------


def _median(values: List[float]) -> float:
    import statistics

    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else float("nan")


def _paired(a: List[Optional[float]], b: List[Optional[float]], fn: Callable[[float, float], float]) -> float:
    return _median([fn(x, y) for x, y in zip(a, b) if x and y])


def summarise(
    raw: Dict[str, Any],
    targets: List[Dict[str, Any]],
    checks: List[Dict[str, Any]],
    make_target: Callable[..., Dict[str, Any]],
) -> Dict[str, Any]:
    p, ideal = raw["params"], raw["ideals"]
    s: Dict[str, Any] = {"params": p, "ideals": ideal, "workflows": {}}
    for kind in WORKFLOWS:
        if kind not in raw:
            continue
        r = raw[kind]["rounds"]
        clients = raw[kind]["clients"]
        secs = {c: [x.get("seconds") if x.get("ok") else None for x in r[c]] for c in clients}
        w: Dict[str, Any] = {
            "ideal_seconds": ideal[kind]["seconds"],
            "formula": ideal[kind]["formula"],
            "clients": {},
        }
        for c in clients:
            runs = r[c]
            w["clients"][c] = {
                "rounds_seconds": secs[c],
                "median_seconds": _median(secs[c]),
                "vs_ideal": _median([x / ideal[kind]["seconds"] for x in secs[c] if x]),
                "requests": _median([x["server"]["requests"] for x in runs]),
                "connections": [x["server"]["connections_opened"] for x in runs],
                "max_open": [x["server"].get("max_connections_open") for x in runs],
                "failed_rounds": sum(1 for x in runs if not x.get("ok")),
                "errors": sorted({x.get("error", "")[:200] for x in runs if not x.get("ok")}),
                "digests": sorted({str(x.get("digest")) for x in runs if x.get("ok")}),
            }
            if kind == "threads32":
                w["clients"][c]["throughput"] = _median(
                    [x.get("throughput") if x.get("ok") else None for x in runs]
                )
        w["speedup_vs_official"] = _paired(secs["ours"], secs["official"], lambda o, b: b / o)
        if "ours-1000" in secs:
            w["speedup_1000_vs_official"] = _paired(secs["ours-1000"], secs["official"], lambda o, b: b / o)
        s["workflows"][kind] = w
    wf = s["workflows"]
    ms = round(1000 * p["latency"])
    if "walk" in wf:
        default = raw.get("walk_official_default") or {}
        s["walk_official_default"] = {
            "ok": default.get("ok"),
            "assets": default.get("assets"),
            "error": default.get("error"),
            "requests": (default.get("server") or {}).get("requests"),
        }
        targets.append(
            make_target(
                "6a",
                "walk %d assets at %d ms with the default walk: time vs ideal" % (p["walk_assets"], ms),
                wf["walk"]["clients"]["ours"]["vs_ideal"],
                1.5,
                False,
                "x",
            )
        )
    for kind, ident in (("upload", "6b"), ("download", "6c")):
        if kind in wf:
            what = "%s %d files of 10-100 KiB" % (kind, p["files"])
            targets.append(
                make_target(
                    ident + "1",
                    what + ": throughput vs official",
                    wf[kind]["speedup_vs_official"],
                    1.5,
                    True,
                    "x",
                )
            )
            targets.append(
                make_target(
                    ident + "2",
                    what + ": time vs ideal",
                    wf[kind]["clients"]["ours"]["vs_ideal"],
                    2.0,
                    False,
                    "x",
                )
            )
    if "export" in wf:
        targets.append(
            make_target(
                "6d",
                "export a dataset and download it: speed vs official",
                wf["export"]["speedup_vs_official"],
                2.0,
                True,
                "x",
            )
        )
    if "threads32" in wf:
        t = wf["threads32"]
        targets.append(
            make_target(
                "6e1",
                "32 threads walking 32 datasets, one client: throughput vs official",
                t["speedup_vs_official"],
                1.5,
                True,
                "x",
            )
        )
        targets.append(
            make_target(
                "6e2",
                "32 threads: TCP connections opened (worst round) vs max_connections",
                float(max(t["clients"]["ours"]["connections"], default=-1)),
                float(p["max_connections"]),
                False,
                "",
                "%.0f",
            )
        )
    for kind, w in wf.items():
        names = list(w["clients"])
        both = [w["clients"][c]["digests"] for c in names]
        same = all(len(d) == 1 for d in both) and all(d == both[0] for d in both)
        failures = {c: w["clients"][c]["failed_rounds"] for c in names if w["clients"][c]["failed_rounds"]}
        checks.append(
            {
                "what": "workflow %s: both clients got the same data in every round" % kind,
                "ok": same,
                "detail": {"digests": dict(zip(names, both)), "failed_rounds": failures},
            }
        )
    if "upload" in raw:
        stored = {c: sorted({json_key(x.get("stored")) for x in raw["upload"]["rounds"][c]}) for c in CLIENTS}
        ok = all(len(v) == 1 for v in stored.values()) and stored["ours"] == stored["official"]
        checks.append(
            {
                "what": "workflow upload: the server stored the same files for both clients",
                "ok": ok,
                "detail": stored,
            }
        )
    return s


def json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


LABEL = {
    "walk": "(a) walk a %(walk_assets)d-asset dataset",
    "upload": "(b) upload %(files)d files of 10-100 KiB",
    "download": "(c) download those %(files)d assets",
    "export": "(d) export the dataset, download it to disk",
    "threads32": "(e) 32 threads x %(per_thread)d assets, one client",
}


def table(s: Dict[str, Any], add: Callable[[str], None]) -> None:
    p = s["params"]
    add(
        "6. ETL workflows, LocalViServer with %d ms latency on every request, operations finish %.1f s after"
        " they are due; %d MiB of files"
        % (round(1000 * p["latency"]), p["operation_delay"], p.get("file_bytes", 0) // (1024 * 1024))
    )
    add(
        "  %-44s %10s %10s %10s %8s %8s %9s"
        % ("", "vi s", "vi-sdk s", "ideal s", "vi/ideal", "speedup", "requests")
    )
    for kind, w in s["workflows"].items():
        o, b = w["clients"]["ours"], w["clients"]["official"]
        add(
            "  %-44s %10.2f %10.2f %10.3f %7.2fx %7.2fx %9s"
            % (
                LABEL[kind] % p,
                o["median_seconds"],
                b["median_seconds"],
                w["ideal_seconds"],
                o["vs_ideal"],
                w["speedup_vs_official"],
                "%d/%d" % (o["requests"], b["requests"]),
            )
        )
    for kind, w in s["workflows"].items():
        v = w["clients"].get("ours-1000")
        if v:
            add(
                "    vi with an explicit page_size=1000 %-20s %10.2f %21s %7.2fx %7.2fx %9d"
                % (
                    "(%s)" % kind,
                    v["median_seconds"],
                    "",
                    v["vs_ideal"],
                    w.get("speedup_1000_vs_official", float("nan")),
                    v["requests"],
                )
            )
    add("  vi runs with its [fast] extra (compiled CRC-32C for uploads), as vi-sdk ships a compiled one")
    add("  ideal = fewest round trips x latency (+ the server's operation delay); no CPU anywhere:")
    for kind, w in s["workflows"].items():
        add("    %-9s %s = %.3f s" % (kind, w["formula"], w["ideal_seconds"]))
    d = s.get("walk_official_default")
    if d:
        add(
            "  vi-sdk's documented walk (client.assets(ds)) stopped after %s assets and %s requests: %s"
            % (d.get("assets"), d.get("requests"), d.get("error") or "no error")
        )
        add(
            "  so vi-sdk's figures for (a) and (e) ask for each page by hand (assets.list with page_size=1000)"
        )
    if "threads32" in s["workflows"]:
        t = s["workflows"]["threads32"]["clients"]
        add(
            "  (e) assets/s: vi %.0f (page_size=1000: %.0f), vi-sdk %.0f; TCP connections opened: vi %s,"
            " vi-sdk %s (max_connections %d)"
            % (
                t["ours"].get("throughput", float("nan")),
                t.get("ours-1000", {}).get("throughput", float("nan")),
                t["official"].get("throughput", float("nan")),
                _span(t["ours"]["connections"]),
                _span(t["official"]["connections"]),
                p["max_connections"],
            )
        )
    for kind, w in s["workflows"].items():
        for c in w["clients"]:
            if w["clients"][c]["failed_rounds"]:
                add(
                    "  %s: %s failed %d round(s): %s"
                    % (kind, c, w["clients"][c]["failed_rounds"], "; ".join(w["clients"][c]["errors"])[:300])
                )
    add("")


def _span(values: List[int]) -> str:
    return "%d-%d" % (min(values), max(values)) if values else "-"
