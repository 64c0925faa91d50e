"""Checks of one hypothesis that need no runs: placeholders, declared metrics, where filters."""

from __future__ import annotations

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.plan.expand import Filters, expand
from investigate.rules.hypcheck import placeholder_names
from investigate.rules.verdict import evaluate
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis


def _errors(make_ws, capsys, files: dict[str, str]) -> list[str]:
    root = make_ws(files)
    assert main(["--workspace", str(root), "validate"]) == 1
    return [line.removeprefix("error: ") for line in capsys.readouterr().err.splitlines()]


def test_placeholder_names_and_escaped_braces() -> None:
    assert placeholder_names("python t.py --n {n} --out {run_dir} --json '{{\"a\": 1}}' {learning-rate}") == [
        "n", "run_dir", "learning-rate",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="needs a name"):
        placeholder_names("echo {}")
    with pytest.raises(ValueError):
        placeholder_names("echo {oops")


@pytest.mark.parametrize("field", ["{run_dir.__class__}", "{v[0]}", "{v!r}", "{seed:>4000000000}", "{v:{w}}", "{0}"])
def test_only_plain_names_are_placeholders(field: str) -> None:
    with pytest.raises(ValueError, match=r"only \{name\} is filled"):
        placeholder_names(f"echo {field}")


@pytest.mark.parametrize("field", ["{run_dir.__class__.__mro__}", "{seed[0]}", "{seed!r}", "{seed:>4000000000}"])
def test_validate_and_run_refuse_a_format_placeholder_with_file_and_line(make_ws, capsys, field: str) -> None:
    exp = f'command: "echo {field}"\nparams: {{lr: 1}}\n'
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A", exp)})
    for argv in (["validate"], ["run", "H-A"]):
        assert main(["--workspace", str(root), *argv]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1] == (
            f"error: hypotheses/H-A.yaml:6: experiment.command: placeholder {field}: only {{name}} is filled "
            "(no '.', '[', '!' or ':') (write {{ and }} for a literal brace)"
        ), argv
    assert not (root / "reports").exists() or not any((root / "reports").rglob("run.json"))


def test_unknown_and_partial_placeholders_are_errors_before_any_run(make_ws, capsys) -> None:
    exp = (
        'command: "python run.py --lr {lr} --step {stpes} --mode {mode} --out {run_dir} {{literal}}"\n'
        "params: {lr: 0.1, steps: 3}\n"
        "arms:\n  a: {mode: x}\n  b: {}\n"
    )
    errors = _errors(make_ws, capsys, {"hypotheses/H-A.yaml": hypothesis("H-A", exp)})
    assert errors == [
        "hypotheses/H-A.yaml:6: experiment.command: unknown placeholder {stpes} "
        "(did you mean {steps}? known: lr, mode, run_dir, seed, steps, workspace)"
    ]
    fixed = exp.replace("{stpes}", "{steps}")
    errors = _errors(make_ws, capsys, {"hypotheses/H-A.yaml": hypothesis("H-A", fixed)})
    assert errors == ["hypotheses/H-A.yaml:6: experiment.command: placeholder {mode} is not set for arm(s) b"]
    lone = 'command: "echo {lr"\nparams: {lr: 1}\n'
    errors = _errors(make_ws, capsys, {"hypotheses/H-A.yaml": hypothesis("H-A", lone)})
    assert errors[0].startswith("hypotheses/H-A.yaml:6: experiment.command: ")
    assert errors[0].endswith("(write {{ and }} for a literal brace)")


RULES = """\
verdict:
  confirmed:
    all:
      - {arm: a, metric: has_nan, equals: false, over: all}
      - {arm: b, metric: final_los, lt: 1.0, over: all}
fix:
  description: d
  verified_by: {arm: a, metric: hasnan, equals: false}
"""


def test_a_metric_typo_is_an_error_when_the_experiment_declares_its_metrics(make_ws, capsys) -> None:
    exp = "run: m:f\narms: {a: {}, b: {}}\nmetrics: [has_nan, final_loss]\n"
    errors = _errors(
        make_ws, capsys, {"m.py": "def f(p, c): ...\n", "hypotheses/H-A.yaml": hypothesis("H-A", exp, RULES)}
    )
    assert errors == [
        "hypotheses/H-A.yaml:13: verdict.confirmed.all[1].metric: unknown metric 'final_los' "
        "(did you mean 'final_loss'?); experiment.metrics lists: has_nan, final_loss",
        "hypotheses/H-A.yaml:16: fix.verified_by.metric: unknown metric 'hasnan' "
        "(did you mean 'has_nan'?); experiment.metrics lists: has_nan, final_loss",
    ]
    # without the declaration nothing can be checked before the runs
    loose = exp.replace("metrics: [has_nan, final_loss]\n", "")
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A", loose, RULES)})
    assert main(["--workspace", str(root), "validate"]) == 0


def test_the_verification_table_metrics_are_checked_too(make_ws, capsys) -> None:
    exp = "run: m:f\nmetrics: [has_nan]\n"
    plan = (
        "id: INI\ntitle: t\nhypotheses: [H-A]\nsummary:\n  outcome: o\n"
        "  verification: {hypothesis: H-A, rows: [x], metrics: [has_nan, hsa_nan]}\n"
    )
    files = {
        "m.py": "def f(p, c): ...\n",
        "hypotheses/H-A.yaml": hypothesis("H-A", exp),
        "plans/INI/initiative.yaml": plan,
    }
    assert _errors(make_ws, capsys, files) == [
        "plans/INI/initiative.yaml:6: summary.verification.metrics[1]: unknown metric 'hsa_nan' "
        "(did you mean 'has_nan'?); H-A declares: has_nan"
    ]


WHERE = """\
verdict:
  confirmed: {metric: m, where: {offset: 100000.0}, gt: 0}
"""


def test_a_where_value_no_run_takes_is_an_error(make_ws, capsys) -> None:
    # quoted, the matrix holds strings; 100000.0 then matches none of them and the rule would stay untested
    exp = "run: m:f\nmatrix: {offset: ['1e4', '1e5']}\n"
    files = {"m.py": "def f(p, c): ...\n", "hypotheses/H-A.yaml": hypothesis("H-A", exp, WHERE)}
    assert _errors(make_ws, capsys, files) == [
        "hypotheses/H-A.yaml:9: verdict.confirmed.where.offset: 100000.0 matches no run: offset takes '1e4', '1e5'"
    ]
    typo = WHERE.replace("offset: 100000.0", "ofset: 1")
    files["hypotheses/H-A.yaml"] = hypothesis("H-A", exp, typo)
    assert _errors(make_ws, capsys, files) == [
        "hypotheses/H-A.yaml:9: verdict.confirmed.where.ofset: no run has 'ofset': "
        "not a matrix key, param or arm setting (did you mean 'offset'?)"
    ]


def test_exponents_in_a_matrix_are_floats_and_a_where_on_them_matches(make_ws) -> None:
    exp = "run: m:f\nmatrix: {offset: [1e4, 1e5]}\narms: {a: {}, b: {}}\nseeds: [0, 1]\n"
    root = make_ws({"m.py": "def f(p, c): ...\n", "hypotheses/H-A.yaml": hypothesis("H-A", exp, WHERE)})
    ws = load_workspace(root, all_errors=True)
    hyp = ws.hypothesis("H-A")
    assert hyp.experiment.matrix["offset"] == [10000.0, 100000.0]
    runs = expand(ws, hyp, Filters())
    records = [
        RunRecord(
            run_id=f"r{i}", hypothesis="H-A", entry="m:f", arm=r.arm, point=r.point, seed=r.seed, params=r.params,
            status="ok", metrics={"m": 1.0}, started_at="2026-01-01T00:00:00Z", duration_s=0.0, cache_key=r.cache_key,
        )
        for i, r in enumerate(runs)
    ]  # fmt: skip
    verdict = evaluate(hyp, records, ws)
    condition = verdict.rules["confirmed"].conditions[0]
    assert condition.n_ok == 4  # both arms x two seeds at offset 1e5
    assert verdict.outcome.value in ("confirmed", "inconclusive")
    assert expand(ws, hyp, Filters(where={"offset": ["1e5"]}))[0].point == {"offset": 100000.0}


def test_run_refuses_before_any_run_while_list_and_show_still_work(make_ws, capsys) -> None:
    exp = "run: m:f\nmatrix: {offset: ['1e4', '1e5']}\n"
    root = make_ws(
        {"m.py": "def f(p, c):\n    return {'m': 1}\n", "hypotheses/H-A.yaml": hypothesis("H-A", exp, WHERE)}
    )
    assert main(["--workspace", str(root), "run", "H-A"]) == 1
    assert capsys.readouterr().err == (
        "error: hypotheses/H-A.yaml:9: verdict.confirmed.where.offset: 100000.0 matches no run: "
        "offset takes '1e4', '1e5'\n"
    )
    assert not (root / "reports").exists()
    assert main(["--workspace", str(root), "list"]) == 0
    assert main(["--workspace", str(root), "show", "H-A"]) == 0
