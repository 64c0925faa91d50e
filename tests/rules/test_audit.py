"""``investigate audit``: static findings, evidence findings, claims; output, JSON and exit codes."""

from __future__ import annotations

import json

import pytest

from investigate.cli.main import main
from investigate.formats.schema import Hypothesis
from investigate.rules.audit import static_findings
from tests.conftest import hypothesis
from tests.records import write_arms, write_run

TWO_ARMS = "run: m:f\narms:\n  control: {x: 0}\n  treated: {x: 1}\nseeds: [0, 1, 2]\n"
ENTRY_MODULES = {"m.py": "def f(params, ctx):\n    return {}\n"}  # validate resolves run: entry points


def hyp(rules: str, experiment: str = TWO_ARMS, extra: str = "") -> Hypothesis:
    import yaml

    data = yaml.safe_load(hypothesis("H-X", experiment, extra + "verdict:\n" + rules))
    return Hypothesis.model_validate(data)


def kinds(h: Hypothesis) -> list[str]:
    return [f.kind for f in static_findings(h)]


@pytest.mark.parametrize(
    "rules",
    [
        # the same condition decides both outcomes
        "  confirmed: {arm: treated, metric: r, ge: 0.5, over: mean}\n"
        "  ruled_out: {arm: treated, metric: r, ge: 0.5, over: mean}\n",
        # overlapping ranges of one statistic: 0.5 <= mean < 0.9 satisfies both
        "  confirmed: {arm: treated, metric: r, ge: 0.5, over: mean}\n"
        "  ruled_out: {arm: treated, metric: r, lt: 0.9, over: mean}\n",
        # one run true and another false satisfy any/any
        "  confirmed: {arm: treated, metric: nan, equals: true, over: any}\n"
        "  ruled_out: {arm: treated, metric: nan, equals: false, over: any}\n",
        # a branch of an any that overlaps
        "  confirmed:\n    any:\n      - {arm: treated, metric: r, gt: 5, over: all}\n"
        "      - {arm: control, metric: r, lt: 1, over: mean}\n"
        "  ruled_out: {arm: control, metric: r, le: 0.5, over: mean}\n",
    ],
)
def test_rules_that_can_both_hold_are_found(rules):
    (finding,) = [f for f in static_findings(hyp(rules)) if f.kind == "rules_overlap"]
    assert finding.detail.startswith("confirmed (") and finding.detail.endswith(") can both hold")


@pytest.mark.parametrize(
    "rules",
    [
        "  confirmed: {arm: treated, metric: r, ge: 0.9, over: mean}\n"
        "  ruled_out: {arm: treated, metric: r, lt: 0.9, over: mean}\n",
        "  confirmed: {arm: treated, metric: r, ge: 0.9, over: all}\n"
        "  ruled_out: {arm: treated, metric: r, lt: 0.5, over: mean}\n",  # the mean lies in the range of all
        "  confirmed: {arm: treated, metric: nan, equals: true, over: {fraction: 0.6}}\n"
        "  ruled_out: {arm: treated, metric: nan, equals: false, over: {fraction: 0.6}}\n",
        "  confirmed:\n    all:\n      - {arm: treated, metric: nan, equals: false, over: all}\n"
        "      - {arm: control, metric: nan, equals: true, over: any}\n"
        "  ruled_out:\n    any:\n      - {arm: treated, metric: nan, equals: true, over: any}\n"
        "      - {arm: control, metric: nan, equals: false, over: all}\n",
        "  confirmed: {arm: treated, metric: r, between: [0.9, 1.1], over: mean}\n"
        "  ruled_out:\n    not: {arm: treated, metric: r, between: [0.8, 1.25], over: mean}\n",
    ],
)
def test_exclusive_rules_are_not_reported(rules):
    assert "rules_overlap" not in kinds(hyp(rules))


def test_no_contrast_and_single_seed():
    one_arm = "  confirmed: {arm: treated, metric: r, ge: 0.9, over: mean}\n  ruled_out: {arm: treated, metric: r, lt: 0.9, over: mean}\n"
    assert kinds(hyp(one_arm)) == ["no_contrast"]
    assert "the other 1 arm(s) are never read" in static_findings(hyp(one_arm))[0].detail
    both = one_arm.replace("ruled_out: {arm: treated", "ruled_out: {arm: control")
    assert kinds(hyp(both)) == ["rules_overlap"]  # different arms: both can hold, and that is reported
    by_point = "  confirmed: {where: {p: a}, metric: r, ge: 0.9, over: mean}\n  ruled_out: {where: {p: b}, metric: r, ge: 0.9, over: mean}\n"
    assert "no_contrast" not in kinds(hyp(by_point, "run: m:f\nmatrix: {p: [a, b]}\n"))
    assert kinds(hyp(both, TWO_ARMS.replace("[0, 1, 2]", "[0]"))) == ["rules_overlap", "single_seed"]
    assert kinds(hyp(one_arm, extra="kind: derivation\n")) == []  # a derivation needs no control


INITIATIVE = """
id: INI-1
title: t
hypotheses: [H-X]
summary:
  outcome: o
  claims: {H-X: confirmed}
"""


def audit_ws(make_ws, rules: str, experiment: str = TWO_ARMS):
    return make_ws(
        {
            "hypotheses/H-X.yaml": hypothesis("H-X", experiment, "verdict:\n" + rules),
            "plans/INI-1/initiative.yaml": INITIATIVE,
            **ENTRY_MODULES,
        }
    )


def run_audit(root, capsys, *args):
    code = main(["--workspace", str(root), "audit", *args])
    return code, capsys.readouterr().out.splitlines()


def test_deterministic_and_unsupported_claim(make_ws, capsys):
    rules = "  confirmed:\n    all:\n      - {arm: treated, metric: fits, equals: false, over: all}\n      - {arm: control, metric: fits, equals: true, over: all}\n"
    root = audit_ws(make_ws, rules)
    write_arms(root, "H-X", "fits", {"control": [True] * 3, "treated": [False] * 3})
    code, lines = run_audit(root, capsys)
    assert code == 1
    assert lines == [
        "H-X: deterministic: every deciding metric is one value per arm in all its runs (fits: control true in 3, "
        "treated false in 3): the seeds replicate nothing. A deterministic effect (a crash against no crash) is a "
        "legitimate causal result: once you have checked it is not an identity of the code, keep it with "
        "acknowledge: [{finding: deterministic, reason: ...}]",
        "H-X: claim_unsupported: INI-1 claims confirmed, but no deciding condition is compared with a declared "
        "control (experiment.control, or vs: on a condition)",
    ]


def test_supported_claim_has_no_findings_and_exit_0(make_ws, capsys):
    rules = "  confirmed: {arm: treated, metric: r, ge: 0.8, over: mean}\n  ruled_out: {arm: treated, metric: r, lt: 0.8, over: mean}\n"
    root = audit_ws(make_ws, rules, TWO_ARMS + "control: control\n")
    write_arms(root, "H-X", "r", {"control": [0.3, 0.35, 0.32], "treated": [0.86, 0.91, 0.9]})
    assert run_audit(root, capsys) == (0, ["no findings: 1 hypotheses"])
    assert run_audit(root, capsys, "INI-1") == (0, ["no findings: INI-1"])


def test_a_control_that_does_not_differ_does_not_support_a_confirmed_claim(make_ws, capsys):
    # the rule reads treated against a fixed threshold, and the control sits below it only by noise
    rules = "  confirmed: {arm: treated, metric: r, ge: 0.5, over: mean}\n  ruled_out: {arm: treated, metric: r, lt: 0.5, over: mean}\n"
    root = audit_ws(make_ws, rules, TWO_ARMS + "control: control\n")
    write_arms(root, "H-X", "r", {"control": [0.3, 0.7, 0.45], "treated": [0.35, 0.72, 0.5]})
    code, lines = run_audit(root, capsys, "--json")
    assert code == 1
    assert json.loads("\n".join(lines)) == [
        {
            "hypothesis": "H-X",
            "kind": "effect_unresolved",
            "detail": "no effect against the control has a 95 % interval that excludes 0",
        },
        {
            "hypothesis": "H-X",
            "kind": "claim_unsupported",
            "detail": "INI-1 claims confirmed, but no effect against the control has a 95 % interval that excludes 0",
        },
    ]


def test_flags_contradicted_claims_and_non_numbers(make_ws, capsys):
    rules = "  confirmed: {arm: treated, metric: r, ge: 0.8, over: mean}\n  ruled_out: {arm: treated, metric: q, lt: 0.8, over: all}\n"
    root = audit_ws(make_ws, rules, TWO_ARMS + "control: control\n")
    for arm, rs in {"control": [0.85, 0.9, 0.88], "treated": [0.86, 0.91, 0.9]}.items():
        for seed, r in enumerate(rs):
            write_run(root, "H-X", arm, seed, {"r": r, "q": "nan" if (arm, seed) == ("treated", 1) else 0.5})
    code, lines = run_audit(root, capsys, "H-X")
    assert code == 1
    assert [line.split(": ")[1] for line in lines] == [
        "rules_overlap",  # r and q are different metrics: both rules can hold
        "not_discriminating",
        "effect_unresolved",
        "non_numeric",
        "claim_contradicted",
        "claim_unsupported",
    ]
    assert (
        "H-X: claim_contradicted: INI-1 claims confirmed; the runs say inconclusive (flagged not_discriminating)"
        in lines
    )
    assert "H-X: non_numeric: verdict.ruled_out: 1 value(s) not a number ('nan') fail the comparison" in lines


def test_unknown_id_is_a_user_error(make_ws, capsys):
    root = audit_ws(make_ws, "  confirmed: {arm: treated, metric: r, ge: 0.8, over: mean}\n")
    assert main(["--workspace", str(root), "audit", "H-Y"]) == 1
    assert "did you mean H-X?" in capsys.readouterr().err


def test_validate_warns_about_static_findings_but_passes(make_ws, capsys):
    rules = "  confirmed: {arm: treated, metric: r, ge: 0.5, over: mean}\n  ruled_out: {arm: treated, metric: r, lt: 0.9, over: mean}\n"
    root = audit_ws(make_ws, rules)
    assert main(["--workspace", str(root), "validate"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in err] == ["rules_overlap", "no_contrast"]
    assert all(line.startswith("warning: H-X: ") for line in err)
