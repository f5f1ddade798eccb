#!/usr/bin/env python3
"""``python benchmarks/profile.py get|decode|page [--calls N] [--top N] [--fast]``: where our client
spends its time.

Runs scenario 1 (``get``: ``client.datasets.get`` against nginx, one thread), scenario 2
(``decode``: a 100-asset page through ``decode_many``) or scenario 7 (``page``: listing a 100-asset
page from nginx, request and decoding) for ``vi`` only, under pyinstrument (which
lives in the bench venv under ``benchmarks/.cache``), and prints pyinstrument's call tree followed
by the functions with the most *self* time, as ``file:line`` of the function's definition.

The profile is taken in the same kind of fresh process as the benchmark itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _env  # noqa: E402
from _services import Nginx, clear_scratch, run_worker  # noqa: E402

ALIASES = {"1": "get", "get": "get", "2": "decode", "decode": "decode", "7": "page", "page": "page"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=sorted(ALIASES), help="get (1), decode (2) or page (7)")
    p.add_argument("--fast", action="store_true", help="in the venv with the [fast] extra installed")
    p.add_argument("--calls", type=int, default=3000, help="datasets.get calls to profile (default 3000)")
    p.add_argument(
        "--seconds", type=float, default=2.0, help="decode: length of each timed batch (default 2)"
    )
    p.add_argument("--top", type=int, default=25, help="how many hot spots to list (default 25)")
    p.add_argument("--interval", type=float, default=0.0005, help="sampling interval in seconds")
    args = p.parse_args()
    scenario = ALIASES[args.scenario]
    python = _env.ensure_bench_venv(_env.SPEED_EXTRA if args.fast else None)
    nginx = None
    try:
        if scenario in ("get", "page"):
            nginx = Nginx().start()
            spec = dict(
                scenario=scenario,
                client="ours",
                endpoint=nginx.url,
                org=_env.ORG,
                dsid=_env.DSID,
                secret=_env.SECRET,
                warmup=100 if scenario == "get" else 20,
                calls=args.calls if scenario == "get" else max(1, args.calls // 10),
                batches=1,
                max_seconds=120,
            )
        else:
            page = _env.write_static_site() / "assets" / "p0.json"
            spec = dict(
                scenario="decode", client="ours", page_file=str(page), target_seconds=args.seconds, batches=1
            )
        spec.update(profile=True, top=args.top, interval=args.interval)
        result = run_worker(python, spec, official=False, timeout=600)
    finally:
        if nginx is not None:
            nginx.stop()
        clear_scratch()
    print(result["stdout"])
    total = result.get("profile_total_seconds") or 0.0
    print("Hot spots by self time (of %.2f s profiled; file:line is where the function starts)" % total)
    print(
        "  %7s %6s  %-28s %-36s %-50s %s"
        % ("self s", "%", "function", "where", "called by", "reached from (innermost vi frame)")
    )
    for spot in result.get("hot_spots", []):
        print(
            "  %7.3f %5.1f%%  %-28s %-36s %-50s %s"
            % (
                spot["self_seconds"],
                spot["self_percent"],
                spot["function"][:28],
                spot["where"][-36:],
                ("%s %s" % (spot["caller_function"], spot["caller"]))[-50:],
                spot["via"],
            )
        )
    print("\nOur functions by inclusive time (everything they call included)")
    print("  %7s %6s  %-32s %s" % ("total s", "%", "function", "where"))
    for spot in result.get("ours_inclusive", []):
        print(
            "  %7.3f %5.1f%%  %-32s %s"
            % (spot["seconds"], spot["percent"], spot["function"][:32], spot["where"])
        )
    if scenario in ("get", "page"):
        what = "datasets.get" if scenario == "get" else "100-asset page listed"
        print("\n%.1f us per %s (profiler overhead included)" % (1e6 * result["seconds_per_call"], what))
    else:
        print("\n%.1f us per page (profiler overhead included)" % (1e6 * result["seconds_per_page"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
