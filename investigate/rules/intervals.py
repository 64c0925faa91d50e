"""95 % intervals for a difference between two arms, without scipy.

- Difference of means: a t interval. Paired (one-sample t on the per-seed differences) when both
  arms ran the same seeds, Welch's unequal-variance interval otherwise. The t quantiles come from
  a table for 1-30 degrees of freedom and the normal quantile beyond; Welch's fractional degrees
  of freedom are rounded down, which widens the interval slightly (the cautious side).
- Difference of medians: a percentile bootstrap (resampling pairs, or each arm on its own) with a
  fixed seed, so the same records give the same interval on every machine. With three seeds the
  bootstrap can only reach a handful of distinct medians: read it as a range, not a precise bound.
- Fewer than two values on a side (two pairs when paired): no interval (``None``); a point
  estimate alone says nothing about noise.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence

Interval = tuple[float, float]

# Two-sided 95 % (0.975 quantile) of Student's t, df 1..30.
T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
Z975 = 1.960
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20260120


def t975(df: float) -> float:
    whole = math.floor(df)
    if whole < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    return T975[whole - 1] if whole <= len(T975) else Z975


def mean_interval(values: Sequence[float]) -> Interval | None:
    """The t interval of the mean of ``values`` (the paired case: values are differences)."""
    n = len(values)
    if n < 2:
        return None
    mean = statistics.fmean(values)
    half = t975(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean - half, mean + half


def welch_interval(treated: Sequence[float], control: Sequence[float]) -> Interval | None:
    """Welch's t interval of mean(treated) − mean(control)."""
    nt, nc = len(treated), len(control)
    if nt < 2 or nc < 2:
        return None
    diff = statistics.fmean(treated) - statistics.fmean(control)
    vt, vc = statistics.variance(treated) / nt, statistics.variance(control) / nc
    se = math.sqrt(vt + vc)
    if se == 0:
        return diff, diff
    # df is scale-free: computed on the variances over their maximum, so tiny ones (1e-170, a
    # converged loss) do not underflow to 0 / 0 when squared
    a, b = vt / max(vt, vc), vc / max(vt, vc)
    df = (a + b) ** 2 / (a**2 / (nt - 1) + b**2 / (nc - 1))
    half = t975(df) * se
    return diff - half, diff + half


def median_diff_interval(treated: Sequence[float], control: Sequence[float], paired: bool) -> Interval | None:
    """Percentile bootstrap interval of the difference of medians (of the differences, if paired)."""
    # A fresh generator per call, so the result never depends on call order; statistics, not secrets.
    rng = random.Random(BOOTSTRAP_SEED)  # noqa: S311

    def draw(values: Sequence[float]) -> list[float]:
        # int(random() * n) rather than choices(): its output is fixed across Python versions.
        return [values[int(rng.random() * len(values))] for _ in values]

    if paired:
        diffs = [t - c for t, c in zip(treated, control, strict=True)]
        if len(diffs) < 2:
            return None
        stats = [statistics.median(draw(diffs)) for _ in range(BOOTSTRAP_RESAMPLES)]
    else:
        if len(treated) < 2 or len(control) < 2:
            return None
        stats = [
            statistics.median(draw(treated)) - statistics.median(draw(control)) for _ in range(BOOTSTRAP_RESAMPLES)
        ]
    stats.sort()
    low = stats[int(0.025 * BOOTSTRAP_RESAMPLES)]
    high = stats[math.ceil(0.975 * BOOTSTRAP_RESAMPLES) - 1]
    return float(low), float(high)


def excludes_zero(interval: Interval | None) -> bool:
    return interval is not None and (interval[0] > 0 or interval[1] < 0)
