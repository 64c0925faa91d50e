"""Evidence standards: effects against a control, and whether a verdict's rule can discriminate.

Effects. A condition on arm A is compared with its control: the condition's ``vs`` arm, else
``experiment.control``, else (nothing declared) every other arm, marked as undeclared. Per matrix
point, and pooled over all points, the effect is the difference of means and of medians
(A − control) with 95 % intervals (see ``intervals``). Runs are paired by seed (and point) when
both arms ran exactly the same ones. Booleans count as 0/1, so the effect on a flag is a
difference of rates. Values that are not finite numbers are left out and counted.

Discrimination. A verdict must rest on something that could have come out otherwise:
- Each deciding condition that names an arm (and is not already a ``vs`` contrast) is evaluated
  again on every other arm. A condition on a single-arm experiment, or without an arm, cannot be
  checked this way: it is neither counted for nor against (Kleene logic, as for the verdict).
- ``confirmed`` claims the arms differ, so its rule must fail somewhere else. A conjunction
  discriminates when one of its parts does (a precondition that holds everywhere does no harm
  beside a real contrast); a disjunction only when every part that decided it does.
- ``ruled_out`` claims they do not differ (as the hypothesis predicts), so its conditions holding
  on every arm is what no effect looks like, and is fine. It is flagged when a deciding condition
  holds on every arm *although* its metric differs materially between them: the 95 % interval of
  the pooled difference of means lies entirely beyond a margin taken from the rule's own scale
  (half the width of a ``between`` band, else 10 % of the threshold's magnitude, 0.1 for a rate).
  The rule is then blind to a measured effect. A resolved but tiny difference (0.0002 in a
  scalar whose band is 0.2 wide) is not an effect the rule was meant to see.
- A deciding condition on a number (or string) that is the same in every run of the hypothesis
  (every arm, point and seed) was decided by construction, not by measurement. Booleans are left
  to the first check: a flag that never flips is what an absent failure looks like.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from investigate.formats.schema import RunRecord
from investigate.rules.intervals import Interval, excludes_zero, mean_interval, median_diff_interval, welch_interval

Tri = bool | None
NOT_DISCRIMINATING = "not_discriminating"
BY_CONSTRUCTION = "decided_by_construction?"


def number(value: Any, *, bools: bool = False) -> float | None:
    """``value`` as a float, or None when it is not a number (a string, or an int beyond float)."""
    if isinstance(value, bool):
        return float(value) if bools else None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, float):
        return value
    return None


@dataclass(frozen=True)
class Effect:
    """arm − against on one metric, at one matrix point (``point`` None: pooled over points)."""

    metric: str
    arm: str
    against: str
    declared: bool  # the comparison arm is a declared control (``vs`` or ``experiment.control``)
    point: dict[str, Any] | None
    n_arm: int
    n_against: int
    paired: bool
    mean_diff: float | None
    mean_ci: Interval | None
    median_diff: float | None
    median_ci: Interval | None
    left_out: int = 0  # values that were not finite numbers

    @property
    def resolved(self) -> bool:
        """Whether the 95 % interval of the difference of means excludes zero."""
        return excludes_zero(self.mean_ci)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "arm": self.arm,
            "against": self.against,
            "declared_control": self.declared,
            "point": self.point,
            "n": {self.arm: self.n_arm, self.against: self.n_against},
            "paired": self.paired,
            "mean_diff": self.mean_diff,
            "mean_ci95": list(self.mean_ci) if self.mean_ci else None,
            "median_diff": self.median_diff,
            "median_ci95": list(self.median_ci) if self.median_ci else None,
            "resolved": self.resolved,
            "left_out": self.left_out,
        }


def point_key(point: dict[str, Any]) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def _values(runs: Iterable[RunRecord], metric: str) -> tuple[dict[tuple[str, int], float], int]:
    """Finite numeric values keyed by (point, seed), and how many were left out."""
    kept: dict[tuple[str, int], float] = {}
    dropped = 0
    for run in runs:
        value = number(run.metrics.get(metric), bools=True)
        if value is None or not math.isfinite(value):
            dropped += 1
        else:
            kept[(point_key(run.point), run.seed)] = value
    return kept, dropped


def effect(
    metric: str,
    arm: str,
    against: str,
    declared: bool,
    point: dict[str, Any] | None,
    arm_runs: list[RunRecord],
    against_runs: list[RunRecord],
    *,
    medians: bool = True,
) -> Effect:
    """The effect of ``arm`` over ``against`` from their ok runs (already restricted to the scope)."""
    treated, dropped_t = _values(arm_runs, metric)
    control, dropped_c = _values(against_runs, metric)
    paired = bool(treated) and treated.keys() == control.keys()
    t = [treated[k] for k in sorted(treated)]
    c = [control[k] for k in sorted(control)]
    mean_diff = median_diff = None
    mean_ci = median_ci = None
    if t and c:
        mean_diff = statistics.fmean(t) - statistics.fmean(c)
        if paired:
            diffs = [a - b for a, b in zip(t, c, strict=True)]
            median_diff = float(statistics.median(diffs))
            mean_ci = mean_interval(diffs)
        else:
            median_diff = float(statistics.median(t) - statistics.median(c))
            mean_ci = welch_interval(t, c)
        median_ci = median_diff_interval(t, c, paired) if medians else None
    return Effect(
        metric, arm, against, declared, point, len(t), len(c), paired,
        mean_diff, mean_ci, median_diff, median_ci, dropped_t + dropped_c,
    )  # fmt: skip


def effects(metric: str, arm: str, against: str, declared: bool, scoped: list[RunRecord]) -> list[Effect]:
    """Per matrix point (in first-seen order), then pooled over every point when there are several."""
    ok = [r for r in scoped if r.status == "ok"]
    mine = [r for r in ok if r.arm == arm]
    theirs = [r for r in ok if r.arm == against]
    points: dict[str, dict[str, Any]] = {}
    for run in mine + theirs:
        points.setdefault(point_key(run.point), run.point)
    out = []
    for key, point in points.items():
        at_t = [r for r in mine if point_key(r.point) == key]
        at_c = [r for r in theirs if point_key(r.point) == key]
        out.append(effect(metric, arm, against, declared, point, at_t, at_c))
    if len(points) > 1:
        out.append(effect(metric, arm, against, declared, None, mine, theirs))
    return out


def material_margin(rule: Any) -> float:
    """The smallest difference a condition was meant to notice, from its own comparison."""
    op, target = rule.comparison
    if op == "between":
        return float(target[1] - target[0]) / 2
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        return 0.1  # a flag or a category: a change of rate of 10 points
    return 0.1 * abs(float(target))


def constant_value(metric: str, records: list[RunRecord]) -> tuple[bool, Any, int]:
    """Whether a non-boolean metric has one value across every ok run (with at least two runs)."""
    values = [r.metrics[metric] for r in records if r.status == "ok" and metric in r.metrics]
    if len(values) < 2 or any(isinstance(v, bool) or v is None for v in values):
        return False, None, len(values)
    first = values[0]
    same = all(v == first for v in values)
    if isinstance(first, float) and math.isnan(first):
        same = False
    return same, first, len(values)
