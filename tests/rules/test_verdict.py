"""Verdict engine: comparisons, quantifiers, three-valued logic, failed runs, metric errors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from investigate.core.errors import InvestigateError, located
from investigate.formats.schema import Hypothesis, Outcome, Rule, RunRecord
from investigate.rules.counting import latest_records as latest
from investigate.rules.verdict import Evaluator, compare, evaluate, evaluate_workspace
from investigate.store.records import read_records

_n = 0


def rec(arm="synced", seed=0, status="ok", started="2026-01-20T10:00:00Z", hyp="H-X", **metrics):
    global _n
    _n += 1
    point = {"scenario": metrics.pop("scenario", "gs1")}
    return RunRecord(
        run_id=f"r{_n:03d}",
        hypothesis=hyp,
        entry="m:f",
        arm=arm,
        point=point,
        seed=seed,
        params={"profile": "quick", **point},
        status=status,
        metrics=metrics if status == "ok" else {},
        started_at=started,
        duration_s=1.0,
        cache_key="k",
        error="boom" if status != "ok" else None,
    )


def cond(records, **rule):
    hyp = Hypothesis(id="H-X", title="t", statement="s", prediction="p")
    return Evaluator(hyp, records).condition(Rule.model_validate(rule), ("verdict", "confirmed"))


def value(records, rule):
    hyp = Hypothesis(id="H-X", title="t", statement="s", prediction="p")
    return Evaluator(hyp, records).rule(Rule.model_validate(rule), ("verdict",)).value


@pytest.mark.parametrize(
    "op,target,measured,expected",
    [
        ("equals", False, False, True),
        ("equals", True, False, False),
        ("equals", True, 1, False),
        ("equals", 1, True, False),
        ("equals", "ok", "ok", True),
        ("equals", 2, 2.0, True),
        ("lt", 1, 0.5, True),
        ("lt", 1, 1, False),
        ("le", 1, 1, True),
        ("gt", 1, 1, False),
        ("ge", 1, 1, True),
        ("between", (0, 1), 0.5, True),
        ("between", (0, 1), 1.5, False),
        ("between", (0, 1), 1, True),
        ("lt", 1, math.nan, False),
        ("ge", 1, math.nan, False),
        ("equals", math.nan, math.nan, False),
        ("gt", 0, None, False),
        ("lt", 1, "x", False),
    ],
)
def test_compare(op, target, measured, expected):
    assert compare(measured, op, target) is expected


def test_over_all_any_fraction():
    runs = [rec(seed=i, has_nan=(i == 0), r=0.1 * i) for i in range(4)]
    assert cond(runs, metric="has_nan", equals=False, over="all").value is False
    assert cond(runs, metric="has_nan", equals=True, over="any").value is True
    assert cond(runs, metric="has_nan", equals=False, over={"fraction": 0.75}).value is True
    assert cond(runs, metric="has_nan", equals=False, over={"fraction": 0.8}).value is False
    res = cond(runs, arm="synced", metric="has_nan", equals=False, over="all")
    assert res.evidence == "synced.has_nan = false in 3/4 runs (need all)"
    assert res.run_ids == [r.run_id for r in runs]


def test_mean_median_and_where():
    runs = [rec(seed=i, scenario="a", r=v) for i, v in enumerate([0.7, 0.8, 0.95])] + [rec(scenario="b", r=0.1)]
    res = cond(runs, arm="synced", where={"scenario": "a"}, metric="r", ge=0.8, over="mean")
    assert res.value is True
    assert res.evidence == "mean(synced.r) = 0.817 ≥ 0.8 over 3 runs (scenario=a)"
    assert cond(runs, where={"scenario": "a"}, metric="r", gt=0.81, over="median").value is False
    assert cond(runs, metric="r", lt=0.8, over="median").value is True
    # where falls back on params when the key is not part of the matrix point
    assert cond(runs, where={"profile": "quick"}, metric="r", ge=0, over="all").n_ok == 4
    assert cond(runs, where={"profile": "paper"}, metric="r", ge=0, over="all").value is None


def test_nan_poisons_statistic():
    runs = [rec(seed=0, r=0.9), rec(seed=1, r=math.nan)]
    res = cond(runs, metric="r", ge=0.0, over="mean")
    assert res.value is False and "mean(r) = nan not ≥ 0" in res.evidence


def test_no_runs_is_untested_not_false():
    res = cond([rec(arm="stale", has_nan=True)], arm="synced", metric="has_nan", equals=False)
    assert res.value is None and "untested (no runs)" in res.evidence
    assert value([], {"not": {"metric": "x", "equals": 1}}) is None


def test_failed_runs_never_satisfy():
    ok = [rec(seed=0, has_nan=False), rec(seed=1, has_nan=False)]
    bad = rec(seed=2, status="timeout")
    assert cond(ok + [bad], metric="has_nan", equals=False, over="all").value is None
    assert cond(ok + [bad], metric="has_nan", equals=True, over="any").value is None
    assert cond([bad], metric="has_nan", equals=False).evidence.endswith("untested (1 run(s) failed, none ok)")
    # ok runs alone can still decide it
    assert cond([rec(has_nan=True), bad], metric="has_nan", equals=False, over="all").value is False
    assert cond([rec(r=0.9), bad], metric="r", ge=0.5, over="mean").value is None
    # not(all ok) must not become true just because a run crashed
    assert value(ok + [bad], {"not": {"metric": "has_nan", "equals": False, "over": "all"}}) is None


def test_three_valued_combinators():
    runs = [rec(a=1)]
    t, f, u = {"metric": "a", "equals": 1}, {"metric": "a", "equals": 2}, {"arm": "none", "metric": "a", "equals": 1}
    assert value(runs, {"all": [t, t]}) is True
    assert value(runs, {"all": [t, u]}) is None
    assert value(runs, {"all": [f, u]}) is False
    assert value(runs, {"any": [f, u]}) is None
    assert value(runs, {"any": [t, u]}) is True
    assert value(runs, {"any": [f, f]}) is False
    assert value(runs, {"not": f}) is True
    assert value(runs, {"not": u}) is None


def test_unknown_metric_names_file_line_and_suggests():
    ws = SimpleNamespace(error_at=lambda h, key_path, reason: located(f"hypotheses/{h}.yaml", 17, key_path, reason))
    hyp = Hypothesis.model_validate(
        {
            "id": "H-X",
            "title": "t",
            "statement": "s",
            "prediction": "p",
            "verdict": {"confirmed": {"metric": "has_nans", "equals": False}},
        }
    )
    with pytest.raises(InvestigateError) as err:
        evaluate(hyp, [rec(has_nan=False)], ws)
    msg = str(err.value)
    assert msg.startswith("hypotheses/H-X.yaml:17: verdict.confirmed: ") and "did you mean has_nan" in msg


def test_non_numbers_under_a_numeric_rule_fail_with_a_note():
    # a boolean, the string "nan" and an int beyond float range: each comparison fails, nothing raises
    runs = [rec(seed=0, m=False), rec(seed=1, m="nan"), rec(seed=2, m=10**400), rec(seed=3, m=0.5)]
    res = cond(runs, metric="m", lt=1, over="all")
    assert res.value is False and res.hits == 1
    assert "3 value(s) not a number" in res.evidence and "'nan'" in res.evidence
    assert cond(runs, metric="m", lt=1, over="any").value is True
    mean = cond(runs, metric="m", ge=0, over="mean")
    assert mean.value is False and math.isnan(mean.statistic)
    assert compare(10**400, "gt", 0) is False and compare(10**400, "equals", 10**400) is True


def hypothesis(fix=True):
    data = {
        "id": "H-X",
        "title": "t",
        "statement": "s",
        "prediction": "p",
        "verdict": {
            "confirmed": {
                "all": [
                    {"arm": "synced", "metric": "has_nan", "equals": False, "over": "all"},
                    {"arm": "stale", "metric": "has_nan", "equals": True, "over": "any"},
                ]
            },
            "ruled_out": {
                "any": [
                    {"arm": "synced", "metric": "has_nan", "equals": True, "over": "any"},
                    {"arm": "stale", "metric": "has_nan", "equals": False, "over": "all"},
                ]
            },
        },
    }
    if fix:
        data["fix"] = {
            "description": "sync",
            "verified_by": {"arm": "synced", "metric": "r", "ge": 0.5, "over": "mean"},
        }
    return Hypothesis.model_validate(data)


def test_outcomes():
    confirmed = [rec(arm="synced", has_nan=False, r=0.1), rec(arm="stale", has_nan=True, r=0.0)]
    assert evaluate(hypothesis(), confirmed).outcome is Outcome.confirmed
    fixed = [rec(arm="synced", has_nan=False, r=0.9), rec(arm="stale", has_nan=True, r=0.0)]
    v = evaluate(hypothesis(), fixed)
    assert v.outcome is Outcome.fixed and v.fix_verified is True
    assert "mean(synced.r) = 0.9 ≥ 0.5 over 1 runs" in v.evidence
    ruled = [rec(arm="synced", has_nan=True), rec(arm="stale", has_nan=True)]
    assert evaluate(hypothesis(fix=False), ruled).outcome is Outcome.ruled_out
    assert evaluate(hypothesis(), []).outcome is Outcome.untested
    # only the synced arm ran: confirmed undecided, ruled_out not true → something tested
    partial = evaluate(hypothesis(fix=False), [rec(arm="synced", has_nan=False)])
    assert partial.outcome is Outcome.inconclusive
    errored = evaluate(hypothesis(fix=False), [rec(arm="synced", status="error"), rec(arm="stale", status="error")])
    assert errored.outcome is Outcome.untested and len(errored.failed) == 2
    assert errored.to_dict()["failed_runs"][0]["status"] == "error"


def test_latest_keeps_newest_and_cached_runs_count():
    old = rec(has_nan=True, started="2026-01-01T00:00:00Z")
    new = rec(has_nan=False, started="2026-01-02T00:00:00Z")
    new.reused_from = "r000"
    assert latest([new, old]) == [new]
    v = evaluate(hypothesis(fix=False), [old, new, rec(arm="stale", has_nan=True)])
    assert v.outcome is Outcome.confirmed and old.run_id not in v.run_ids


def test_evaluate_workspace():
    ws = SimpleNamespace(hypotheses={"H-X": hypothesis()})
    assert evaluate_workspace(ws, [])["H-X"].outcome is Outcome.untested


def test_bisect_exit_codes():
    from investigate.rules.verdict import bisect_exit

    good = [rec(arm="synced", has_nan=False, r=0.9), rec(arm="stale", has_nan=True, r=0.0)]
    bad = [rec(arm="synced", has_nan=False, r=0.1), rec(arm="stale", has_nan=True, r=0.0)]
    assert bisect_exit(evaluate(hypothesis(), good)) == 0
    assert bisect_exit(evaluate(hypothesis(), bad)) == 1
    assert bisect_exit(evaluate(hypothesis(), [])) == 125
    assert bisect_exit(evaluate(hypothesis(), good + [rec(arm="synced", seed=3, status="error")])) == 125
    # without a fix: the cause ruled out is good, confirmed is bad
    assert bisect_exit(evaluate(hypothesis(fix=False), bad)) == 1
    ruled = [rec(arm="synced", has_nan=True), rec(arm="stale", has_nan=True)]
    assert bisect_exit(evaluate(hypothesis(fix=False), ruled)) == 0
    assert bisect_exit(evaluate(hypothesis(fix=False), [rec(arm="synced", has_nan=False)])) == 125


def test_unknown_metric_in_a_real_workspace_points_at_the_line(tmp_path):
    import shutil
    from pathlib import Path

    from investigate.workspace.load import load_workspace

    fixture = Path(__file__).parents[1] / "fixtures" / "summary_ws"
    shutil.copytree(fixture, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    path = tmp_path / "ws" / "hypotheses" / "H-PROBE.yaml"
    text = path.read_text().replace(
        "confirmed: {arm: ideal, metric: has_nan", "confirmed: {arm: ideal, metric: has_nans"
    )
    path.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "has_nans" in l)
    ws = load_workspace(tmp_path / "ws")
    with pytest.raises(InvestigateError) as err:
        evaluate_workspace(ws, read_records(ws))
    assert str(err.value).startswith(f"hypotheses/H-PROBE.yaml:{line}: verdict.confirmed: metric 'has_nans'")
    assert "did you mean has_nan" in str(err.value)


def test_a_non_number_fails_one_hypothesis_with_a_note_and_spares_the_rest(make_ws, capsys):
    import json

    from investigate.cli.main import main
    from tests.conftest import hypothesis as hyp_text
    from tests.records import write_run

    rules = "verdict:\n  confirmed: {metric: r, ge: 0.5, over: all}\n  ruled_out: {metric: r, lt: 0.5, over: all}\n"
    root = make_ws({f"hypotheses/{h}.yaml": hyp_text(h, "run: m:f\nseeds: [0, 1]\n", rules) for h in ("H-A", "H-B")})
    write_run(root, "H-A", "default", 0, {"r": 0.9})
    write_run(root, "H-A", "default", 1, {"r": "nan"})
    write_run(root, "H-B", "default", 0, {"r": 10**400})
    write_run(root, "H-B", "default", 1, {"r": 0.8})
    write_run(root, "H-B", "default", 0, {"r": 0.9}, stamp="2026-02-02T120000Z")  # supersedes the huge int
    assert main(["--workspace", str(root), "list", "--json"]) == 0
    assert {r["id"]: r["verdict"] for r in json.loads(capsys.readouterr().out)} == {
        "H-A": "inconclusive",
        "H-B": "confirmed",
    }
    assert main(["--workspace", str(root), "show", "H-A", "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)["verdict"]
    assert verdict["notes"] == [
        "verdict.confirmed: 1 value(s) not a number ('nan') fail the comparison",
        "verdict.ruled_out: 1 value(s) not a number ('nan') fail the comparison",
    ]
    gt0 = Hypothesis.model_validate({**_base(), "verdict": {"confirmed": {"metric": "r", "gt": 0}}})
    huge = evaluate(gt0, [rec(r=10**400)])
    assert huge.outcome is Outcome.inconclusive and "1 value(s) not a number (100000…(401 digits))" in huge.evidence[0]


def _base():
    return {"id": "H-X", "title": "t", "statement": "s", "prediction": "p"}


def test_to_dict_keeps_the_rule_tree():
    v = evaluate(hypothesis(), [rec(arm="synced", has_nan=False, r=0.9), rec(arm="stale", has_nan=True, r=0.0)])
    d = v.to_dict()
    assert d["outcome"] == "fixed" and d["raw_outcome"] == "fixed" and d["flags"] == []
    tree = d["rules"]["ruled_out"]["tree"]
    assert tree["op"] == "any" and tree["result"] == "fail" and len(tree["children"]) == 2
    leaf = d["rules"]["confirmed"]["tree"]["children"][1]
    assert leaf["arm"] == "stale" and leaf["metric"] == "has_nan" and leaf["quantifier"] == "any"
    assert leaf["comparison"] == {"op": "equals", "value": True} and leaf["result"] == "pass"
    assert leaf["values"][0]["value"] is True and leaf["other_arms"] == {"synced": "fail"}
    assert leaf["effects"][0]["against"] == "synced" and not leaf["effects"][0]["declared_control"]
    assert d["rules"]["confirmed"]["conditions"][0] == "synced.has_nan = false in 1/1 runs (need all)"
