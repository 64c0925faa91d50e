"""The test behind one contrast at one matrix point: estimate, standard error, degrees of freedom.

A contrast is mean(arm) − mean(reference) over seeds. Paired (a one-sample t on the per-seed
differences) when both sides ran exactly the same seeds, Welch's unequal-variance t otherwise;
both as in ``intervals``. Student's t comes from scipy (``scipy.special.stdtr`` / ``stdtrit``, the
ufuncs behind ``scipy.stats.t``, called directly: a verdict over 15 points makes dozens of calls),
imported on first use so that commands which judge nothing (``--version``) do not pay for it.

A zero standard error (every seed gave the same difference: a deterministic effect) decides
exactly: the estimate is compared with the threshold, and p-values are 0 or 1.

One-sided p-values ``p_above(t)`` (evidence that the effect exceeds t) and ``p_below(t)`` are the
building blocks ``contrasts`` turns into "holds" and "fails" tests for each comparison.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Interval = tuple[float, float]


def _special() -> Any:
    import scipy.special  # lazy: only a verdict on a contrast needs it

    return scipy.special


@lru_cache(maxsize=4096)
def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (fractional df allowed)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    return float(_special().stdtrit(df, q))


def t_sf(x: float, df: float) -> float:
    """P(T > x) for Student's t with ``df`` degrees of freedom."""
    return float(_special().stdtr(df, -x))


@dataclass(frozen=True)
class PointStats:
    """mean(arm) − mean(reference) at one point, with what its t test needs."""

    estimate: float
    se: float
    df: float
    n: int  # pairs when paired, else the smaller side
    paired: bool
    n_arm: int
    n_ref: int

    @property
    def exact(self) -> bool:
        """Every seed gave the same difference: the test decides by the estimate alone."""
        return self.se == 0

    @property
    def method(self) -> str:
        return "paired t" if self.paired else "Welch t"

    def interval(self, confidence: float) -> Interval:
        """The two-sided ``confidence`` interval of the difference."""
        if self.exact:
            return self.estimate, self.estimate
        half = t_quantile(1 - (1 - confidence) / 2, self.df) * self.se
        return self.estimate - half, self.estimate + half

    def p_above(self, threshold: float, strict: bool = True) -> float:
        """One-sided p-value of "the difference is above ``threshold``" (small: shown above)."""
        if self.exact:
            above = self.estimate > threshold if strict else self.estimate >= threshold
            return 0.0 if above else 1.0
        return t_sf((self.estimate - threshold) / self.se, self.df)

    def p_below(self, threshold: float, strict: bool = True) -> float:
        """One-sided p-value of "the difference is below ``threshold``"."""
        if self.exact:
            below = self.estimate < threshold if strict else self.estimate <= threshold
            return 0.0 if below else 1.0
        return t_sf((threshold - self.estimate) / self.se, self.df)


def paired_stats(diffs: list[float]) -> PointStats | None:
    """The one-sample t on per-seed differences (None with fewer than two pairs)."""
    n = len(diffs)
    if n < 2:
        return None
    return PointStats(statistics.fmean(diffs), statistics.stdev(diffs) / math.sqrt(n), n - 1, n, True, n, n)


def welch_stats(arm: list[float], ref: list[float]) -> PointStats | None:
    """Welch's t of mean(arm) − mean(ref) (None with fewer than two values on a side)."""
    na, nr = len(arm), len(ref)
    if na < 2 or nr < 2:
        return None
    diff = statistics.fmean(arm) - statistics.fmean(ref)
    va, vr = statistics.variance(arm) / na, statistics.variance(ref) / nr
    se = math.sqrt(va + vr)
    if se == 0:
        return PointStats(diff, 0.0, na + nr - 2, min(na, nr), False, na, nr)
    # scale-free: tiny variances (a converged loss, 1e-170) must not underflow to 0 / 0 when squared
    a, b = va / max(va, vr), vr / max(va, vr)
    df = (a + b) ** 2 / (a**2 / (na - 1) + b**2 / (nr - 1))
    return PointStats(diff, se, df, min(na, nr), False, na, nr)


def contrast_stats(arm: Mapping[Any, float], ref: Mapping[Any, float]) -> PointStats | None:
    """Paired when both sides have values for exactly the same keys (seeds), Welch otherwise."""
    if arm and arm.keys() == ref.keys():
        return paired_stats([arm[k] - ref[k] for k in sorted(arm, key=repr)])
    return welch_stats(list(arm.values()), list(ref.values()))
