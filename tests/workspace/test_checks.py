"""Cross-file checks on loaded models, without a workspace on disk."""

from __future__ import annotations

import pytest

from investigate.core.errors import ValidationError, key_text
from investigate.formats.schema import Hypothesis, Initiative
from investigate.workspace.checks import cross_checks
from investigate.workspace.lazymodels import Hypotheses


def _locate(owner: str, key_path: tuple, reason: str) -> ValidationError:
    return ValidationError(f"{owner}.yaml", None, key_text(key_path), reason)


def _hyp(hid: str, initiative: str | None = None) -> Hypothesis:
    return Hypothesis.model_validate(
        {"id": hid, "title": "t", "statement": "s", "prediction": "p", "initiative": initiative}
    )


def _initiative(nodes: dict, hypotheses: list[str], start: str = "n0") -> Initiative:
    data = {"id": "INI", "title": "t", "hypotheses": hypotheses, "decision_tree": {"start": start, "nodes": nodes}}
    return Initiative.model_validate(data)


def _failures(hyps: list[Hypothesis], inis: list[Initiative]) -> list[str]:
    out = []
    for check in cross_checks(Hypotheses.of(hyps), {i.id: i for i in inis}, _locate):
        try:
            check()
        except ValidationError as exc:
            out.append(str(exc))
    return out


def test_clean_workspace_passes() -> None:
    ini = _initiative(
        {"n0": {"question": "q", "hypothesis": "H-A", "confirmed": "n1"}, "n1": {"question": "q"}}, ["H-A"]
    )
    assert _failures([_hyp("H-A", "INI")], [ini]) == []


def test_unknown_names_are_reported_with_a_suggestion() -> None:
    nodes = {"n0": {"question": "q", "hypothesis": "H-AB", "confirmed": "prboe"}, "probe": {"question": "q"}}
    ini = _initiative(nodes, ["H-AB"])
    failures = _failures([_hyp("H-A", "IN")], [ini])
    assert "H-A.yaml: initiative: unknown initiative 'IN' (did you mean INI?)" in failures
    assert "INI.yaml: hypotheses[0]: unknown hypothesis 'H-AB' (did you mean H-A?)" in failures
    assert (
        "INI.yaml: decision_tree.nodes.n0.confirmed: unknown tree node 'prboe' (did you mean probe? "
        "a terminal label must not read like a node id)" in failures
    )


def test_a_target_that_is_not_a_node_is_a_terminal_label(make_ws, capsys) -> None:
    from investigate.cli.main import main
    from tests.conftest import hypothesis

    initiative = """\
id: INI
title: t
hypotheses: [H-A]
decision_tree:
  start: first
  nodes:
    first: {question: q, hypothesis: H-A, confirmed: DONE (root cause found), ruled_out: second}
    second: {question: r}
"""
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A", extra="initiative: INI\n"),
                    "plans/INI/initiative.yaml": initiative})  # fmt: skip
    assert main(["--workspace", str(root), "validate"]) == 0, capsys.readouterr().err
    assert main(["--workspace", str(root), "tree", "INI"]) == 0
    assert "DONE (root cause found)" in capsys.readouterr().out


def test_cycle_is_reported_with_its_path() -> None:
    nodes = {"n0": {"question": "q", "confirmed": "n1"}, "n1": {"question": "q", "ruled_out": "n0"}}
    failures = _failures([], [_initiative(nodes, [])])
    assert failures == ["INI.yaml: decision_tree.nodes.n1: decision tree has a cycle: n0 -> n1 -> n0"]


@pytest.mark.parametrize("closed", [False, True])
def test_ten_thousand_node_chain_needs_no_recursion(closed: bool) -> None:
    n = 10_000
    nodes = {f"n{i}": {"question": "q", "confirmed": f"n{i + 1}"} for i in range(n - 1)}
    nodes[f"n{n - 1}"] = {"question": "q", **({"confirmed": "n0"} if closed else {})}
    failures = _failures([], [_initiative(nodes, [])])
    assert (len(failures) == 1 and "cycle" in failures[0]) if closed else failures == []


def test_a_hypothesis_listed_twice_is_refused_by_validate_with_its_line(make_ws, capsys) -> None:
    from investigate.cli.main import main
    from tests.conftest import hypothesis

    initiative = "id: INI\ntitle: t\nhypotheses:\n  - H-A\n  - H-B\n  - H-A\n"
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A", extra="initiative: INI\n"),
                    "hypotheses/H-B.yaml": hypothesis("H-B", extra="initiative: INI\n"),
                    "plans/INI/initiative.yaml": initiative})  # fmt: skip
    assert main(["--workspace", str(root), "validate"]) == 1
    err = capsys.readouterr().err
    assert "plans/INI/initiative.yaml:6: hypotheses[2]: H-A is listed twice (also hypotheses[0]): list it once" in err
