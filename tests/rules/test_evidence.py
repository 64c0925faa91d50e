"""Controls, effects with intervals, and the discrimination checks that make a verdict inconclusive."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.rules.evidence import effect, number
from investigate.rules.intervals import excludes_zero, mean_interval, median_diff_interval, t975, welch_interval
from tests.conftest import hypothesis
from tests.records import write_arms, write_run

TWO_ARMS = """
run: m:f
arms:
  control: {x: 0}
  treated: {x: 1}
seeds: [0, 1, 2]
"""


def verdict_json(root, hid, capsys):
    assert main(["--workspace", str(root), "show", hid, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["verdict"]


# ---- intervals ---------------------------------------------------------------------------------


def test_t_quantiles_match_the_printed_table():
    # the printed table's values (3 decimals); Welch's fractional df is used as it is
    assert t975(1) == pytest.approx(12.706, abs=1e-3) and t975(2) == pytest.approx(4.303, abs=1e-3)
    assert t975(30) == pytest.approx(2.042, abs=1e-3) and t975(1e6) == pytest.approx(1.960, abs=1e-3)
    assert t975(2) > t975(2.9) > t975(3)
    with pytest.raises(ValueError):
        t975(0.5)


def test_mean_interval_by_hand():
    low, high = mean_interval([1.0, 2.0, 3.0])  # mean 2, sd 1, n 3: 2 ± 4.3027/sqrt(3)
    assert low == pytest.approx(2 - 4.30265 / math.sqrt(3), abs=1e-4)
    assert high == pytest.approx(2 + 4.30265 / math.sqrt(3), abs=1e-4)
    assert mean_interval([5.0]) is None
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0)


def test_welch_interval_by_hand():
    t, c = [10.0, 12.0, 14.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    vt, vc = statistics.variance(t) / 3, statistics.variance(c) / 5
    df = (vt + vc) ** 2 / (vt**2 / 2 + vc**2 / 4)
    half = t975(df) * math.sqrt(vt + vc)
    assert welch_interval(t, c) == pytest.approx((9 - half, 9 + half))
    assert welch_interval([1.0], c) is None
    assert welch_interval([3.0, 3.0], [1.0, 1.0]) == (2.0, 2.0)


def test_bootstrap_is_fixed_and_brackets_the_median_difference():
    t, c = [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0]
    first = median_diff_interval(t, c, paired=False)
    assert first == median_diff_interval(t, c, paired=False)  # the same records give the same interval
    assert first is not None and first[0] <= 4.0 <= first[1] and excludes_zero(first)
    assert median_diff_interval(t, c, paired=True) == (4.0, 4.0)  # every pair differs by exactly 4
    assert median_diff_interval([1.0], [2.0], paired=True) is None


def test_number_refuses_what_is_not_a_number():
    assert number(3) == 3.0 and number(2.5) == 2.5 and number("nan") is None and number(10**400) is None
    assert number(True) is None and number(True, bools=True) == 1.0


def rec(arm, seed, value, point=None):
    return RunRecord(
        run_id=f"{arm}{seed}", hypothesis="H-X", entry="m:f", arm=arm, point=point or {}, seed=seed,
        params={}, status="ok", metrics={"m": value}, started_at="t", duration_s=1.0, cache_key="k",
    )  # fmt: skip


def test_effect_pairs_by_seed_and_counts_flags_as_rates():
    paired = effect("m", "b", "a", True, None, [rec("b", s, v) for s, v in enumerate([3.0, 4.0, 5.0])],
                    [rec("a", s, v) for s, v in enumerate([1.0, 2.0, 3.0])])  # fmt: skip
    assert paired.paired and paired.mean_diff == 2.0 and paired.mean_ci == (2.0, 2.0) and paired.resolved
    unpaired = effect(
        "m", "b", "a", True, None, [rec("b", s, 1.0 + s) for s in (0, 1)], [rec("a", 7, 0.0), rec("a", 8, 1.0)]
    )
    assert not unpaired.paired and unpaired.mean_diff == 1.0 and unpaired.mean_ci is not None
    rates = effect(
        "m", "b", "a", False, None, [rec("b", 0, True), rec("b", 1, True)], [rec("a", 0, False), rec("a", 1, True)]
    )
    assert rates.mean_diff == 0.5 and not rates.declared
    odd = effect(
        "m", "b", "a", True, None, [rec("b", 0, "nan"), rec("b", 1, 10**400), rec("b", 2, 1.0)], [rec("a", 2, 0.0)]
    )
    assert odd.left_out == 2 and odd.n_arm == 1 and odd.mean_ci is None


# ---- discrimination, end to end ------------------------------------------------------------------


def confirmed_ws(make_ws, rule: str, extra: str = "", experiment: str = TWO_ARMS):
    return make_ws(
        {"hypotheses/H-X.yaml": hypothesis("H-X", experiment, extra + "verdict:\n  confirmed: " + rule + "\n")}
    )


def test_metric_constant_across_arms_is_flagged_and_inconclusive(make_ws, capsys):
    root = confirmed_ws(make_ws, "{arm: treated, metric: ratio, between: [0.9, 1.1], over: mean}")
    write_arms(root, "H-X", "ratio", {"control": [1.0, 1.0, 1.0], "treated": [1.0, 1.0, 1.0]})
    v = verdict_json(root, "H-X", capsys)
    assert (v["raw_outcome"], v["outcome"]) == ("confirmed", "inconclusive")
    assert [f["kind"] for f in v["flags"]] == ["not_discriminating", "decided_by_construction?"]
    assert "ratio = 1 in all 6 runs (every arm, point and seed)" in v["flags"][1]["detail"]
    leaf = v["rules"]["confirmed"]["tree"]
    assert leaf["other_arms"] == {"control": "pass"} and leaf["constant"] and leaf["discriminates"] is False
    assert main(["--workspace", str(root), "list"]) == 0
    assert "inconclusive⚑" in capsys.readouterr().out
    assert main(["--workspace", str(root), "status", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["(no initiative)"]["H-X"]
    assert row == {**row, "verdict": "inconclusive", "flags": ["not_discriminating", "decided_by_construction?"]}


def test_control_satisfying_the_confirming_rule_is_flagged(make_ws, capsys):
    root = confirmed_ws(make_ws, "{arm: treated, metric: r, ge: 0.8, over: mean}")
    write_arms(root, "H-X", "r", {"control": [0.85, 0.9, 0.88], "treated": [0.86, 0.91, 0.9]})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "inconclusive" and v["raw_outcome"] == "confirmed"
    assert v["flags"] == [{"kind": "not_discriminating", "detail": "treated.r ≥ 0.8 also holds on control"}]
    assert main(["--workspace", str(root), "show", "H-X"]) == 0
    out = capsys.readouterr().out
    assert "verdict:    inconclusive (flagged: the confirmed rule alone says confirmed)" in out
    assert "⚑ not_discriminating: treated.r ≥ 0.8 also holds on control" in out


def test_derivation_check_stays_decided(make_ws, capsys):
    root = confirmed_ws(make_ws, "{arm: treated, metric: r, ge: 0.8, over: mean}", "kind: derivation\n")
    write_arms(root, "H-X", "r", {"control": [0.85, 0.9, 0.88], "treated": [0.86, 0.91, 0.9]})
    v = verdict_json(root, "H-X", capsys)
    assert (v["kind"], v["outcome"], v["flags"]) == ("derivation", "confirmed", [])


def test_a_real_contrast_stays_confirmed_with_its_effect_against_the_declared_control(make_ws, capsys):
    root = confirmed_ws(
        make_ws, "{arm: treated, metric: r, ge: 0.8, over: mean}", experiment=TWO_ARMS + "control: control\n"
    )
    write_arms(root, "H-X", "r", {"control": [0.3, 0.35, 0.32], "treated": [0.86, 0.91, 0.9]})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "confirmed" and v["flags"] == [] and v["control"] == "control"
    (e,) = v["rules"]["confirmed"]["tree"]["effects"]
    assert e["against"] == "control" and e["declared_control"] and e["paired"] and e["resolved"]
    assert e["mean_diff"] == pytest.approx(0.5666666) and e["n"] == {"treated": 3, "control": 3}
    assert main(["--workspace", str(root), "show", "H-X"]) == 0
    assert "Δr treated − control = +0.567 [" in capsys.readouterr().out


def test_disjunction_needs_every_deciding_branch_to_discriminate(make_ws, capsys):
    # branch 1 holds on both arms, branch 2 only on treated: branch 1 alone would decide anywhere
    rule = "\n    any:\n      - {arm: treated, metric: ok, equals: true, over: all}\n      - {arm: treated, metric: r, ge: 0.8, over: mean}"
    root = confirmed_ws(make_ws, rule)
    for arm, r in (("control", 0.2), ("treated", 0.9)):
        for seed in range(3):
            write_run(root, "H-X", arm, seed, {"ok": True, "r": r + 0.01 * seed})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "inconclusive"
    tree = v["rules"]["confirmed"]["tree"]
    assert tree["op"] == "any" and [c["decisive"] for c in tree["children"]] == [True, True]
    assert [c["discriminates"] for c in tree["children"]] == [False, True]


def test_conjunction_with_a_precondition_is_still_a_contrast(make_ws, capsys):
    rule = "\n    all:\n      - {arm: treated, metric: ok, equals: true, over: all}\n      - {arm: treated, metric: r, ge: 0.8, over: mean}"
    root = confirmed_ws(make_ws, rule)
    for arm, r in (("control", 0.2), ("treated", 0.9)):
        for seed in range(3):
            write_run(root, "H-X", arm, seed, {"ok": True, "r": r + 0.01 * seed})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "confirmed" and v["flags"] == []


def test_the_branch_that_decided_an_any_is_kept(make_ws, capsys):
    rule = "\n    any:\n      - {arm: treated, metric: r, ge: 2, over: mean}\n      - {arm: treated, metric: r, ge: 0.8, over: mean}"
    root = confirmed_ws(make_ws, rule)
    write_arms(root, "H-X", "r", {"control": [0.2, 0.21, 0.22], "treated": [0.9, 0.91, 0.92]})
    v = verdict_json(root, "H-X", capsys)
    tree = v["rules"]["confirmed"]["tree"]
    assert [(c["result"], c["decisive"]) for c in tree["children"]] == [("fail", False), ("pass", True)]
    assert tree["children"][1]["values"][0]["value"] == 0.9 and tree["children"][1]["statistic"] == pytest.approx(0.91)
    assert main(["--workspace", str(root), "show", "H-X"]) == 0
    assert (
        "    confirmed: holds (any, decided by part 2)\n      - mean(treated.r) = 0.91 not ≥ 2"
        in capsys.readouterr().out
    )


RULED = """verdict:
  confirmed: {arm: treated, metric: m, lt: 0.5, over: mean}
  ruled_out: {arm: treated, metric: m, ge: 0.5, over: mean}
"""


def test_ruled_out_that_holds_everywhere_without_a_difference_stands(make_ws, capsys):
    # the null result: removing the suspect leaves the symptom as it was
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, RULED)})
    write_arms(root, "H-X", "m", {"control": [0.8, 0.9, 0.85], "treated": [0.82, 0.88, 0.86]})
    assert verdict_json(root, "H-X", capsys)["outcome"] == "ruled_out"


def test_ruled_out_blind_to_a_material_difference_is_flagged(make_ws, capsys):
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, RULED)})
    write_arms(root, "H-X", "m", {"control": [2.0, 2.1, 2.05], "treated": [0.8, 0.9, 0.85]})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "inconclusive" and v["flags"][0]["kind"] == "not_discriminating"
    assert "although m differs by more than 0.05: treated − control = -1.2 [" in v["flags"][0]["detail"]


def test_vs_compares_the_difference_per_point(make_ws, capsys):
    rules = """verdict:
  confirmed: {arm: treated, vs: control, metric: m, gt: 0.5, over: all}
  ruled_out: {arm: treated, vs: control, metric: m, between: [-0.1, 0.1], over: all}
"""
    experiment = TWO_ARMS + "matrix: {p: [a, b]}\n"
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", experiment, rules)})
    for p, (c, t) in {"a": (0.1, 1.0), "b": (0.2, 0.9)}.items():
        for seed in range(3):
            write_run(root, "H-X", "control", seed, {"m": c}, {"p": p})
            write_run(root, "H-X", "treated", seed, {"m": t}, {"p": p})
    v = verdict_json(root, "H-X", capsys)
    assert v["outcome"] == "confirmed"
    leaf = v["rules"]["confirmed"]["tree"]
    assert [round(o["value"], 6) for o in leaf["values"]] == [0.9, 0.7] and leaf["other_arms"] == {}
    assert v["evidence"] == [
        "(treated − control).m > 0.5: holds — 2/2 points hold (need all; 95% intervals, unadjusted: "
        "intersection–union); p 0; MDE80 0 (paired t, 3 seeds)"
    ]
    assert [e["point"] for e in leaf["effects"]] == [{"p": "a"}, {"p": "b"}, None]


def test_vs_must_name_another_arm(make_ws, capsys):
    root = confirmed_ws(make_ws, "{arm: treated, vs: contrl, metric: m, gt: 0, over: all}")
    assert main(["--workspace", str(root), "validate"]) == 1
    assert "vs: 'contrl' is not one of the arms (control, treated)" in capsys.readouterr().err
    root = confirmed_ws(make_ws, "{arm: treated, metric: m, gt: 0, over: all}", experiment=TWO_ARMS + "control: ctl\n")
    assert main(["--workspace", str(root), "validate"]) == 1
    assert "control: 'ctl' is not one of the arms" in capsys.readouterr().err


def test_welch_interval_with_tiny_variances_does_not_divide_by_zero():
    # a converged loss: variances near 1e-300 square to 0; the degrees of freedom must not care
    treated, control = [1e-150, 3e-150], [2e-150, 5e-150]
    low, high = welch_interval(treated, control)
    assert low < -1.5e-150 < high
    scaled = welch_interval([1.0, 3.0], [2.0, 5.0])
    assert math.isclose(low / 1e-150, scaled[0]) and math.isclose(high / 1e-150, scaled[1])
