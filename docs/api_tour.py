"""The Python API on the shipped evidence, as a notebook would use it (run it as a plain script).

    python docs/api_tour.py [--out FIGURE.png]

Each block below is one notebook cell. The repository root is itself a workspace: its committed run
records under reports/ are the evidence of three initiatives; nothing here runs an experiment.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import investigate.api as inv

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--workspace", type=Path, default=Path(__file__).resolve().parents[1])
parser.add_argument("--out", type=Path, default=Path("api_tour.png"), help="where to save the figure")
args = parser.parse_args()

# --- cell 1: open the workspace, list its initiatives and the verdicts ---------------------------
ws = inv.open(args.workspace)
print(ws.initiatives()[["id", "title"]].to_string(index=False))
verdicts = ws.verdicts()
print(verdicts[["hypothesis", "verdict", "decided_by", "runs"]].to_string(index=False))

# --- cell 2: every run of one initiative as a DataFrame ------------------------------------------
runs = ws.runs(initiative="NETWORK-VALUE-001")
print(f"NETWORK-VALUE-001 runs: shape {runs.shape}")
print("columns:", ", ".join(runs.columns))
print(runs.groupby(["hypothesis", "arm"]).size().to_string())

# --- cell 3: the effect the verdict rests on, with its 95 % interval ------------------------------
effects = ws.effects("H-NV-INIT-EXACT")
pooled = effects[effects.point.isna()]
print(pooled[["metric", "arm", "against", "mean_diff", "ci95_low", "ci95_high", "n_arm"]].to_string(index=False))

# --- cell 4: plot the deciding metric by dose, one line per arm (mean over seeds) ----------------
import matplotlib  # noqa: E402 - a notebook imports it in the cell that plots

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

exact = ws.runs("H-NV-INIT-EXACT", latest=True)
table = exact.groupby(["nphotons", "arm"])["metric.pearson_r_lit"].mean().unstack("arm")
fig, ax = plt.subplots(figsize=(6, 3.5))
for arm in table.columns:
    ax.plot(table.index, table[arm], marker="o", label=arm)
ax.set_xscale("log")
ax.set_xlabel("photons per pattern")
ax.set_ylabel("pearson_r (lit pixels)")
ax.set_title("H-NV-INIT-EXACT: mean over seeds and scan steps")
ax.legend()
fig.tight_layout()
fig.savefig(args.out, dpi=100)
print(f"figure: {args.out}")
