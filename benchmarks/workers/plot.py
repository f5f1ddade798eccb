"""``python plot.py results.json out.png``: the bar charts of ``docs/performance.rst``.

Runs in the bench venv (matplotlib lives there, never in the package's dependencies).
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OURS, OFFICIAL, BASE = "#1f77b4", "#ff7f0e", "#9a9a9a"
LABEL = {
    "ours": "vi",
    "official": "vi-sdk",
    "official-quiet": "vi-sdk\n(no file log)",
    "requests": "requests",
    "urllib3": "urllib3",
    "json": "json.loads",
    "marshmallow": "marshmallow",
    "ours-fast": "vi\n[fast]",
    "ours-1000": "vi\npage_size=1000",
    "python (bench venv)": "bare\npython",
    "python (official venv)": "bare python\n(vi-sdk venv)",
}


def color(name):
    if name == "ours":
        return OURS
    if name.startswith("ours"):
        return "#6baed6"
    if name.startswith("official"):
        return OFFICIAL
    return BASE


def bars(ax, names, values, title, ylabel, fmt="%.0f", limit=None, limit_label=None):
    positions = range(len(names))
    rects = ax.bar(positions, values, color=[color(n) for n in names])
    ax.set_xticks(list(positions))
    ax.set_xticklabels([LABEL.get(n, n) for n in names], fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    for rect, value in zip(rects, values):
        ax.annotate(
            fmt % value,
            (rect.get_x() + rect.get_width() / 2, rect.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    if limit is not None:
        ax.axhline(limit, color="#d62728", linestyle="--", linewidth=1)
        if limit_label:
            ax.annotate(
                limit_label, (len(names) - 0.5, limit), ha="right", va="bottom", fontsize=7, color="#d62728"
            )
    ax.margins(y=0.15)


def workflows(results, path):
    """Scenario 6: seconds per workflow, one bar per client, the latency-bound ideal as a line."""
    s = results["scenarios"]["workflows"]
    kinds = list(s["workflows"])
    fig, axes = plt.subplots(1, len(kinds), figsize=(2.6 * len(kinds) + 1, 3.8), squeeze=False)
    titles = {
        "walk": "(a) walk %(walk_assets)d assets",
        "upload": "(b) upload %(files)d files",
        "download": "(c) download %(files)d files",
        "export": "(d) export + download",
        "threads32": "(e) 32 threads walking",
    }
    for ax, kind in zip(axes[0], kinds):
        w = s["workflows"][kind]
        names = [n for n in ("ours", "ours-1000", "official") if n in w["clients"]]
        values = [w["clients"][n]["median_seconds"] for n in names]
        if kind in ("walk", "threads32"):  # the official walk stops after one page: pages by hand
            LABEL["official"] = "vi-sdk\n(pages by hand)"
        else:
            LABEL["official"] = "vi-sdk"
        bars(ax, names, values, titles[kind] % s["params"], "seconds (lower is better)", fmt="%.2f")
        ax.axhline(w["ideal_seconds"], color="#2ca02c", linestyle="-", linewidth=1.5)
        ax.text(
            0.98,
            w["ideal_seconds"],
            "ideal %.2f s" % w["ideal_seconds"],
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="bottom",
            fontsize=7,
            color="#2ca02c",
        )
        top = max([v for v in values if v == v] + [w["ideal_seconds"]])
        if top > 20 * max(w["ideal_seconds"], 1e-3):
            ax.set_yscale("log")
    meta = results["meta"]
    fig.suptitle(
        "ETL workflows at %d ms latency: vi vs vi-sdk, ideal = fewest round trips x latency (%s)"
        % (round(1000 * s["params"]["latency"]), meta["date"]),
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    results = json.load(open(sys.argv[1]))
    sc = results["scenarios"]
    if len(sys.argv) > 3 and "workflows" in sc:
        workflows(results, sys.argv[3])
    fig, axes = plt.subplots(3, 3, figsize=(13, 11))
    axes = axes.ravel()
    used = 0
    if "get" in sc:
        s = sc["get"]["clients"]
        names = list(s)
        bars(
            axes[used],
            names,
            [s[n]["per_second"] for n in names],
            "1. datasets.get, 1 thread, nginx",
            "calls / second",
        )
        used += 1
    if "decode" in sc:
        s = sc["decode"]["clients"]
        names = list(s)
        json_us = s["json"]["median_us"]
        bars(
            axes[used],
            names,
            [s[n]["median_us"] / 1000.0 for n in names],
            "2. decode a 100-asset page",
            "ms / page (lower is better)",
            fmt="%.2f",
            limit=3 * json_us / 1000.0,
            limit_label="target: 3x json.loads",
        )
        axes[used].set_yscale("log")
        used += 1
    if "page" in sc:
        s = sc["page"]["clients"]
        names = list(s)
        bars(
            axes[used],
            names,
            [s[n]["median_us"] / 1000.0 for n in names],
            "7. list a 100-asset page (request + decode)",
            "ms / page (lower is better)",
            fmt="%.2f",
            limit=1.3 * s["requests"]["median_us"] / 1000.0,
            limit_label="target: 1.3x requests",
        )
        used += 1
    if "threads" in sc:
        s = sc["threads"]
        c = s["clients"]
        names = list(c)
        bars(
            axes[used],
            names,
            [c[n]["median"] for n in names],
            "3. %d threads, one client, %d ms server" % (s["threads"], round(1000 * s["latency"])),
            "requests / second",
            limit=s["ideal_per_second"],
            limit_label="ideal",
        )
        used += 1
        bars(
            axes[used],
            names,
            [max(c[n]["connections"], default=0) for n in names],
            "3. TCP connections opened (worst round)",
            "connections (log scale)",
            limit=s["threads"],
            limit_label="target: <= %d" % s["threads"],
        )
        axes[used].set_yscale("log")
        used += 1
    if "memory" in sc:
        s = sc["memory"]
        names = list(s["walks"])
        ax = axes[used]
        values = [s["walks"][n]["median_growth_mib"] for n in names]
        rects = ax.bar(range(len(names)), values, color=OURS)
        ax.set_xticks(list(range(len(names))))
        ax.set_xticklabels(["%s assets" % n for n in names], fontsize=7)
        ax.set_title("4. peak RSS growth iterating assets (vi)", fontsize=9)
        ax.set_ylabel("MiB", fontsize=8)
        page = values[0]
        ax.axhline(2 * page, color="#d62728", linestyle="--", linewidth=1)
        ax.annotate(
            "target: 2 pages' worth",
            (len(names) - 0.5, 2 * page),
            ha="right",
            va="bottom",
            fontsize=7,
            color="#d62728",
        )
        for rect, value in zip(rects, values):
            ax.annotate(
                "%.1f" % value,
                (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.margins(y=0.15)
        used += 1
    if "import" in sc:
        s = sc["import"]["clients"]
        names = list(s)
        bars(
            axes[used],
            names,
            [s[n]["median_ms"] for n in names],
            "5. python -c 'import vi'",
            "ms (lower is better)",
            fmt="%.1f",
        )
        used += 1
    for ax in axes[used:]:
        ax.axis("off")
    meta = results["meta"]
    fig.suptitle(
        "vi vs the official vi-sdk, same machine, same run (%s, Python %s, %s CPUs)"
        % (meta["date"], meta["python"], meta["cpus"]),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
