"""Turn raw measurements into medians, same-run ratios, target verdicts, a table, a plot, a docs page.

Every ratio is the median of per-round ratios: round r of client A is compared with round r of
the baseline, which ran next to it (interleaved), so slow drift of a noisy machine cancels out.
"""

from __future__ import annotations

import math
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import _env
import _workflows

MiB = 1024.0 * 1024.0


def _median(values: List[float]) -> float:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else float("nan")


def _paired(a: List[float], b: List[float], fn: Any) -> float:
    return _median([fn(x, y) for x, y in zip(a, b) if x and y])


def _target(
    ident: str, what: str, value: float, limit: float, higher_is_better: bool, unit: str, fmt: str = "%.2f"
) -> Dict[str, Any]:
    met = (value >= limit) if higher_is_better else (value <= limit)
    if math.isnan(value):
        met = False
    margin = (value - limit) if higher_is_better else (limit - value)
    return {
        "id": ident,
        "what": what,
        "value": value,
        "limit": limit,
        "unit": unit,
        "met": met,
        "higher_is_better": higher_is_better,
        "margin": margin,
        "text": "%s %s %s%s" % (fmt % value + unit, ">=" if higher_is_better else "<=", fmt % limit, unit),
    }


def summarise(raw: Dict[str, Any], info: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"meta": info, "scenarios": {}, "targets": [], "checks": []}
    scen, targets, checks = out["scenarios"], out["targets"], out["checks"]

    for name, r in raw.items():
        for client, error in (r.get("failures") or {}).items():
            checks.append(
                {"what": "scenario %s: %s ran" % (name, client), "ok": False, "detail": error[-300:]}
            )

    if "get" in raw:
        r = raw["get"]
        spc = {c: [x["seconds_per_call"] for x in r["rounds"][c]] for c in r["clients"]}
        s: Dict[str, Any] = {"unit": "us/call", "clients": {}}
        for c in r["clients"]:
            med = _median(spc[c])
            s["clients"][c] = {
                "rounds_us": [v * 1e6 for v in spc[c]],
                "median_us": med * 1e6,
                "per_second": 1.0 / med,
                "vs_ours": _paired(spc["ours"], spc[c], lambda o, x: x / o),
            }
        s["throughput_vs_official"] = _paired(spc["ours"], spc["official"], lambda o, b: b / o)
        s["throughput_vs_official_quiet"] = _paired(spc["ours"], spc["official-quiet"], lambda o, b: b / o)
        s["overhead_vs_requests"] = _paired(spc["ours"], spc["requests"], lambda o, b: o / b - 1.0)
        s["overhead_vs_urllib3"] = _paired(spc["ours"], spc["urllib3"], lambda o, b: o / b - 1.0)
        scen["get"] = s
        targets.append(
            _target(
                "1a",
                "datasets.get throughput vs official (1 thread, nginx)",
                s["throughput_vs_official"],
                1.0,
                True,
                "x",
            )
        )
        targets.append(
            _target(
                "1b",
                "datasets.get cost over requests.Session.get + json.loads",
                100 * s["overhead_vs_requests"],
                15.0,
                False,
                " %",
                "%.1f",
            )
        )
        checks.append(
            {
                "what": "scenario 1: every client decoded the same dataset name",
                "ok": len(r["names"]) == 1,
                "detail": r["names"],
            }
        )

    if "decode" in raw:
        r = raw["decode"]
        spp = {c: [x["seconds_per_page"] for x in r["rounds"][c]] for c in r["clients"]}
        s = {"unit": "us/page", "body_bytes": r["body_bytes"], "clients": {}}
        for c in r["clients"]:
            s["clients"][c] = {
                "rounds_us": [v * 1e6 for v in spp[c]],
                "median_us": _median(spp[c]) * 1e6,
                "vs_json": _paired(spp["json"], spp[c], lambda j, x: x / j),
            }
        scen["decode"] = s
        targets.append(
            _target(
                "2",
                "decode a 100-asset page into models vs json.loads",
                s["clients"]["ours"]["vs_json"],
                3.0,
                False,
                "x",
            )
        )
        checks.append(
            {
                "what": "scenario 2: every decoder saw the same items",
                "ok": len(r["decoded"]) == 1,
                "detail": r["decoded"],
            }
        )

    if "page" in raw:
        r = raw["page"]
        spc = {c: [x["seconds_per_call"] for x in r["rounds"][c]] for c in r["clients"]}
        s = {"unit": "us/page", "clients": {}, "fast_packages": r.get("fast_packages")}
        for c in r["clients"]:
            s["clients"][c] = {
                "rounds_us": [v * 1e6 for v in spc[c]],
                "median_us": _median(spc[c]) * 1e6,
                "vs_requests": _paired(spc["requests"], spc[c], lambda q, x: x / q),
                "vs_official": _paired(spc["official"], spc[c], lambda o, x: x / o),
            }
        scen["page"] = s
        targets.append(
            _target(
                "7a",
                "list a 100-asset page (nginx), core dependencies: time vs requests.get + json.loads",
                s["clients"]["ours"]["vs_requests"],
                1.3,
                False,
                "x",
            )
        )
        targets.append(
            _target(
                "7b",
                "list a 100-asset page with the [%s] extra: time vs official" % _env.SPEED_EXTRA,
                s["clients"]["ours-fast"]["vs_official"],
                1.0,
                False,
                "x",
            )
        )
        checks.append(
            {
                "what": "scenario 7: every client listed the same page",
                "ok": len(r["decoded"]) == 1,
                "detail": r["decoded"],
            }
        )

    if "threads" in raw:
        r = raw["threads"]
        tput = {c: [x["throughput"] for x in r["rounds"][c]] for c in r["clients"]}
        conns = {c: [x["server"]["connections_opened"] for x in r["rounds"][c]] for c in r["clients"]}
        s = {
            "unit": "req/s",
            "threads": r["threads"],
            "requests": r["requests"],
            "latency": r["latency"],
            "ideal_per_second": r["threads"] / r["latency"],
            "clients": {},
        }
        for c in r["clients"]:
            s["clients"][c] = {
                "rounds": tput[c],
                "median": _median(tput[c]),
                "vs_ours": _paired(tput["ours"], tput[c], lambda o, x: x / o),
                "connections": conns[c],
                "max_connections": max(conns[c], default=-1),
                "errors": sum(x["error_count"] for x in r["rounds"][c]),
                "first_errors": [e for x in r["rounds"][c] for e in x["errors"]][:3],
            }
        s["throughput_vs_official"] = _paired(tput["ours"], tput["official"], lambda o, b: o / b)
        s["throughput_vs_official_quiet"] = _paired(tput["ours"], tput["official-quiet"], lambda o, b: o / b)
        scen["threads"] = s
        targets.append(
            _target(
                "3a",
                "%d threads, one client, %d ms server: throughput vs official"
                % (r["threads"], round(1000 * r["latency"])),
                s["throughput_vs_official"],
                1.2,
                True,
                "x",
            )
        )
        targets.append(
            _target(
                "3b",
                "%d threads: TCP connections opened (worst round)" % r["threads"],
                float(s["clients"]["ours"]["max_connections"]),
                float(r["threads"]),
                False,
                "",
                "%.0f",
            )
        )
        complete = all(
            x["requests"] == r["requests"] and x["error_count"] == 0
            for runs in r["rounds"].values()
            for x in runs
        )
        checks.append(
            {
                "what": "scenario 3: every client completed every request without errors, same data",
                "ok": complete and len(r["names"]) == 1,
                "detail": {
                    c: s["clients"][c]["first_errors"] for c in r["clients"] if s["clients"][c]["errors"]
                }
                or r["names"],
            }
        )

    if "memory" in raw:
        r = raw["memory"]
        names = [str(n) for n in r["sizes"]]
        growth = {n: [x["growth"] for x in r["rounds"][n]] for n in names}
        page = names[0]
        s = {"unit": "MiB", "page_size": r["page_size"], "seed_seconds": r.get("seed_seconds"), "walks": {}}
        for n in names:
            s["walks"][n] = {
                "growth_mib": [g / MiB for g in growth[n]],
                "median_growth_mib": _median(growth[n]) / MiB,
                "pages_worth": _paired(growth[page], growth[n], lambda p, x: x / p),
                "seconds": _median([x["seconds"] for x in r["rounds"][n]]),
                "exact_peak": all(x["exact_peak"] for x in r["rounds"][n]),
            }
        scen["memory"] = s
        longest, ten = names[-1], (names[1] if len(names) > 2 else names[-1])
        targets.append(
            _target(
                "4a",
                "peak RSS growth walking %s assets, in pages' worth (1 page = %s assets)" % (longest, page),
                s["walks"][longest]["pages_worth"],
                2.0,
                False,
                "x",
            )
        )
        targets.append(
            _target(
                "4b",
                "peak RSS growth walking %s assets, in pages' worth" % ten,
                s["walks"][ten]["pages_worth"],
                2.0,
                False,
                "x",
            )
        )
        ok = all(x["assets"] == int(n) for n in names for x in r["rounds"][n])
        checks.append(
            {
                "what": "scenario 4: every walk yielded exactly the asked number of assets",
                "ok": ok,
                "detail": {n: sorted({x["assets"] for x in r["rounds"][n]}) for n in names},
            }
        )

    if "import" in raw:
        r = raw["import"]
        secs = r["rounds"]
        s = {"unit": "ms", "clients": {}, "vi_files": r["vi_files"], "importtime": r["importtime"]}
        for c in r["clients"]:
            s["clients"][c] = {"rounds_ms": [v * 1e3 for v in secs[c]], "median_ms": _median(secs[c]) * 1e3}
        s["ours_vs_official"] = _paired(secs["official"], secs["ours"], lambda o, x: x / o)
        s["ours_net_ms"] = (
            s["clients"]["ours"]["median_ms"] - s["clients"]["python (bench venv)"]["median_ms"]
        )
        s["official_net_ms"] = (
            s["clients"]["official"]["median_ms"] - s["clients"]["python (official venv)"]["median_ms"]
        )
        scen["import"] = s
        targets.append(
            _target(
                "5",
                "python -c 'import vi' (fresh process) vs official",
                s["ours_vs_official"],
                1.0,
                False,
                "x",
            )
        )
    if "workflows" in raw:
        scen["workflows"] = _workflows.summarise(raw["workflows"], targets, checks, _target)
    return out


# -- the table ------------------------------------------------------------------------------------

LABELS = {
    "ours": "vi (this package)",
    "official": "vi-sdk (official, default logging)",
    "official-quiet": "vi-sdk (official, file logging off)",
    "requests": "requests.Session + json.loads",
    "urllib3": "urllib3.PoolManager + json.loads",
    "json": "json.loads only",
    "marshmallow": "plain marshmallow Schema.load",
}


def _fmt_ratio(value: float) -> str:
    return "-" if value is None or math.isnan(value) else "%.2fx" % value


def table(results: Dict[str, Any]) -> str:
    meta = results["meta"]
    sc = results["scenarios"]
    args = meta.get("args", {})
    lines: List[str] = []
    add = lines.append
    add(
        "vi benchmarks  %s  Python %s  %s CPUs  %s rounds%s"
        % (
            meta["date"],
            meta["python"],
            meta["cpus"],
            args.get("rounds"),
            " (--quick)" if args.get("quick") else "",
        )
    )
    add("medians of rounds; ratios are medians of per-round ratios against a baseline of the same round")
    add("")
    w = 40

    def row(label: str, *cols: str) -> None:
        add("  %-*s %s" % (w, label, "".join("%14s" % c for c in cols)))

    if "get" in sc:
        s = sc["get"]
        add("1. client.datasets.get(), one thread, nginx on 127.0.0.1")
        row("", "us/call", "calls/s", "time vs vi")
        for c, v in s["clients"].items():
            row(LABELS.get(c, c), "%.0f" % v["median_us"], "%.0f" % v["per_second"], _fmt_ratio(v["vs_ours"]))
        add(
            "  -> vi throughput vs official: %s (vs official without file logging: %s)"
            % (_fmt_ratio(s["throughput_vs_official"]), _fmt_ratio(s["throughput_vs_official_quiet"]))
        )
        add(
            "  -> vi per-call cost over requests.Session.get + json.loads: %+.1f %%; over urllib3: %+.1f %%"
            % (100 * s["overhead_vs_requests"], 100 * s["overhead_vs_urllib3"])
        )
        add("")
    if "decode" in sc:
        s = sc["decode"]
        add("2. decoding one 100-asset page (%d bytes of JSON) into objects" % s["body_bytes"])
        row("", "us/page", "vs json")
        names = {"ours": "vi: json.loads + decode_many", "official": "vi-sdk: msgspec.json.decode"}
        for c, v in s["clients"].items():
            row(names.get(c, LABELS.get(c, c)), "%.0f" % v["median_us"], _fmt_ratio(v["vs_json"]))
        add("")
    if "page" in sc:
        s = sc["page"]
        add("7. list one 100-asset page (request + decode), one thread, nginx on 127.0.0.1")
        row("", "us/page", "vs requests", "vs vi-sdk")
        names = {
            "ours": "vi, core dependencies",
            "ours-fast": "vi with [%s] (%s)" % (_env.SPEED_EXTRA, ", ".join(s.get("fast_packages") or [])),
            "official": "vi-sdk (official, file logging off)",
            "requests": "requests.Session.get + json.loads",
        }
        for c, v in s["clients"].items():
            row(
                names.get(c, c),
                "%.0f" % v["median_us"],
                _fmt_ratio(v["vs_requests"]),
                _fmt_ratio(v["vs_official"]),
            )
        add("")
    if "threads" in sc:
        s = sc["threads"]
        add(
            "3. %d threads sharing one client, %d requests, server with a fixed %d ms latency (ideal %.0f req/s)"
            % (s["threads"], s["requests"], round(1000 * s["latency"]), s["ideal_per_second"])
        )
        row("", "req/s", "vs vi", "TCP conns")
        for c, v in s["clients"].items():
            row(
                LABELS.get(c, c),
                "%.0f" % v["median"],
                _fmt_ratio(v["vs_ours"]),
                "%d-%d" % (min(v["connections"]), max(v["connections"])) if v["connections"] else "-",
            )
        add(
            "  -> vi throughput vs official: %s (vs official without file logging: %s)"
            % (_fmt_ratio(s["throughput_vs_official"]), _fmt_ratio(s["throughput_vs_official_quiet"]))
        )
        add("")
    if "memory" in sc:
        s = sc["memory"]
        add(
            "4. peak RSS growth while iterating assets (vi, pages of %d, LocalViServer, fresh process per walk)"
            % s["page_size"]
        )
        row("", "MiB", "pages' worth", "seconds")
        for n, v in s["walks"].items():
            row(
                "%s assets" % n,
                "%.1f" % v["median_growth_mib"],
                _fmt_ratio(v["pages_worth"]),
                "%.1f" % v["seconds"],
            )
        add("")
    if "import" in sc:
        s = sc["import"]
        add("5. python -c 'import vi' in a fresh process")
        row("", "ms", "net of python")
        bare = {"ours": "python (bench venv)", "official": "python (official venv)"}
        for c, v in s["clients"].items():
            net = "%.1f" % (v["median_ms"] - s["clients"][bare[c]]["median_ms"]) if c in bare else ""
            row({"ours": "vi", "official": "vi-sdk (official)"}.get(c, c), "%.1f" % v["median_ms"], net)
        add("  -> vi vs official: %s" % _fmt_ratio(s["ours_vs_official"]))
        it = s.get("importtime") or {}
        if it.get("top_cumulative"):
            add(
                "  slowest imports under `import vi` (-X importtime, cumulative us): "
                + ", ".join("%s %d" % (m["module"], m["cumulative_us"]) for m in it["top_cumulative"][:6])
            )
        add("")
    if "workflows" in sc:
        _workflows.table(sc["workflows"], add)
    add("Targets")
    for t in results["targets"]:
        verdict = "MET " if t["met"] else "MISS"
        add("  [%s] %-3s %s: %s" % (verdict, t["id"], t["what"], t["text"]))
    bad = [c for c in results["checks"] if not c["ok"]]
    add(
        "Same-data checks: %s"
        % (
            "all passed"
            if not bad
            else "FAILED: " + "; ".join("%s (%s)" % (c["what"], c["detail"]) for c in bad)
        )
    )
    add("wall time %.0f s" % meta.get("wall_seconds", 0))
    return "\n".join(lines)


# -- plot and docs --------------------------------------------------------------------------------


def plot(python: Path, results_json: Path, png: Path, workflows_png: Path) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            str(python),
            str(_env.HERE / "workers" / "plot.py"),
            str(results_json),
            str(png),
            str(workflows_png),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env.clean_env(MPLBACKEND="Agg"),
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])


BEGIN = ".. benchmark-results-begin"
END = ".. benchmark-results-end"


def results_rst(results: Dict[str, Any], text: str) -> str:
    meta = results["meta"]
    rows = []
    for t in results["targets"]:
        rows.append(
            "   * - %s\n     - %s\n     - %s\n     - %s"
            % (
                t["id"],
                t["what"].replace("*", r"\*"),
                t["text"].replace("*", r"\*"),
                "met" if t["met"] else "**missed**",
            )
        )
    return "\n".join(
        [
            BEGIN,
            "",
            "Last run: %s, Python %s on %s, %s CPUs; %s; %s; %s."
            % (
                meta["date"],
                meta["python"],
                meta["platform"],
                meta["cpus"],
                meta.get("bench_venv", ""),
                meta.get("official", ""),
                meta.get("nginx", "").replace("nginx version: ", ""),
            ),
            "",
            ".. list-table:: Targets (ratios measured in the same run)",
            "   :header-rows: 1",
            "   :widths: 6 54 25 15",
            "",
            "   * - #\n     - what\n     - measured\n     - verdict",
            "\n".join(rows),
            "",
            "The full table, as ``python benchmarks/run.py`` printed it:",
            "",
            ".. code-block:: text",
            "",
            "\n".join(("   " + line) if line else "" for line in text.splitlines()),
            "",
            ".. image:: _static/benchmarks.png",
            "   :alt: bar charts of the scenarios 1 to 5 and 7",
            "   :width: 100%",
            "",
            ".. image:: _static/workflows.png",
            "   :alt: seconds per ETL workflow for vi and vi-sdk, with the latency-bound ideal as a line",
            "   :width: 100%",
            "",
            END,
        ]
    )


def update_docs(results: Dict[str, Any], text: str, rst: Path) -> None:
    block = results_rst(results, text)
    current = rst.read_text(encoding="utf-8") if rst.exists() else ""
    if BEGIN in current and END in current:
        pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
        updated = pattern.sub(lambda _m: block, current, count=1)
    else:
        updated = (current.rstrip() + "\n\n" if current else "") + block + "\n"
    rst.write_text(updated, encoding="utf-8")


__all__ = ["summarise", "table", "plot", "update_docs", "results_rst"]
