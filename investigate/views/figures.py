"""The summary's figures: a metric's values by arm × row across seeds, as small PNG files.

matplotlib is optional (the ``report`` extra): it is imported only here, only when a summary draws
figures, and its absence is a clear message rather than an ImportError. Drawing goes through the
Agg canvas of a ``Figure`` object (never pyplot's global state) with a fixed size, DPI, style and
font, and without the "Software" PNG text chunk, so the same records give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.rules.verification import FigureData

SIZE_IN = (6.0, 3.2)
DPI = 100
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")
MISSING = "figures need matplotlib: pip install 'investigate[report]' (or pass --no-figures)"


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def write_figures(figures: list[dict[str, Any]]) -> list[Path]:
    """Draw each ``{"file": Path, "data": FigureData}`` of the summary context; return the files."""
    return write_pngs(figures, _draw)


def write_pngs(specs: list[dict[str, Any]], draw: Callable[[Any, Any], None]) -> list[Path]:
    """Draw each ``{"file": Path, "data": ...}`` with ``draw(figure, data)`` under this module's
    conventions (size, DPI, style, font, no mathtext, no "Software" chunk); return the files."""
    if not specs:
        return []
    try:
        import matplotlib
        import matplotlib.style
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise InvestigateError(MISSING) from None
    written = []
    # parse_math off: a '$' in a metric name or row value is a character, not mathtext (it crashed).
    rc: Any = {"font.family": "DejaVu Sans", "font.size": 8, "text.parse_math": False}
    with matplotlib.style.context("default"), matplotlib.rc_context(rc):
        for spec in specs:
            path: Path = spec["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            fig = Figure(figsize=SIZE_IN, dpi=DPI)
            FigureCanvasAgg(fig)
            draw(fig, spec["data"])
            tmp = path.with_name(f".{path.name}.tmp")
            fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
            tmp.replace(path)  # atomic: a reader never sees half a PNG
            written.append(path)
    return written


def _draw(fig: Any, data: FigureData) -> None:
    ax = fig.add_subplot(1, 1, 1)
    n_arms = max(len(data.arms), 1)
    width = 0.7 / n_arms
    for j, arm in enumerate(data.arms):
        colour = COLOURS[j % len(COLOURS)]
        offset = (j - (n_arms - 1) / 2) * width
        for i in range(len(data.rows)):
            values = data.values.get((i, j), [])
            if not values:
                continue
            x = i + offset
            ax.scatter([x] * len(values), values, s=14, color=colour, alpha=0.75, linewidths=0, zorder=3)
            mean = sum(values) / len(values)
            ax.hlines(mean, x - width * 0.4, x + width * 0.4, colors=colour, linewidth=2, zorder=4)
        ax.scatter([], [], s=14, color=colour, label=arm)  # one legend entry per arm
    ax.set_xticks(range(len(data.rows)))
    ax.set_xticklabels(data.rows)
    ax.set_xlim(-0.6, len(data.rows) - 0.4)
    ax.set_xlabel(data.row_key)
    if data.flag:
        ax.set_ylim(-0.1, 1.1)
        ax.set_yticks([0, 1])
        ax.set_yticklabels(["false", "true"])
    ax.set_ylabel(data.metric)
    note = f"; {data.left_out} non-finite value(s) not shown" if data.left_out else ""
    ax.set_title(f"{data.metric} by arm and {data.row_key} (dots: seeds, bars: means{note})", fontsize=8)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    ax.legend(loc="best", fontsize=7, frameon=False)
    fig.tight_layout()
