"""The minimum detectable effect (MDE) of a contrast: how large a true difference its seeds would
find with 80 % power at the level its decision uses.

Exact for the t tests the decisions use (no normal approximation): the noncentrality λ at which a
noncentral t with the test's degrees of freedom exceeds the one-sided critical value with
probability 0.8 (``scipy.special.nctdtr``, the noncentral t behind ``scipy.stats.nct``), times the
test's standard error. The standard error is the measured one (the seeds' own spread), so the MDE
is what these seeds could have seen, not a planning guess. Paired tests use n − 1 degrees of
freedom and sd/√n; Welch tests their own df and standard error. With 3 paired seeds at α = 0.05
(two-sided, so 0.025 on the side a threshold is tested) that is about 3.26 standard deviations of
the differences; Holm over m points divides that α by m on the first step.
"""

from __future__ import annotations

from functools import lru_cache

POWER = 0.8


@lru_cache(maxsize=4096)
def noncentrality(df: float, alpha_one_sided: float, power: float = POWER) -> float:
    """λ with P(T'(df, λ) > t_{1−α}(df)) = power (scipy's noncentral t, solved by brentq)."""
    import scipy.optimize
    import scipy.special

    crit = float(scipy.special.stdtrit(df, 1 - alpha_one_sided))

    def gap(lam: float) -> float:
        return 1.0 - float(scipy.special.nctdtr(df, lam, crit)) - power

    high = crit + 10.0
    while gap(high) < 0:
        high *= 2
    return float(scipy.optimize.brentq(gap, 0.0, high, xtol=1e-6))


def mde(se: float, df: float, alpha_one_sided: float, power: float = POWER) -> float:
    """The smallest true difference detected with ``power`` by a one-sided t test at this level."""
    if se == 0:
        return 0.0
    return noncentrality(df, alpha_one_sided, power) * se
