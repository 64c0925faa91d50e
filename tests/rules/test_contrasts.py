"""Contrasts decide on intervals: holds / fails / unresolved, TOST, Holm for claims about some points."""

from __future__ import annotations

import math

import pytest

from investigate.formats.schema import Rule
from investigate.rules.contrasts import PointSample, decide
from investigate.rules.contrastview import workspace_confidence
from investigate.rules.statistics import contrast_stats, paired_stats, welch_stats


def rule(**kw):
    return Rule.model_validate({"arm": "t", "vs": "c", "metric": "m", **kw})


def sample(diffs, point=0, base=0.0):
    """A point whose treated minus control differences per seed are ``diffs`` (control at ``base``)."""
    return PointSample({"p": point}, [f"r{point}"], False, {s: base + d for s, d in enumerate(diffs)},
                       {s: base for s in range(len(diffs))})  # fmt: skip


def test_paired_and_welch_statistics_by_hand():
    s = paired_stats([1.0, 2.0, 3.0])
    assert (s.estimate, s.df, s.n) == (2.0, 2, 3) and s.se == pytest.approx(1 / math.sqrt(3))
    lo, hi = s.interval(0.95)
    assert lo == pytest.approx(2 - 4.302653 / math.sqrt(3), abs=1e-5) and hi == pytest.approx(
        2 + 4.302653 / math.sqrt(3), abs=1e-5
    )
    assert s.p_above(2.0) == pytest.approx(0.5)
    scipy_stats = pytest.importorskip("scipy.stats")  # the distribution's own interface, as a cross-check
    assert s.p_above(-10) == pytest.approx(scipy_stats.t.sf(12 / s.se, 2)) and s.p_below(-10) > 0.99
    w = welch_stats([10.0, 12.0, 14.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert not w.paired and w.estimate == 9.0 and 2 < w.df < 6
    assert contrast_stats({0: 1.0, 1: 2.0}, {0: 0.0, 1: 0.0}).paired  # same seeds: paired
    assert not contrast_stats({0: 1.0, 1: 2.0}, {2: 0.0, 3: 0.5}).paired
    assert paired_stats([1.0]) is None and welch_stats([1.0], [1.0, 2.0]) is None


@pytest.mark.parametrize(
    ("diffs", "op", "value"),
    [
        ([1.0, 1.1, 0.9], {"gt": 0.5}, True),  # the interval lies above 0.5
        ([0.0, 0.1, -0.1], {"gt": 0.5}, False),  # the interval lies below 0.5
        ([0.6, 0.1, 1.2], {"gt": 0.5}, None),  # mean above 0.5, interval straddles it: unresolved
        ([0.0, 0.1, -0.1], {"lt": 0.5}, True),
        ([2.0, 2.0, 2.0], {"ge": 2.0}, True),  # exact: decided by the estimate
        ([2.0, 2.0, 2.0], {"gt": 2.0}, False),
        ([2.0, 2.0, 2.0], {"equals": 2.0}, True),
        ([1.0, 1.1, 0.9], {"equals": 0.0}, False),
        ([1.0], {"gt": 0.5}, None),  # one seed: no interval, nothing decided
    ],
)
def test_one_point_decides_on_its_interval(diffs, op, value):
    test = decide(rule(**op), [sample(diffs)], 0.95)
    assert test.value is value
    assert test.unresolved is (value is None)


def test_the_level_moves_the_decision():
    diffs = [0.9, 0.5, 1.3, 0.8]  # mean 0.875; 95 % interval reaches below 0.3, 80 % does not
    assert decide(rule(gt=0.3), [sample(diffs)], 0.99).value is None
    assert decide(rule(gt=0.3), [sample(diffs)], 0.80).value is True
    assert decide(rule(gt=0.3), [sample(diffs)], 0.80, looks=20).value is None  # α split over 20 looks


def test_between_is_an_equivalence_test():
    tight = [0.01, -0.02, 0.0, 0.02, -0.01]
    assert decide(rule(between=[-0.1, 0.1]), [sample(tight)], 0.95).value is True
    wide = [0.3, -0.3, 0.05]  # mean inside the band, but the 90 % interval is not: not shown equivalent
    assert decide(rule(between=[-0.1, 0.1]), [sample(wide)], 0.95).value is None
    outside = [1.0, 1.1, 0.9]
    assert decide(rule(between=[-0.1, 0.1]), [sample(outside)], 0.95).value is False


def test_any_uses_holm_over_the_points():
    # one point just significant on its own (p ≈ 0.02 one-sided, doubled 0.04) is not enough among 15
    marginal = [0.6, 1.6, 1.0, 1.5, 0.5]
    alone = decide(rule(gt=0.0, over="any"), [sample(marginal)], 0.95)
    assert alone.value is True and alone.correction == "unadjusted: one point"
    many = [sample(marginal, 0)] + [sample([0.5, -0.5, 0.1, -0.2, 0.05], i) for i in range(1, 15)]
    test = decide(rule(gt=0.0, over="any"), many, 0.95)
    assert test.value is None and test.correction == "Holm over 15 points"
    assert test.points[0].p_hold_adj == pytest.approx(min(1.0, 15 * test.points[0].p_hold))
    strong = [sample([3.0, 3.1, 2.9, 3.05], 0)] + many[1:]
    held = decide(rule(gt=0.0, over="any"), strong, 0.95)
    assert held.value is True and [p.state for p in held.points].count("holds") == 1


def test_all_is_unadjusted_and_fails_on_one_point_shown_on_the_other_side():
    good = [sample([1.0, 1.1, 0.9], i) for i in range(3)]
    test = decide(rule(gt=0.5, over="all"), good, 0.95)
    assert test.value is True and test.correction.startswith("unadjusted")
    bad = good[:2] + [sample([0.0, 0.05, -0.05], 2)]
    assert decide(rule(gt=0.5, over="all"), bad, 0.95).value is False


def test_failed_points_and_nan():
    failed = PointSample({"p": 1}, ["x"], True, {}, {})
    test = decide(rule(gt=0.5, over="all"), [sample([1.0, 1.1, 0.9]), failed], 0.95)
    assert test.value is None and not test.unresolved  # undecided until the failed runs succeed
    nan = PointSample({"p": 2}, ["y"], False, {0: math.nan, 1: 1.0}, {0: 0.0, 1: 0.0})
    assert decide(rule(gt=0.5, over="any"), [nan], 0.95).value is False  # NaN fails every comparison


def test_mean_and_median_pool_every_point_and_seed():
    points = [sample([0.4, 0.6, 0.5], i) for i in range(5)]
    mean = decide(rule(gt=0.3, over="mean"), points, 0.95)
    assert mean.value is True and mean.pooled is not None and mean.pooled.n == 15
    median = decide(rule(gt=0.3, over="median"), points, 0.95)
    assert median.value is True and median.pooled_interval is not None


def test_the_minimum_detectable_effect_follows_the_seeds_and_the_correction():
    noisy = [sample([1.0, -1.0, 0.5], i) for i in range(15)]
    alone = decide(rule(gt=0.5, over="all"), noisy, 0.95)
    holm = decide(rule(gt=0.5, over="any"), noisy, 0.95)
    assert alone.mde is not None and holm.mde is not None and holm.mde > alone.mde > 0
    more = [sample([1.0, -1.0, 0.5] * 4, i) for i in range(15)]
    assert decide(rule(gt=0.5, over="all"), more, 0.95).mde < alone.mde


def test_workspace_confidence_is_checked():
    from types import SimpleNamespace

    from investigate.core.errors import InvestigateError

    assert workspace_confidence(None) == 0.95
    assert workspace_confidence(SimpleNamespace(settings={"confidence": 0.9})) == 0.9
    ws = SimpleNamespace(settings={"confidence": 95})
    with pytest.raises(InvestigateError, match=r"tool\.investigate\.confidence: expected a number between 0 and 1"):
        workspace_confidence(ws)


def test_plain_commands_do_not_import_scipy(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\nfrom investigate.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "import investigate.rules.verdict, investigate.rules.audit\n"
        "print('scipy' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    )
    assert out.stdout.strip().splitlines()[-1] == "False"  # loading the verdict code is not judging a contrast
