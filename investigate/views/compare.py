"""One hypothesis' metric by arm × matrix point: mean ± sd over seeds, and each arm's effect
against the control with its 95 % interval (``evidence.effect``: paired by seed when both arms ran
the same seeds, Welch otherwise).

The control is ``--control``, else ``experiment.control``, else the first arm, which is then
marked as not declared. Booleans count as 0/1, so a flag's mean is a rate. Values that are not
finite numbers (NaN, a string) are counted beside the numbers, never averaged into them.
"""

from __future__ import annotations

import difflib
import itertools
import math
import statistics
from dataclasses import dataclass
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.formats.schema import Hypothesis, RunRecord
from investigate.rules.conditions import fmt
from investigate.rules.counting import latest_records
from investigate.rules.evidence import Effect, effect, number, point_key
from investigate.views.explain import interval_text, point_text, signed


@dataclass
class Cell:
    n: int  # ok runs with the metric
    mean: float | None
    sd: float | None
    left_out: list[Any]  # values that are not finite numbers

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mean": self.mean, "sd": self.sd, "left_out": self.left_out}

    def text(self) -> str:
        total = self.n + len(self.left_out)
        parts = []
        if self.mean is not None:
            spread = f" ± {fmt(self.sd)}" if self.sd is not None else ""
            parts.append(f"{fmt(self.mean)}{spread} (n {self.n})")
        counts: dict[str, int] = {}
        for value in self.left_out:  # NaN, text: counted, never averaged
            counts[fmt(value)] = counts.get(fmt(value), 0) + 1
        parts += [f"{shown} in {count}/{total}" for shown, count in sorted(counts.items())]
        return "; ".join(parts) or "—"


def cell(runs: list[RunRecord], metric: str) -> Cell:
    values = [r.metrics[metric] for r in runs if r.status == "ok" and metric in r.metrics]
    numbers = [x for v in values if (x := number(v, bools=True)) is not None and math.isfinite(x)]
    left = [v for v in values if (x := number(v, bools=True)) is None or not math.isfinite(x)]
    mean = statistics.fmean(numbers) if numbers else None
    sd = statistics.stdev(numbers) if len(numbers) > 1 else None
    return Cell(len(numbers), mean, sd, left)


def points_in_order(hyp: Hypothesis, records: list[RunRecord]) -> list[dict[str, Any]]:
    """Matrix points in the file's order (those with runs), then any others the records hold."""
    seen = {point_key(r.point): r.point for r in records}
    ordered: list[dict[str, Any]] = []
    if hyp.experiment is not None and hyp.experiment.matrix:
        keys = list(hyp.experiment.matrix)
        for combo in itertools.product(*hyp.experiment.matrix.values()):
            key = point_key(dict(zip(keys, combo, strict=True)))
            if key in seen:
                ordered.append(seen.pop(key))
    return ordered + list(seen.values())


def arms_in_order(hyp: Hypothesis, records: list[RunRecord]) -> list[str]:
    declared = hyp.experiment.arm_names if hyp.experiment else []
    present = {r.arm for r in records}
    return [a for a in declared if a in present] + sorted(present - set(declared))


def metrics_of(hyp: Hypothesis, records: list[RunRecord]) -> list[str]:
    """The metrics the rules name, in file order; with no rules, every numeric metric the runs report."""
    from investigate.rules.hypcheck import rule_leaves

    named = list(dict.fromkeys(str(rule.metric) for rule, _ in rule_leaves(hyp)))
    if named:
        return named
    found: dict[str, None] = {}
    for rec in records:
        for key, value in rec.metrics.items():
            if number(value, bools=True) is not None:
                found.setdefault(key, None)
    return list(found)


def compare(hyp: Hypothesis, records: list[RunRecord], metrics: list[str], control: str | None) -> dict[str, Any]:
    """The table and the effects, as plain data (``--json`` prints it; ``lines`` renders it)."""
    mine = latest_records(r for r in records if r.hypothesis == hyp.id)
    arms = arms_in_order(hyp, mine)
    declared_control = control or (hyp.experiment.control if hyp.experiment else None)
    if control is not None and control not in arms:
        with_runs = ", ".join(arms) or "none"
        raise InvestigateError(f"{hyp.id}: --control {control}: no runs of that arm (arms with runs: {with_runs})")
    reference = declared_control if declared_control in arms else (arms[0] if arms else None)
    reported = {m for r in mine for m in r.metrics}
    for metric in metrics:
        if mine and metric not in reported:
            close = difflib.get_close_matches(metric, sorted(reported), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InvestigateError(f"{hyp.id}: no run reports metric {metric!r}{hint}")
    points = points_in_order(hyp, mine)
    out: dict[str, Any] = {
        "hypothesis": hyp.id,
        "arms": arms,
        "points": points,
        "control": reference,
        "control_declared": reference is not None and reference == declared_control,
        "metrics": {},
    }
    for metric in metrics:
        table = [{arm: cell(_at(mine, arm, p), metric) for arm in arms} for p in points]
        effects = _effects(mine, metric, arms, reference, out["control_declared"], points)
        out["metrics"][metric] = {
            "cells": [{arm: c.to_dict() for arm, c in row.items()} for row in table],
            "effects": [e.to_dict() for e in effects],
            "_table": table,
            "_effects": effects,
        }
    return out


def _at(runs: list[RunRecord], arm: str, point: dict[str, Any]) -> list[RunRecord]:
    key = point_key(point)
    return [r for r in runs if r.arm == arm and point_key(r.point) == key]


def _effects(
    runs: list[RunRecord],
    metric: str,
    arms: list[str],
    control: str | None,
    declared: bool,
    points: list[dict[str, Any]],
) -> list[Effect]:
    if control is None:
        return []
    out = []
    for arm in (a for a in arms if a != control):
        for p in [*points, None] if len(points) > 1 else points:
            at = [r for r in runs if r.status == "ok" and (p is None or point_key(r.point) == point_key(p))]
            mine = [r for r in at if r.arm == arm]
            theirs = [r for r in at if r.arm == control]
            out.append(effect(metric, arm, control, declared, p, mine, theirs))
    return out


def lines(result: dict[str, Any]) -> list[str]:
    arms: list[str] = result["arms"]
    points: list[dict[str, Any]] = result["points"]
    if not arms:
        return [f"{result['hypothesis']}: no runs yet — `investigate run {result['hypothesis']}`"]
    labels = [point_text(p) if p else "all" for p in points]
    keys = list(points[0]) if points and all(list(p) == list(points[0]) for p in points) else []
    corner = keys[0] if len(keys) == 1 else "point"  # a single matrix key names the column
    width = max([len(x) for x in labels] + [len(corner)])
    out = []
    for metric, data in result["metrics"].items():
        out.append(f"{result['hypothesis']} {metric}: mean ± sd over seeds by matrix point × arm")
        cells = [[row[a].text() for a in arms] for row in data["_table"]]
        widths = [max([len(a)] + [len(r[i]) for r in cells]) for i, a in enumerate(arms)]
        header = "  " + corner.ljust(width) + "  " + "  ".join(a.ljust(w) for a, w in zip(arms, widths, strict=True))
        out.append(header.rstrip())
        for label, row in zip(labels, cells, strict=True):
            text = "  " + label.ljust(width) + "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            out.append(text.rstrip())
        if data["_effects"]:
            which = "" if result["control_declared"] else " (not declared: the first arm)"
            out.append(f"  effect vs control {result['control']}{which}, difference of means with 95 % interval:")
            for e in data["_effects"]:
                where = f"at {point_text(e.point)}" if e.point else "pooled"
                if e.mean_diff is None:
                    out.append(f"    {e.arm} − {e.against} {where}: not measured on both arms")
                    continue
                pairs = f"{e.n_arm} pairs" if e.paired else f"n {e.n_arm}/{e.n_against}"
                out.append(
                    f"    {e.arm} − {e.against} {where}: {signed(e.mean_diff)} {interval_text(e.mean_ci)} ({pairs})"
                )
        out.append("")
    return out[:-1] if out else out


def public(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` without the objects ``lines`` uses."""
    metrics = {m: {k: v for k, v in d.items() if not k.startswith("_")} for m, d in result["metrics"].items()}
    return {**result, "metrics": metrics}
