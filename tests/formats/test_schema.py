"""Bad input is refused with ``file:line: key.path: reason``; one test per kind of mistake."""

from pathlib import Path

import pytest

from investigate.core.errors import ValidationError
from investigate.workspace.load import WorkspaceErrors, load_workspace
from tests.conftest import hypothesis

EXP = """
run: toy:fn
matrix: {scenario: [a, b]}
arms:
  stale: {sync: false}
  synced: {sync: true}
"""


def error_of(make_ws, files: dict[str, str]) -> str:
    root = make_ws(files)
    with pytest.raises(ValidationError) as info:
        load_workspace(root)
    return str(info.value)


def test_unknown_field_with_did_you_mean(make_ws) -> None:
    text = hypothesis("H-A", EXP + "seeds: [0]\ntimout_s: 3\n")
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:12: experiment: unknown field 'timout_s' (did you mean 'timeout_s'?)"
    )


def test_unknown_top_level_field(make_ws) -> None:
    text = hypothesis("H-A") + "predicton: x\n"
    assert (
        error_of(make_ws, {"hypotheses/H-A.yaml": text})
        == "hypotheses/H-A.yaml:5: unknown field 'predicton' (did you mean 'prediction'?)"
    )


def test_unknown_field_in_a_rule_deep_in_a_list(make_ws) -> None:
    text = hypothesis(
        "H-A",
        EXP,
        "verdict:\n  confirmed:\n    all:\n      - {arm: synced, metric: m, equals: 1}\n      - {arm: stale, metrc: m, equals: 2}\n",
    )
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:15: verdict.confirmed.all[1]: unknown field 'metrc' (did you mean 'metric'?)"
    )


def test_missing_required_field(make_ws) -> None:
    text = "id: H-A\ntitle: t\nstatement: s\n"
    assert (
        error_of(make_ws, {"hypotheses/H-A.yaml": text}) == "hypotheses/H-A.yaml:1: missing required field 'prediction'"
    )


def test_wrong_type_names_key_and_line(make_ws) -> None:
    text = hypothesis("H-A", "run: toy:fn\nseeds: [0, one]\n")
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:7: experiment.seeds[1]: Input should be a valid integer, unable to parse string as an integer"
    )


def test_experiment_needs_run_or_command(make_ws) -> None:
    text = hypothesis("H-A", "params: {x: 1}\n")
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:5: experiment: an experiment needs exactly one of 'run' (module:function) or 'command'"
    )


def test_python_tag_is_refused(make_ws) -> None:
    text = hypothesis("H-A") + "notes: !!python/object/apply:os.system ['echo pwned']\n"
    message = error_of(make_ws, {"hypotheses/H-A.yaml": text})
    assert message.startswith("hypotheses/H-A.yaml:5: ")
    assert "python/object/apply:os.system" in message


def test_yaml_syntax_error_has_a_line(make_ws) -> None:
    text = hypothesis("H-A") + "notes: [unclosed\n"
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}).startswith("hypotheses/H-A.yaml:6: ")


def test_id_must_equal_file_name(make_ws) -> None:
    assert error_of(make_ws, {"hypotheses/H-A.yaml": hypothesis("H-B")}) == (
        "hypotheses/H-A.yaml:1: id: id 'H-B' must equal the file name 'H-A'"
    )


def test_id_cannot_escape_the_workspace(make_ws) -> None:
    message = error_of(make_ws, {"hypotheses/H-A.yaml": hypothesis("H-../x")})
    assert message.startswith("hypotheses/H-A.yaml:1: id: 'H-../x' is not a hypothesis id")


def test_initiative_lists_unknown_hypothesis(make_ws) -> None:
    files = {
        "hypotheses/H-CONFIG.yaml": hypothesis("H-CONFIG"),
        "plans/INI-1/initiative.yaml": "id: INI-1\ntitle: t\nhypotheses: [H-CONFIG, H-CONFG2]\n",
    }
    assert (
        error_of(make_ws, files)
        == "plans/INI-1/initiative.yaml:3: hypotheses[1]: unknown hypothesis 'H-CONFG2' (did you mean H-CONFIG?)"
    )


def test_plan_dir_must_match_initiative_id(make_ws) -> None:
    files = {"plans/OTHER/initiative.yaml": "id: INI-1\ntitle: t\nhypotheses: []\n"}
    assert (
        error_of(make_ws, files)
        == "plans/OTHER/initiative.yaml:1: id: id 'INI-1' must equal its plan directory name 'OTHER'"
    )


TREE = """\
id: INI-1
title: t
hypotheses: [H-A]
decision_tree:
  start: {start}
  nodes:
    a:
      question: q
      hypothesis: {hyp}
      confirmed: b
    b:
      question: q
      ruled_out: {back}
"""


def test_tree_start_and_edges_must_exist(make_ws) -> None:
    files = {
        "hypotheses/H-A.yaml": hypothesis("H-A"),
        "plans/INI-1/initiative.yaml": TREE.format(start="x", hyp="H-A", back="c"),
    }
    assert error_of(make_ws, files) == "plans/INI-1/initiative.yaml:5: decision_tree.start: unknown tree node 'x'"


def test_tree_node_hypothesis_must_exist(make_ws) -> None:
    files = {
        "hypotheses/H-A.yaml": hypothesis("H-A"),
        "plans/INI-1/initiative.yaml": TREE.format(start="a", hyp="H-B", back="a"),
    }
    assert (
        error_of(make_ws, files)
        == "plans/INI-1/initiative.yaml:9: decision_tree.nodes.a.hypothesis: unknown hypothesis 'H-B' (did you mean H-A?)"
    )


def test_tree_cycle_is_refused(make_ws) -> None:
    files = {
        "hypotheses/H-A.yaml": hypothesis("H-A"),
        "plans/INI-1/initiative.yaml": TREE.format(start="a", hyp="H-A", back="a"),
    }
    assert (
        error_of(make_ws, files)
        == "plans/INI-1/initiative.yaml:11: decision_tree.nodes.b: decision tree has a cycle: a -> b -> a"
    )


def test_claims_must_name_hypotheses(make_ws) -> None:
    ini = "id: INI-1\ntitle: t\nhypotheses: [H-A]\nsummary:\n  outcome: o\n  claims: {H-Z: confirmed}\n"
    files = {"hypotheses/H-A.yaml": hypothesis("H-A"), "plans/INI-1/initiative.yaml": ini}
    assert (
        error_of(make_ws, files)
        == "plans/INI-1/initiative.yaml:6: summary.claims.H-Z: unknown hypothesis 'H-Z' (did you mean H-A?)"
    )


def test_all_errors_are_collected_for_validate(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-B"), "hypotheses/H-C.yaml": hypothesis("H-C") + "x: 1\n"})
    with pytest.raises(WorkspaceErrors) as info:
        load_workspace(root, all_errors=True)
    assert len(info.value.errors) == 2
    assert str(info.value).count("\n") == 1


def test_numpy_fixture_is_valid() -> None:
    ws = load_workspace(Path(__file__).parents[1] / "fixtures" / "numpy_ws")
    assert ws.hypothesis("H-STEP-SIZE").experiment.arm_names == ["raw", "clipped"]


def test_union_error_reports_the_branch_the_user_meant(make_ws) -> None:
    text = hypothesis("H-A", extra="verdict:\n  confirmed: {metric: m, equals: 1, over: {fraction: 2}}\n")
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:6: verdict.confirmed.over.fraction: Input should be less than or equal to 1"
    )


def test_bad_entry_point(make_ws) -> None:
    text = hypothesis("H-A", "run: not an entry\n")
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:5: experiment: run: 'not an entry' is not 'module:function'"
    )


def test_hypothesis_id_with_a_trailing_newline_is_refused(make_ws) -> None:
    # `$` matches before a final newline; a quoted YAML string is how such a value arrives.
    assert error_of(make_ws, {"hypotheses/H-A.yaml": hypothesis('"H-A\\n"')}) == (
        "hypotheses/H-A.yaml:1: id: 'H-A\\n' is not a hypothesis id like H-CONFIG (^H-[A-Z0-9-]+$)"
    )


def test_initiative_id_with_a_trailing_newline_is_refused(make_ws) -> None:
    initiative = {"plans/INI-1/initiative.yaml": 'id: "INI-1\\n"\ntitle: t\nhypotheses: []\n'}
    assert error_of(make_ws, initiative) == (
        "plans/INI-1/initiative.yaml:1: id: 'INI-1\\n' is not an initiative id like DEBUG-SIM-LINES-DOSE-001"
    )


def test_arm_name_and_entry_point_with_a_trailing_newline_are_refused(make_ws) -> None:
    text = hypothesis("H-A", 'run: toy:fn\narms: {"stale\\n": {}}\n')
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:5: experiment: arm name 'stale\\n' must be letters, digits, '_', '-', '.'"
    )
    text = hypothesis("H-A", 'run: "toy:fn\\n"\n')
    assert error_of(make_ws, {"hypotheses/H-A.yaml": text}) == (
        "hypotheses/H-A.yaml:5: experiment: run: 'toy:fn\\n' is not 'module:function'"
    )


def test_schema_patterns_refuse_a_final_newline_with_match_too() -> None:
    from investigate.formats.schema import ENTRY_POINT, HYPOTHESIS_ID, INITIATIVE_ID, SLUG

    for pattern, good in ((HYPOTHESIS_ID, "H-A"), (INITIATIVE_ID, "INI-1"), (ENTRY_POINT, "m:f"), (SLUG, "a.b")):
        assert pattern.match(good) and pattern.fullmatch(good)
        assert not pattern.match(good + "\n"), pattern.pattern  # other modules call .match
