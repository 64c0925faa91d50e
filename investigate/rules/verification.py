"""The summary's Verification Evidence: the table of a hypothesis' runs by row × arm, and the data
of its figures (each metric's values by arm × row across seeds).

Cells aggregate over seeds: ``0.417 ± 0.012`` for numbers, ``false in 3/3`` for flags, and a NaN
is counted, never averaged away. The figures plot every arm of the hypothesis (the table may show
one), so the contrast the verdict rests on is visible.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from investigate.formats.schema import RunRecord, Verification
from investigate.rules.conditions import fmt, matches_where
from investigate.rules.evidence import number

Link = Callable[[str], str]
EXACT_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # not hidden, no separator, no '~'
MAX_FILE_STEM = 96


def aggregate(values: list[Any]) -> str:
    """One table cell: ``0.417 ± 0.012`` for numbers over seeds, ``false in 3/3`` for flags."""
    if not values:
        return "—"
    n = len(values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        finite = [float(v) for v in values if not math.isnan(float(v))]
        if len(finite) < n:  # NaN is an observation worth showing, not averaging away
            rest = f"; others {_mean_spread(finite)}" if finite else ""
            return f"nan in {n - len(finite)}/{n}{rest}"
        return _mean_spread(finite)
    counts: dict[str, int] = {}
    for v in values:
        counts[fmt(v)] = counts.get(fmt(v), 0) + 1
    return ", ".join(f"{k} in {c}/{n}" for k, c in sorted(counts.items()))


def _mean_spread(values: list[float]) -> str:
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.fmean(values))} ± {fmt(statistics.stdev(values))}"


def table(spec: Verification, records: list[RunRecord], link: Link, gaps: list[str]) -> dict[str, Any]:
    """The template's ``verification``: one row per (row value, arm); unmeasured rows become gaps."""
    rows = []
    for row_value in spec.rows:
        arms: list[str | None] = list(spec.arms) if spec.arms else [spec.arm]
        for arm in arms:
            rows.append(_row(spec, records, row_value, arm, link, gaps))
    return {
        "hypothesis": spec.hypothesis,
        "arm": spec.arm,
        "arms": spec.arms,
        "row": spec.row,
        "metrics": spec.metrics,
        "rows": rows,
    }


def _row(
    spec: Verification, records: list[RunRecord], row_value: Any, arm: str | None, link: Link, gaps: list[str]
) -> dict[str, Any]:
    runs = [r for r in records if (arm is None or r.arm == arm) and matches_where(r, {spec.row: row_value})]
    ok = [r for r in runs if r.status == "ok"]
    cells = (
        [aggregate([r.metrics[m] for r in ok if m in r.metrics]) for m in spec.metrics]
        if ok
        else ["not measured"] * len(spec.metrics)
    )
    if not ok:
        which = f" arm {arm}" if arm else ""
        gaps.append(
            f"Verification row {spec.row}={fmt(row_value)}{which if spec.arms else ''}: not measured "
            f"(no ok runs of {spec.hypothesis}{which})."
        )
    runs_sorted = sorted(runs, key=lambda r: (r.arm, r.seed, r.run_dir))
    return {
        "value": fmt(row_value),
        "arm": arm,
        "measured": bool(ok),
        "cells": cells,
        "n_runs": len(ok),
        "links": [{"label": f"{r.arm}-seed{r.seed}", "path": link(r.run_dir)} for r in runs_sorted],
    }


@dataclass
class FigureData:
    """One metric's finite values by (row, arm) over seeds: what ``figures`` draws."""

    metric: str
    row_key: str
    rows: list[str]  # row labels, in the file's order
    arms: list[str]
    values: dict[tuple[int, int], list[float]] = field(default_factory=dict)  # (row, arm) -> values
    left_out: int = 0  # values that are not finite numbers (NaN, inf, text)
    flag: bool = False  # every value is a boolean: plotted as 0/1

    @property
    def filename(self) -> str:
        """``loss.png`` when the name is a safe file name as it is; else a slug, ``~`` and a hash of the name.

        ``loss/val`` and ``loss_val`` once both became ``loss_val.png``, and each figure showed the
        other's values. ``~`` never appears in an exact name, so the two kinds cannot meet (as with
        run directories).
        """
        if EXACT_FILE.fullmatch(self.metric) and len(self.metric) <= MAX_FILE_STEM:
            return self.metric + ".png"
        slug = re.sub(r"[^A-Za-z0-9_.-]", "_", self.metric)[: MAX_FILE_STEM - 11].lstrip(".")
        digest = hashlib.sha256(self.metric.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        return f"{slug}~{digest}.png"


def figure_data(spec: Verification, records: list[RunRecord], arm_order: list[str]) -> list[FigureData]:
    """A figure per verification metric that has at least one finite number to show."""
    ok = [r for r in records if r.status == "ok"]
    arms = [a for a in arm_order if any(r.arm == a for r in ok)]
    arms += sorted({r.arm for r in ok} - set(arms))
    out = []
    for metric in spec.metrics:
        data = FigureData(metric, spec.row, [fmt(v) for v in spec.rows], arms)
        seen: list[Any] = []
        for i, row_value in enumerate(spec.rows):
            for j, arm in enumerate(arms):
                for rec in ok:
                    if rec.arm != arm or metric not in rec.metrics or not matches_where(rec, {spec.row: row_value}):
                        continue
                    value = rec.metrics[metric]
                    seen.append(value)
                    x = number(value, bools=True)
                    if x is None or not math.isfinite(x):
                        data.left_out += 1
                    else:
                        data.values.setdefault((i, j), []).append(x)
        data.flag = bool(seen) and all(isinstance(v, bool) for v in seen)
        if data.values:
            out.append(data)
    return out
