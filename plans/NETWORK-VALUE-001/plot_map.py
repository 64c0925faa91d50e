"""Draw NETWORK-VALUE-001's measured map: lit-pixel pearson_r against dose, one line per method.

Reads the committed run records (nothing is re-run) and writes
reports/NETWORK-VALUE-001/figures/r_vs_dose.png plus a JSON table of the plotted means and
95 % intervals beside it. Run from the workspace root: ``python plans/NETWORK-VALUE-001/plot_map.py``.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from investigate.rules.counting import latest_records
from investigate.rules.intervals import t975
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace

METRIC = "pearson_r_lit"
# (label, hypothesis, arm): the flat arm is shared by both hypotheses of a probe condition
METHODS = [
    ("network alone", "ALONE", "network_only"),
    ("flat start", "INIT", "flat"),
    ("network start", "INIT", "network"),
]
CONDITIONS = [("EXACT", "exact probe and positions"), ("ERRORS", "10 % probe error, 1 px jitter")]
OVERLAPS = [(None, "standard random scan"), (8, "8 px raster"), (16, "16 px raster")]


def mean_ci(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    return mean, t975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def collect(records: list) -> dict[str, list[dict]]:
    table: dict[str, list[dict]] = {}
    for cond, _ in CONDITIONS:
        for label, kind, arm in METHODS:
            hyp = f"H-NV-{kind}-{cond}"
            for step, _ in OVERLAPS:
                for r in sorted({r.point["nphotons"] for r in records if r.hypothesis == hyp}):
                    runs = [
                        x for x in records
                        if x.hypothesis == hyp and x.arm == arm and x.status == "ok"
                        and x.point.get("scan_step_px") == step and x.point["nphotons"] == r
                    ]  # fmt: skip
                    values = [float(x.metrics[METRIC]) for x in runs if METRIC in x.metrics]
                    if values:
                        mean, half = mean_ci(values)
                        row = {"method": label, "scan_step_px": step, "nphotons": r, "mean": mean, "ci95": half}
                        table.setdefault(cond, []).append({**row, "n": len(values)})
    return table


def draw(table: dict[str, list[dict]], out: Path) -> None:
    fig, axes = plt.subplots(len(CONDITIONS), len(OVERLAPS), figsize=(12, 6.5), sharex=True, sharey=True)
    for i, (cond, cond_label) in enumerate(CONDITIONS):
        for j, (step, step_label) in enumerate(OVERLAPS):
            ax = axes[i][j]
            for k, (label, _, _) in enumerate(METHODS):
                rows = [r for r in table.get(cond, []) if r["method"] == label and r["scan_step_px"] == step]
                xs = [r["nphotons"] * 1.25**k for r in rows]  # dodged: coinciding lines stay visible
                ax.errorbar(
                    xs, [r["mean"] for r in rows], yerr=[r["ci95"] for r in rows], marker="o", capsize=3, label=label
                )
            ax.set_xscale("log")
            ax.set_title(f"{step_label}\n{cond_label}", fontsize=9)
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel("pearson_r over lit pixels")
            if i == len(CONDITIONS) - 1:
                ax.set_xlabel("photons per pattern")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("NETWORK-VALUE-001: mean over 3 seeds, bars = 95 % t interval", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, metadata={"Software": None})


def main() -> None:
    ws = load_workspace(Path.cwd())
    records = latest_records(read_records(ws))
    table = collect(records)
    out = ws.root / "reports" / "NETWORK-VALUE-001" / "figures" / "r_vs_dose.png"
    draw(table, out)
    out.with_suffix(".json").write_text(json.dumps(table, indent=1, allow_nan=True) + "\n")
    print(f"wrote {out.relative_to(ws.root)}")


if __name__ == "__main__":
    main()
