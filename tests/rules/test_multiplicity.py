"""Holm within a condition, Benjamini–Hochberg q-values across an initiative, the MDE at 80 % power."""

from __future__ import annotations

import math
import random

import pytest

from investigate.rules.multiplicity import bh_qvalues, holm
from investigate.rules.power import mde, noncentrality


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.03, 0.5 -> 4*0.01, max(0.04, 3*0.02), max(0.06, 2*0.03), max(0.06, 0.5)
    assert holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # 2 * 0.8 caps at 1, and adjusted values never decrease
    assert holm([]) == []


def test_bh_by_hand():
    # p 0.01, 0.02, 0.03, 0.5 (m = 4): q = min over ranks >= i of p * m / rank
    assert bh_qvalues([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.04, 0.04, 0.5, 0.04])
    assert bh_qvalues([0.5]) == [0.5]


def test_holm_controls_the_familywise_error_by_simulation():
    rng = random.Random(3)
    false = sum(min(holm([rng.random() for _ in range(15)])) <= 0.05 for _ in range(4000))
    assert false / 4000 <= 0.06  # nominal 0.05 under the global null


def test_mde_for_three_paired_seeds_and_by_simulation():
    # 3 pairs, two-sided 95 % (one-sided 0.025): about 3.26 standard deviations of the differences
    assert mde(1 / math.sqrt(3), 2, 0.025) == pytest.approx(3.264, abs=0.01)
    assert mde(0.0, 2, 0.025) == 0.0
    lam = noncentrality(9, 0.025)
    # power at that noncentrality, simulated with the t statistic itself: close to 0.8
    rng = random.Random(5)
    from investigate.rules.statistics import paired_stats

    n, hits, trials = 10, 0, 3000
    for _ in range(trials):
        diffs = [rng.gauss(lam / math.sqrt(n), 1.0) for _ in range(n)]
        hits += paired_stats(diffs).p_above(0.0) <= 0.025
    assert hits / trials == pytest.approx(0.8, abs=0.03)
