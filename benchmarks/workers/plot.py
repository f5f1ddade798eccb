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
    "python (bench venv)": "bare\npython",
    "python (official venv)": "bare python\n(vi-sdk venv)",
}


def color(name):
    if name == "ours":
        return OURS
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


def main():
    results = json.load(open(sys.argv[1]))
    sc = results["scenarios"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
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
