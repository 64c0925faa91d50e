"""Verdicts on contrasts end to end: unresolved in show, the level, vs_point, robust_to, power,
acknowledged findings and rules_overlap under vs (records written straight into the store)."""

from __future__ import annotations

import json

from investigate.cli.main import main
from tests.conftest import PYPROJECT, hypothesis
from tests.records import write_run

TWO_ARMS = "run: m:f\narms:\n  control: {x: 0}\n  treated: {x: 1}\ncontrol: control\nseeds: [0, 1, 2]\n"
ENTRY = {"m.py": "def f(params, ctx):\n    return {}\n"}


def write_pairs(root, diffs, metric="m", extra=None, point=None):
    for seed, d in enumerate(diffs):
        write_run(root, "H-X", "control", seed, {metric: 1.0, **(extra or {})}, point)
        write_run(root, "H-X", "treated", seed, {metric: 1.0 + d, **(extra or {})}, point)


def run(root, capsys, *argv):
    code = main(["--workspace", str(root), *argv])
    captured = capsys.readouterr()
    run.err = captured.err  # type: ignore[attr-defined]
    return code, captured.out


RULES = """verdict:
  confirmed: {arm: treated, vs: control, metric: m, gt: 0.5, over: all}
  ruled_out: {arm: treated, vs: control, metric: m, lt: 0.5, over: all}
"""


def test_a_mean_beyond_the_threshold_with_a_wide_interval_is_unresolved(make_ws, capsys):
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, RULES), **ENTRY})
    write_pairs(root, [0.6, 0.1, 1.4])  # mean 0.7 > 0.5: the old point-estimate rule said confirmed
    code, out = run(root, capsys, "show", "H-X")
    assert code == 0
    assert "verdict:    inconclusive" in out and "confirmed: unresolved" in out
    assert "(treated − control).m > 0.5: unresolved — 0/1 points hold" in out and "MDE80" in out
    _, text = run(root, capsys, "show", "H-X", "--json")
    tree = json.loads(text)["verdict"]["rules"]["confirmed"]["tree"]
    assert tree["result"] == "unresolved" and tree["contrast"]["correction"] == "unadjusted: one point"
    assert tree["contrast"]["points"][0]["method"] == "paired t"


def test_confidence_from_the_workspace_and_per_condition(make_ws, capsys):
    diffs = [0.9, 0.7, 1.3, 0.8]  # decided at 80 %, not at 99 %
    files = {"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, RULES), **ENTRY}
    root = make_ws({**files, "pyproject.toml": PYPROJECT + "confidence = 0.8\n"})
    write_pairs(root, diffs)
    assert "verdict:    confirmed" in run(root, capsys, "show", "H-X")[1]
    strict = RULES.replace("gt: 0.5, over: all}", "gt: 0.5, over: all, confidence: 0.999}")
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, strict))
    assert "verdict:    inconclusive" in run(root, capsys, "show", "H-X")[1]
    plain = RULES.replace("vs: control, ", "").replace("over: all}", "over: all, confidence: 0.9}", 1)
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, plain))
    code, _ = run(root, capsys, "validate")
    assert code == 1 and "'confidence' sets the level of a contrast's interval" in run.err
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, strict))
    (root / "pyproject.toml").write_text(PYPROJECT + "confidence = 2\n")
    code, _ = run(root, capsys, "show", "H-X")
    assert code == 1 and "tool.investigate.confidence" in run.err


def test_vs_point_contrasts_a_single_arm_experiment_with_a_reference_point(make_ws, capsys):
    experiment = "run: m:f\nmatrix: {scenario: [ref, a, b]}\nseeds: [0, 1, 2]\n"
    rules = (
        "verdict:\n  confirmed: {vs_point: {scenario: ref}, metric: m, gt: 0.5, over: all}\n"
        "  ruled_out: {vs_point: {scenario: ref}, metric: m, between: [-0.5, 0.5], over: all}\n"
    )
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", experiment, rules), **ENTRY})
    for scenario, level in {"ref": 0.0, "a": 2.0, "b": 2.1}.items():
        for seed, noise in enumerate([0.0, 0.05, -0.05]):
            write_run(root, "H-X", "default", seed, {"m": level + noise}, {"scenario": scenario})
    code, out = run(root, capsys, "show", "H-X")
    assert "verdict:    confirmed" in out
    assert "(m − at scenario=ref) > 0.5: holds — 2/2 points hold" in out
    bad = rules.replace("{scenario: ref}", "{scenario: nowhere}", 1)
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", experiment, bad))
    code, _ = run(root, capsys, "validate")
    assert code == 1 and "vs_point: scenario='nowhere' is not a point of the matrix" in run.err


def test_robust_to_flags_a_verdict_that_flips_with_another_metric(make_ws, capsys):
    rules = RULES.replace("metric: m, gt: 0.5, over: all}", "metric: m, gt: 0.5, over: all, robust_to: [m2]}")
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, rules), **ENTRY})
    for seed, d in enumerate([1.0, 1.1, 0.9]):
        write_run(root, "H-X", "control", seed, {"m": 0.0, "m2": 0.0})
        write_run(root, "H-X", "treated", seed, {"m": d, "m2": d - 1.0})  # on m2 the effect is gone
    code, out = run(root, capsys, "show", "H-X")
    assert "verdict:    inconclusive (flagged: the confirmed rule alone says confirmed)" in out
    assert "⚑ metric_sensitive: (treated − control).m > 0.5 with m2: fails → no rule holds" in out
    assert "robust_to (the verdict with each alternative metric):" in out
    code, out = run(root, capsys, "audit", "H-X")
    assert code == 1 and "H-X: metric_sensitive:" in out


def test_underpowered_contrast_and_an_acknowledged_finding(make_ws, capsys):
    rules = RULES.replace("gt: 0.5", "gt: 0.05").replace("lt: 0.5", "lt: 0.05")
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, rules), **ENTRY})
    write_pairs(root, [0.6, 0.1, 1.4])
    code, out = run(root, capsys, "audit", "H-X")
    assert code == 1
    assert "H-X: underpowered: (treated − control).m > 0.05: the smallest effect 3 seeds detect" in out
    acknowledged = rules + "acknowledge:\n  - {finding: underpowered, reason: a pilot; more seeds are planned}\n"
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, acknowledged))
    code, out = run(root, capsys, "audit", "H-X")
    assert code == 0
    assert "[acknowledged: a pilot; more seeds are planned]" in out and "finding(s) acknowledged" in out
    typo = rules + "acknowledge:\n  - {finding: underpowred, reason: r}\n"
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, typo))
    code, _ = run(root, capsys, "validate")
    assert code == 1 and "did you mean underpowered?" in run.err


def test_an_acknowledged_deterministic_cause_is_printed_in_the_summary(make_ws, capsys):
    rules = (
        "verdict:\n  confirmed:\n    all:\n      - {arm: treated, metric: crashed, equals: false, over: all}\n"
        "      - {arm: control, metric: crashed, equals: true, over: all}\n"
        "acknowledge:\n  - {finding: deterministic, reason: the stale config crashes on every seed}\n"
    )
    initiative = "id: INI-1\ntitle: t\nhypotheses: [H-X]\nsummary:\n  outcome: o\n"
    root = make_ws(
        {"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, rules), "plans/INI-1/initiative.yaml": initiative, **ENTRY}
    )
    for seed in range(3):
        write_run(root, "H-X", "control", seed, {"crashed": True})
        write_run(root, "H-X", "treated", seed, {"crashed": False})
    code, out = run(root, capsys, "audit", "H-X")
    assert code == 0 and "H-X: deterministic:" in out and "a legitimate causal result" in out
    code, out = run(root, capsys, "summary", "INI-1", "--no-figures")
    assert code == 0
    assert "- H-X: `deterministic` — the stale config crashes on every seed" in out
    assert "Audit: H-X: deterministic" not in out  # acknowledged: not a gap any more


def test_no_rules_overlap_between_a_contrast_and_the_arm_itself(make_ws, capsys):
    rules = (
        "verdict:\n  confirmed: {arm: treated, vs: control, metric: lost, ge: 0.5, over: all}\n"
        "  ruled_out: {arm: treated, metric: lost, le: 0.01, over: any}\n"
    )
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", TWO_ARMS, rules), **ENTRY})
    _, out = run(root, capsys, "audit", "H-X")
    assert "rules_overlap" not in out
    plain = rules.replace("vs: control, ", "")
    (root / "hypotheses/H-X.yaml").write_text(hypothesis("H-X", TWO_ARMS, plain.replace("over: all", "over: any")))
    _, out = run(root, capsys, "audit", "H-X")
    assert "rules_overlap" in out  # without the contrast, any ≥ 0.5 and any ≤ 0.01 can both hold
