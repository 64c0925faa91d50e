"""Conditions on a contrast decide on intervals: holds, fails, or stays *unresolved*.

A contrast is mean(arm) − mean(reference) per matrix point over seeds, where the reference is the
``vs`` arm at the same point, or (``vs_point``) the same arm at a declared reference point. Each
point is a t test (``statistics``: paired by seed when both sides ran the same seeds, else Welch).
At confidence level c (α = 1 − c, divided by the number of planned looks of a sequential
``run --until-decided``, see ``sequential``):

- ``gt`` / ``ge`` t hold at a point when the two-sided c interval lies above t (one-sided p ≤ α/2),
  and fail there when it lies below; ``lt`` / ``le`` mirror that. Otherwise the point is unresolved.
- ``between: [lo, hi]`` is an equivalence test (TOST): it holds when the (1 − 2α) interval lies
  inside the band, and fails when the c interval lies wholly outside it.
- ``equals: v`` holds only for an exact (zero-spread) difference equal to v; it fails when the c
  interval excludes v.
- Quantifiers over points: ``all`` holds when every point holds at the unadjusted level (an
  intersection–union test); a claim that *some* points hold (``any``, ``fraction``), and the
  failure of ``all`` (some point lies on the other side), uses Holm-adjusted p-values over the
  condition's points. ``mean`` tests the pooled difference over every (point, seed); ``median``
  decides on the bootstrap interval of the pooled median difference.
- A point whose runs failed is unknown (it can keep a condition from being decided); a metric that
  is NaN or missing at a point fails there, as NaN fails every comparison.
Every p-value below is scaled so that it is compared with α.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from investigate.formats.schema import Fraction, Rule
from investigate.rules.intervals import median_diff_interval
from investigate.rules.multiplicity import holm
from investigate.rules.power import mde
from investigate.rules.statistics import Interval, PointStats, contrast_stats

Tri = bool | None
DEFAULT_CONFIDENCE = 0.95


@dataclass
class PointSample:
    """One point's values on each side of the contrast, keyed by seed."""

    point: dict[str, Any]
    run_ids: list[str]
    failed: bool
    arm: dict[Any, float]  # seed -> value (NaN for a missing or non-numeric one)
    ref: dict[Any, float]


@dataclass
class PointTest:
    point: dict[str, Any]
    stats: PointStats | None
    p_hold: float
    p_fail: float
    failed: bool = False
    p_hold_adj: float | None = None  # Holm-adjusted, where the condition's claim used it
    p_fail_adj: float | None = None
    holds: bool = False
    fails: bool = False
    interval: Interval | None = None
    mde: float | None = None

    @property
    def state(self) -> str:
        if self.failed:
            return "failed"
        return "holds" if self.holds else ("fails" if self.fails else "unresolved")

    def to_dict(self) -> dict[str, Any]:
        s = self.stats
        return {
            "point": self.point,
            "state": self.state,
            "estimate": s.estimate if s else None,
            "interval": list(self.interval) if self.interval else None,
            "method": s.method if s else None,
            "n": s.n if s else 0,
            "p_hold": self.p_hold,
            "p_hold_adjusted": self.p_hold_adj,
            "p_fail": self.p_fail,
            "p_fail_adjusted": self.p_fail_adj,
            "mde": self.mde,
        }


@dataclass
class ContrastTest:
    """How a contrast condition was decided: level, looks, correction, each point, power."""

    confidence: float
    looks: int
    correction: str
    value: Tri
    points: list[PointTest] = field(default_factory=list)
    p_claim: float | None = None  # the p-value of what the condition claims (holding, or failing)
    mde: float | None = None  # median over points of the minimum detectable effect at 80 % power
    method: str = ""
    pooled: PointStats | None = None  # over: mean
    pooled_interval: Interval | None = None  # over: mean / median
    need: str = "all"  # the quantifier, as the sentence says it
    fail_correction: str = ""  # the correction of the claim that the condition fails, where it differs
    equivalence: bool = False  # between: a TOST, whose intervals are at 1 − 2α

    @property
    def interval_level(self) -> float:
        """The level of the intervals shown: 1 − 2α for an equivalence test, else 1 − α."""
        return 1 - 2 * self.alpha if self.equivalence else 1 - self.alpha

    @property
    def alpha(self) -> float:
        return (1 - self.confidence) / self.looks

    @property
    def unresolved(self) -> bool:
        return self.value is None and not any(p.failed for p in self.points)

    @property
    def seeds(self) -> int:
        """The most seeds on one side at any point: what the decision rests on."""
        return max((max(p.stats.n_arm, p.stats.n_ref) for p in self.points if p.stats), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence,
            "looks": self.looks,
            "alpha": self.alpha,
            "correction": self.correction,
            "result": {True: "holds", False: "fails", None: "unresolved" if self.unresolved else "untested"}[
                self.value
            ],
            "p_claim": self.p_claim,
            "mde80": self.mde,
            "method": self.method,
            "seeds": self.seeds,
            "pooled_interval": list(self.pooled_interval) if self.pooled_interval else None,
            "points": [p.to_dict() for p in self.points],
        }


def _tests(stats: PointStats, op: str, target: Any) -> tuple[float, float]:
    """(p of holding, p of failing) of one point, each to be compared with α."""
    if op == "between":
        lo, hi = float(target[0]), float(target[1])
        hold = max(stats.p_above(lo, strict=False), stats.p_below(hi, strict=False))  # TOST
        fail = 2 * min(stats.p_below(lo), stats.p_above(hi))
    elif op == "equals":
        v = float(target)
        hold = 0.0 if stats.exact and stats.estimate == v else 1.0
        fail = 2 * min(stats.p_above(v), stats.p_below(v))
    elif op in ("gt", "ge"):
        hold = 2 * stats.p_above(float(target), strict=op == "gt")
        fail = 2 * stats.p_below(float(target), strict=op == "ge")
    else:
        hold = 2 * stats.p_below(float(target), strict=op == "lt")
        fail = 2 * stats.p_above(float(target), strict=op == "le")
    return min(hold, 1.0), min(fail, 1.0)


def _point(sample: PointSample, op: str) -> tuple[PointStats | None, float, float]:
    values = [*sample.arm.values(), *sample.ref.values()]
    if sample.failed:
        return None, 1.0, 1.0
    if not sample.arm or not sample.ref or any(not math.isfinite(v) for v in values):
        return None, 1.0, 0.0  # NaN or missing fails every comparison
    stats = contrast_stats(sample.arm, sample.ref)
    return stats, 1.0, 1.0  # without two seeds a side nothing is decided


def decide(rule: Rule, samples: list[PointSample], confidence: float, looks: int = 1) -> ContrastTest:
    """Decide one contrast condition over its points (see the module docstring)."""
    op, target = rule.comparison
    alpha = (1 - confidence) / looks
    over = rule.over
    if isinstance(over, str) and over in ("mean", "median"):
        return _pooled(rule, samples, confidence, looks)
    points = []
    for sample in samples:
        stats, p_hold, p_fail = _point(sample, op)
        if stats is not None:
            p_hold, p_fail = _tests(stats, op, target)
        points.append(PointTest(sample.point, stats, p_hold, p_fail, failed=sample.failed))
    m = len(points)
    need = m if over == "all" else (1 if over == "any" else math.ceil(_fraction(over) * m - 1e-9))
    # Claiming that `need` of m points hold: all of them is an intersection-union test (no
    # adjustment); fewer is a claim about some points, made with Holm. Failing mirrors it.
    holds, hold_fix = _claim(points, need, "hold", alpha)
    fails, fail_fix = _claim(points, m - need + 1, "fail", alpha)
    # a failed point has p = 1 on both sides, so it can neither hold nor fail: it leaves the claim open
    value: Tri = True if holds is not None else (False if fails is not None else None)
    test = ContrastTest(confidence, looks, hold_fix, value, points, fail_correction=fail_fix)
    test.p_claim = holds if value is True else (fails if value is False else None)
    test.need = over if isinstance(over, str) else f"≥ {over.fraction:g}"
    test.equivalence = op == "between"
    _power(test, rule, alpha, adjusted=need < m)
    test.method = _method(points)
    return test


def _fraction(over: Any) -> float:
    assert isinstance(over, Fraction)
    return over.fraction


def _claim(points: list[PointTest], need: int, side: str, alpha: float) -> tuple[float | None, str]:
    """The claim's p-value when ``need`` points are shown to ``side`` (None when not), and the correction."""
    m = len(points)
    raw = [p.p_hold if side == "hold" else p.p_fail for p in points]
    if need >= m:
        adjusted, text = raw, "unadjusted: intersection–union" if m > 1 else "unadjusted: one point"
    else:
        adjusted = holm(raw)
        text = f"Holm over {m} points" if m > 1 else "unadjusted: one point"
    for p, a in zip(points, adjusted, strict=True):
        if side == "hold":
            p.p_hold_adj, p.holds = (a if need < m else None), a <= alpha
        else:
            p.p_fail_adj, p.fails = (a if need < m else None), a <= alpha
    shown = sorted(adjusted)
    if need < 1 or need > m or shown[need - 1] > alpha:
        return None, text
    return (max(adjusted) if need >= m else shown[need - 1]), text


def _power(test: ContrastTest, rule: Rule, alpha: float, adjusted: bool) -> None:
    """Each point's interval and MDE at the level its claim used (Holm's first step when adjusted)."""
    op, _ = rule.comparison
    m = len(test.points)
    one_sided = (alpha if op == "between" else alpha / 2) / (m if adjusted else 1)
    for p in test.points:
        if p.stats is None:
            continue
        p.interval = p.stats.interval(1 - 2 * alpha if op == "between" else 1 - alpha)
        p.mde = mde(p.stats.se, p.stats.df, one_sided)
    found = [p.mde for p in test.points if p.mde is not None]
    test.mde = float(statistics.median(found)) if found else None


def _method(points: list[PointTest]) -> str:
    kinds = sorted({p.stats.method for p in points if p.stats})
    return " and ".join(kinds) or "none (fewer than 2 seeds a side)"


def _pooled(rule: Rule, samples: list[PointSample], confidence: float, looks: int) -> ContrastTest:
    """``over: mean`` / ``median``: one test of the pooled difference over every (point, seed)."""
    op, target = rule.comparison
    alpha = (1 - confidence) / looks
    arm = {(repr(s.point), k): v for s in samples for k, v in s.arm.items()}
    ref = {(repr(s.point), k): v for s in samples for k, v in s.ref.items()}
    test = ContrastTest(confidence, looks, "one pooled test", None)
    if any(s.failed for s in samples) or not arm or not ref:
        return test
    if any(not math.isfinite(v) for v in (*arm.values(), *ref.values())):
        test.value = False  # a NaN sample poisons the statistic on purpose, as for a plain mean
        return test
    level = 1 - 2 * alpha if op == "between" else 1 - alpha
    if rule.over == "median":
        paired = arm.keys() == ref.keys()
        keys = sorted(arm, key=repr)
        t, c = [arm[k] for k in keys], [ref[k] for k in sorted(ref, key=repr)]
        test.pooled_interval = median_diff_interval(t, c, paired, level)
        test.method = "percentile bootstrap of the median difference"
        test.value = _by_interval(test.pooled_interval, op, target)
        return test
    stats = contrast_stats(arm, ref)
    test.pooled, test.method = stats, stats.method if stats else "none (fewer than 2 seeds a side)"
    if stats is None:
        return test
    p_hold, p_fail = _tests(stats, op, target)
    test.value = True if p_hold <= alpha else (False if p_fail <= alpha else None)
    test.p_claim = p_hold if test.value else (p_fail if test.value is False else None)
    test.pooled_interval = stats.interval(level)
    test.mde = mde(stats.se, stats.df, alpha if op == "between" else alpha / 2)
    return test


def _by_interval(ci: Interval | None, op: str, target: Any) -> Tri:
    """Holds when the interval lies on the rule's side of the threshold, fails on the other side."""
    if ci is None:
        return None
    lo, hi = ci
    if op == "between":
        return True if target[0] <= lo and hi <= target[1] else (False if hi < target[0] or lo > target[1] else None)
    if op == "equals":
        return True if lo == hi == target else (False if not lo <= target <= hi else None)
    holds = {"gt": lo > target, "ge": lo >= target, "lt": hi < target, "le": hi <= target}[op]
    fails = {"gt": hi <= target, "ge": hi < target, "lt": lo >= target, "le": lo > target}[op]
    return True if holds else (False if fails else None)
