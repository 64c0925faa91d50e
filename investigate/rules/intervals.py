"""Confidence intervals (95 % unless told) for a difference between two arms.

- Difference of means: a t interval. Paired (one-sample t on the per-seed differences) when both
  arms ran the same seeds, Welch's unequal-variance interval otherwise, with Welch's fractional
  degrees of freedom. The t quantiles come from ``scipy.stats`` (see ``statistics``).
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

from investigate.rules.statistics import paired_stats, t_quantile, welch_stats

Interval = tuple[float, float]

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20260120


def t975(df: float) -> float:
    """The 0.975 quantile of Student's t (the half-width factor of a 95 % interval)."""
    return t_quantile(0.975, df)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval | None:
    """The t interval of the mean of ``values`` (the paired case: values are differences)."""
    stats = paired_stats(list(values))
    return stats.interval(confidence) if stats else None


def welch_interval(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95) -> Interval | None:
    """Welch's t interval of mean(treated) − mean(control)."""
    stats = welch_stats(list(treated), list(control))
    return stats.interval(confidence) if stats else None


def median_diff_interval(
    treated: Sequence[float], control: Sequence[float], paired: bool, confidence: float = 0.95
) -> Interval | None:
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
    tail = (1 - confidence) / 2
    low = stats[int(tail * BOOTSTRAP_RESAMPLES)]
    high = stats[max(math.ceil((1 - tail) * BOOTSTRAP_RESAMPLES) - 1, 0)]
    return float(low), float(high)


def excludes_zero(interval: Interval | None) -> bool:
    return interval is not None and (interval[0] > 0 or interval[1] < 0)
