"""Draw ``history.json`` curves: one line per run, coloured by arm, on a log axis when it spans decades.

Same conventions as ``figures`` (optional matplotlib, an Agg canvas, fixed size, DPI and font, no
"Software" chunk): the same records give the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from investigate.views.figures import COLOURS, available, write_pngs
from investigate.views.summarymedia import CurveData

__all__ = ["available", "write_curves"]


def write_curves(curves: list[dict[str, Any]]) -> list[Path]:
    """Draw each ``{"file": Path, "data": CurveData}``; return the files written."""
    return write_pngs(curves, _draw)


def _draw(fig: Any, data: CurveData) -> None:
    ax = fig.add_subplot(1, 1, 1)
    arms = list(dict.fromkeys(arm for arm, _label, _points in data.runs))
    finite = [v for _a, _l, points in data.runs for _s, v in points if math.isfinite(v)]
    for arm, _label, points in data.runs:
        steps = [s for s, v in points if math.isfinite(v)]
        values = [v for _s, v in points if math.isfinite(v)]
        colour = COLOURS[arms.index(arm) % len(COLOURS)]
        ax.plot(steps, values, color=colour, linewidth=1, alpha=0.7)
    for j, arm in enumerate(arms):
        ax.plot([], [], color=COLOURS[j % len(COLOURS)], label=arm)
    positive = [v for v in finite if v > 0]
    if positive and len(positive) == len(finite) and max(positive) / min(positive) > 1e3:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(data.metric)
    ax.set_title(f"{data.hypothesis}: {data.metric} per step ({len(data.runs)} runs; history.json)", fontsize=8)
    ax.grid(color="#dddddd", linewidth=0.6)
    ax.legend(loc="best", fontsize=7, frameon=False)
    fig.tight_layout()
