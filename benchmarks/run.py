#!/usr/bin/env python3
"""``python benchmarks/run.py [--quick]``: set everything up, measure, print a table.

Builds (once, cached under ``benchmarks/.cache/``) a venv with our dependencies, a venv with the
official ``vi-sdk`` from PyPI, and nginx from Debian; starts nginx, a 20 ms latency server and a
``LocalViServer`` with a large dataset on 127.0.0.1; runs every scenario for every client in fresh
processes, interleaving the clients round by round; and writes

* the table (stdout),
* ``benchmarks/results/latest.json`` (every round's raw number, medians, ratios, targets),
* ``docs/_static/benchmarks.png`` and the results section of ``docs/performance.rst``.

All ratios compare figures measured in the same run. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _env  # noqa: E402
import _report  # noqa: E402
from _services import Nginx, PyServer, clear_scratch, run_worker, scratch_dir, time_command  # noqa: E402
from _workflows import WORKFLOWS, Workflows  # noqa: E402

SCENARIOS = ("get", "decode", "page", "threads", "memory", "import") + WORKFLOWS
ALIASES = {"workflows": WORKFLOWS}
OFFICIAL = ("official", "official-quiet")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a ~1-minute smoke run (3 rounds, small counts)")
    p.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help="comma-separated scenarios to run: %s; workflows = the last five (default: all)"
        % ",".join(SCENARIOS),
    )
    p.add_argument("--rounds", type=int, help="rounds per scenario (default 5, quick 3)")
    p.add_argument("--get-calls", type=int, help="calls per timed batch in scenario 1 (default 1000)")
    p.add_argument("--get-batches", type=int, help="timed batches per process in scenario 1 (default 3)")
    p.add_argument("--decode-seconds", type=float, help="length of one timed decode batch (default 0.2)")
    p.add_argument("--page-calls", type=int, help="list calls per timed batch in scenario 7 (default 100)")
    p.add_argument("--threads", type=int, default=32, help="threads in scenario 3 (default 32)")
    p.add_argument("--thread-requests", type=int, help="requests per round in scenario 3 (default 2000)")
    p.add_argument(
        "--latency", type=float, default=0.02, help="server latency in scenario 3 (default 0.02 s)"
    )
    p.add_argument("--memory-assets", type=int, help="longest walk in scenario 4 (default 100000)")
    p.add_argument("--page-size", type=int, default=1000, help="page size in scenario 4 (default 1000)")
    p.add_argument("--import-runs", type=int, help="fresh processes per client in scenario 5 (default 20)")
    p.add_argument("--wf-rounds", type=int, help="rounds of the workflows (default 3, quick 1)")
    p.add_argument("--wf-latency", type=float, default=0.02, help="workflow server latency (default 0.02 s)")
    p.add_argument(
        "--wf-delay", type=float, default=1.0, help="workflow server operation delay (default 1.0 s)"
    )
    p.add_argument("--wf-files", type=int, help="files uploaded, downloaded, exported (default 1000)")
    p.add_argument("--wf-walk", type=int, help="assets walked in workflow (a) (default 10000)")
    p.add_argument("--wf-per-thread", type=int, help="assets per dataset in workflow (e) (default 1500)")
    p.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.rst or the plot")
    p.add_argument(
        "--docs", action="store_true", help="rewrite them even after --quick (default: full runs only)"
    )
    p.add_argument("--output", default=str(_env.HERE / "results" / "latest.json"), help="JSON results file")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "rounds": 3 if quick else 5,
        "get_calls": 300 if quick else 1000,
        "get_batches": 2 if quick else 3,
        "page_calls": 50 if quick else 100,
        "decode_seconds": 0.05 if quick else 0.2,
        "thread_requests": 640 if quick else 2000,
        "memory_assets": 20000 if quick else 100000,
        "import_runs": 6 if quick else 20,
        "wf_rounds": 1 if quick else 3,
        "wf_files": 200 if quick else 1000,
        "wf_walk": 10000,
        "wf_per_thread": 300 if quick else 1500,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    only: List[str] = []
    for name in (s.strip() for s in args.only.split(",")):
        only.extend(ALIASES.get(name, (name,) if name else ()))
    args.only = only
    unknown = sorted(set(args.only) - set(SCENARIOS))
    if unknown:
        p.error("unknown scenario(s): %s" % ", ".join(unknown))
    if args.rounds < 1 or args.threads < 1:
        p.error("--rounds and --threads must be >= 1")
    return args


def rotated(items: List[str], round_index: int) -> List[str]:
    """Round r starts with a different client, so none always runs first (or last) on a warm core."""
    k = round_index % len(items)
    return items[k:] + items[:k]


def median(values: List[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Harness:
    def __init__(self, args: argparse.Namespace, stack: ExitStack) -> None:
        self.args = args
        self.stack = stack
        self.bench_python = _env.ensure_bench_venv()
        self.official_python = _env.ensure_official_venv()
        self._fast_python: Optional[Path] = None
        self._nginx: Optional[Nginx] = None

    def python_for(self, client: str) -> Path:
        if client == "ours-fast":
            if self._fast_python is None:
                self._fast_python = _env.ensure_bench_venv(_env.SPEED_EXTRA)
            return self._fast_python
        return self.official_python if client in OFFICIAL else self.bench_python

    def worker(
        self, spec: Dict[str, Any], timeout: float = 300.0, script: Optional[Path] = None
    ) -> Dict[str, Any]:
        client = spec["client"]
        return run_worker(
            self.python_for(client), spec, official=client in OFFICIAL, timeout=timeout, script=script
        )

    def interleave(
        self,
        scenario: str,
        clients: List[str],
        spec: Callable[[str], Dict[str, Any]],
        timeout: float,
        before: Optional[Callable[[], Any]] = None,
        after: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> Dict[str, Any]:
        """`rounds` rounds; each runs every client once, in an order rotated per round.

        A client whose worker fails (crash, hang past `timeout`) is reported and left out of the
        remaining rounds, so one broken client costs one timeout, not one per round."""
        rounds: Dict[str, List[Dict[str, Any]]] = {c: [] for c in clients}
        failures: Dict[str, str] = {}
        for r in range(self.args.rounds):
            for client in rotated(clients, r):
                if client in failures:
                    continue
                if before is not None:
                    before()
                try:
                    result = self.worker(spec(client), timeout=timeout)
                except RuntimeError as exc:
                    failures[client] = str(exc)[-1500:]
                    _env.log(
                        "%s: %s FAILED, left out from now on:\n%s" % (scenario, client, failures[client])
                    )
                    continue
                if after is not None:
                    after(result)
                rounds[client].append(result)
            _env.log("%s: round %d/%d done" % (scenario, r + 1, self.args.rounds))
        return {"clients": clients, "rounds": rounds, "failures": failures}

    def nginx(self) -> Nginx:
        if self._nginx is None:
            _env.log("starting nginx ...")
            server = Nginx().start()
            self.stack.callback(server.stop)
            self._nginx = server
        return self._nginx

    def target(self, endpoint: str, **extra: Any) -> Dict[str, Any]:
        return dict(endpoint=endpoint, org=_env.ORG, dsid=_env.DSID, secret=_env.SECRET, **extra)

    # -- scenario 1 ------------------------------------------------------------------------------

    def scenario_get(self) -> Dict[str, Any]:
        a = self.args
        clients = ["ours", "official", "official-quiet", "requests", "urllib3"]
        base = self.target(
            self.nginx().url,
            scenario="get",
            warmup=max(50, a.get_calls // 5),
            calls=a.get_calls,
            batches=a.get_batches,
            max_seconds=60,
        )
        out = self.interleave("get", clients, lambda c: dict(base, client=c), timeout=120)
        out["names"] = sorted({x["name"] for runs in out["rounds"].values() for x in runs})
        return out

    # -- scenario 2 ------------------------------------------------------------------------------

    def scenario_decode(self) -> Dict[str, Any]:
        a = self.args
        clients = ["json", "ours", "marshmallow", "official"]
        page = _env.write_static_site() / "assets" / "p0.json"
        base = dict(scenario="decode", page_file=str(page), target_seconds=a.decode_seconds, batches=5)
        out = self.interleave("decode", clients, lambda c: dict(base, client=c), timeout=120)
        out["body_bytes"] = page.stat().st_size
        out["decoded"] = sorted(
            {
                "%s items, first %s" % (x["items"], x["first_id"])
                for runs in out["rounds"].values()
                for x in runs
            }
        )
        return out

    # -- scenario 7: list-page cost -------------------------------------------------------------

    def scenario_page(self) -> Dict[str, Any]:
        """One 100-asset page listed and decoded, per call: the HTTP round trip to nginx included."""
        a = self.args
        clients = ["ours", "ours-fast", "official", "requests"]
        base = self.target(
            self.nginx().url,
            scenario="page",
            warmup=max(20, a.page_calls // 5),
            calls=a.page_calls,
            batches=a.get_batches,
            max_seconds=15,
        )
        out = self.interleave("page", clients, lambda c: dict(base, client=c), timeout=120)
        out["decoded"] = sorted(
            {
                "%s items, first %s" % (x["items"], x["first_id"])
                for runs in out["rounds"].values()
                for x in runs
            }
        )
        out["fast_packages"] = sorted({x.get("json_backend", "?") for x in out["rounds"]["ours-fast"]})
        return out

    # -- scenario 3 ------------------------------------------------------------------------------

    def scenario_threads(self) -> Dict[str, Any]:
        a = self.args
        clients = ["ours", "official", "official-quiet", "requests", "urllib3"]
        dataset = _env.write_static_site() / "dataset.json"
        server = PyServer(self.bench_python, ["latency", str(dataset), str(a.latency)])
        self.stack.callback(server.stop)
        base = self.target(
            server.url,
            scenario="threads",
            threads=a.threads,
            requests=a.thread_requests,
            max_seconds=max(60.0, 4 * a.thread_requests * a.latency / a.threads + 30),
        )

        def after(result: Dict[str, Any]) -> None:
            time.sleep(0.05)  # let the server see the closes before reading counters
            result["server"] = server.command("stats")

        try:
            out = self.interleave(
                "threads",
                clients,
                lambda c: dict(base, client=c),
                timeout=base["max_seconds"] + 60,
                before=lambda: server.command("reset"),
                after=after,
            )
        finally:
            server.stop()
        out.update(
            latency=a.latency,
            threads=a.threads,
            requests=a.thread_requests,
            names=sorted({n for runs in out["rounds"].values() for x in runs for n in x["names"]}),
        )
        return out

    # -- scenario 4 ------------------------------------------------------------------------------

    def scenario_memory(self) -> Dict[str, Any]:
        a = self.args
        sizes = sorted({a.page_size, min(10 * a.page_size, a.memory_assets), a.memory_assets})
        _env.log("memory: seeding a LocalViServer with %d assets ..." % a.memory_assets)
        server = PyServer(self.bench_python, ["local", _env.ORG, _env.SECRET, str(a.memory_assets)])
        self.stack.callback(server.stop)
        names = [str(n) for n in sizes]
        base = dict(
            endpoint=server.url,
            org=_env.ORG,
            dsid=server.hello["dataset_id"],
            secret=_env.SECRET,
            scenario="memory",
            client="ours",
            page_size=a.page_size,
            max_seconds=300,
        )
        try:
            out = self.interleave("memory", names, lambda n: dict(base, assets=int(n)), timeout=400)
        finally:
            server.stop()
        out.update(sizes=sizes, page_size=a.page_size, seed_seconds=server.hello.get("seed_seconds"))
        return out

    # -- scenario 5 ------------------------------------------------------------------------------

    def scenario_import(self) -> Dict[str, Any]:
        a = self.args
        home = scratch_dir() / "home-import"
        home.mkdir(parents=True, exist_ok=True)
        # ours: the repository is the working directory (so `vi` is the repository's), no PYTHONPATH;
        # official: a directory outside the repository. Same flags for both: -E -s.
        runs = {
            "ours": ([str(self.bench_python), "-E", "-s", "-c", "import vi"], str(_env.REPO)),
            "official": ([str(self.official_python), "-E", "-s", "-c", "import vi"], str(home)),
            "python (bench venv)": ([str(self.bench_python), "-E", "-s", "-c", "pass"], str(_env.REPO)),
            "python (official venv)": ([str(self.official_python), "-E", "-s", "-c", "pass"], str(home)),
        }
        env = _env.clean_env(HOME=str(home))
        which = {}
        for name in ("ours", "official"):
            cmd, cwd = runs[name]
            out = subprocess.run(
                cmd[:-1] + ["import vi; print(vi.__file__)"],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            which[name] = out.stdout.strip() or out.stderr.strip()[-500:]
        assert which["ours"].startswith(str(_env.REPO / "vi")), which
        assert not which["official"].startswith(str(_env.REPO / "vi")), which
        names = list(runs)
        for name in names:  # warm the bytecode caches and the page cache
            time_command(runs[name][0], runs[name][1], env)
        rounds: Dict[str, List[float]] = {n: [] for n in names}
        for r in range(a.import_runs):
            for name in rotated(names, r):
                rounds[name].append(time_command(runs[name][0], runs[name][1], env))
        _env.log("import: %d runs each done" % a.import_runs)
        importtime = self.importtime(env)
        return {"clients": names, "rounds": rounds, "vi_files": which, "importtime": importtime}

    def importtime(self, env: Dict[str, str], runs: int = 5) -> Dict[str, Any]:
        """``-X importtime`` of ours: per module self and cumulative µs (median of `runs`)."""
        samples: Dict[str, Dict[str, List[int]]] = {}
        order: List[str] = []
        for _ in range(runs):
            done = subprocess.run(
                [str(self.bench_python), "-E", "-s", "-X", "importtime", "-c", "import vi"],
                cwd=str(_env.REPO),
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            for line in done.stderr.splitlines():
                m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)", line)
                if not m:
                    continue
                name = m.group(4)
                depth = (len(m.group(3)) - 1) // 2
                entry = samples.setdefault(name, {"self": [], "cumulative": [], "depth": [depth]})
                entry["self"].append(int(m.group(1)))
                entry["cumulative"].append(int(m.group(2)))
                if name not in order:
                    order.append(name)
        modules = [
            {
                "module": n,
                "self_us": int(median(samples[n]["self"])),
                "cumulative_us": int(median(samples[n]["cumulative"])),
                "depth": samples[n]["depth"][0],
            }
            for n in order
        ]
        total = next((m["cumulative_us"] for m in modules if m["module"] == "vi"), None)
        return {
            "total_us": total,
            "top_self": sorted(modules, key=lambda m: -m["self_us"])[:12],
            "top_cumulative": sorted(
                [m for m in modules if m["module"] != "vi"], key=lambda m: -m["cumulative_us"]
            )[:12],
        }


def machine_info(h: Harness) -> Dict[str, Any]:
    def version(python: Path, code: str) -> str:
        out = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "bench_venv": version(
            h.bench_python,
            "import requests, urllib3, marshmallow, tenacity; "
            "from importlib.metadata import version as v; "
            "print(' '.join('%s %s' % (p, v(p)) for p in "
            "('requests','urllib3','marshmallow','tenacity')))",
        ),
        "official": version(
            h.official_python,
            "from importlib.metadata import version as v; "
            "print('vi-sdk', v('vi-sdk'), 'httpx', v('httpx'), 'msgspec', v('msgspec'))",
        ),
        "nginx": subprocess.run([_env.ensure_nginx(), "-v"], capture_output=True, text=True).stderr.strip(),
    }


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    raw: Dict[str, Any] = {}
    with ExitStack() as stack:
        stack.callback(clear_scratch)
        harness = Harness(args, stack)
        info = machine_info(harness)
        steps: Dict[str, Callable[[], Dict[str, Any]]] = {
            "get": harness.scenario_get,
            "decode": harness.scenario_decode,
            "page": harness.scenario_page,
            "threads": harness.scenario_threads,
            "memory": harness.scenario_memory,
            "import": harness.scenario_import,
        }
        try:
            for name in SCENARIOS:
                if name in args.only and name in steps:
                    t0 = time.perf_counter()
                    raw[name] = steps[name]()
                    raw[name]["wall_seconds"] = time.perf_counter() - t0
            chosen = [w for w in WORKFLOWS if w in args.only]
            if chosen:
                t0 = time.perf_counter()
                raw["workflows"] = Workflows(harness, chosen).run()
                raw["workflows"]["wall_seconds"] = time.perf_counter() - t0
        except KeyboardInterrupt:
            _env.log("interrupted: stopping servers")
            return 130
    info["wall_seconds"] = time.perf_counter() - started
    info["args"] = {k: v for k, v in vars(args).items() if k not in ("output",)}
    results = _report.summarise(raw, info)
    table = _report.table(results)
    print(table)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=repr) + "\n")
    _env.log("wrote %s" % out)
    if args.docs or not (args.no_docs or args.quick):
        png = _env.REPO / "docs" / "_static" / "benchmarks.png"
        try:
            _report.plot(harness.bench_python, out, png, png.with_name("workflows.png"))
            _env.log("wrote %s" % png)
        except RuntimeError as exc:
            _env.log("plot failed: %s" % exc)
        _report.update_docs(results, table, _env.REPO / "docs" / "performance.rst")
        _env.log("updated docs/performance.rst")
    return 0


if __name__ == "__main__":
    sys.exit(main())
