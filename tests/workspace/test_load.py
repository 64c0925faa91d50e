import itertools
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.workspace.load import find_root, load_workspace
from tests.conftest import hypothesis


def test_found_by_walking_up_from_a_subdirectory(numpy_ws: Path) -> None:
    sub = numpy_ws / "toy"
    assert find_root(sub) == numpy_ws.resolve()
    ws = load_workspace(sub)
    assert sorted(ws.hypotheses) == ["H-INIT-SCALE", "H-STEP-SIZE"]
    assert list(ws.initiatives) == ["TOY-GD-001"]
    assert ws.reports_dir == numpy_ws.resolve() / "reports"


def test_hypotheses_dir_alone_marks_a_workspace(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}, pyproject=False)
    assert load_workspace(root).hypothesis("H-A").title == "t H-A"


def test_custom_paths_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.investigate]\nhypotheses = "hyp"\nreports = "out"\n')
    (tmp_path / "hyp").mkdir()
    (tmp_path / "hyp" / "H-A.yaml").write_text(hypothesis("H-A"))
    ws = load_workspace(tmp_path)
    assert "H-A" in ws.hypotheses and ws.reports_dir.name == "out"


def test_no_workspace_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InvestigateError, match="no workspace found"):
        find_root(tmp_path)


def test_unknown_id_suggests(numpy_ws: Path) -> None:
    ws = load_workspace(numpy_ws)
    with pytest.raises(UnknownIdError, match=r"did you mean H-STEP-SIZE\?"):
        ws.hypothesis("H-STEP-SIZ")
    with pytest.raises(UnknownIdError):
        ws.initiative("TOY")


def test_source_path_and_line_of(numpy_ws: Path) -> None:
    ws = load_workspace(numpy_ws)
    assert ws.source_path("H-STEP-SIZE").name == "H-STEP-SIZE.yaml"
    assert ws.line_of("H-STEP-SIZE", "verdict", "confirmed") == 21
    assert ws.line_of("H-STEP-SIZE", "experiment", "arms", "clipped") == 16
    assert ws.line_of("TOY-GD-001", "decision_tree", "nodes", "init") == 12


def _bomb(levels: int) -> str:
    rows = ["    a: &a [x, x, x, x, x, x, x, x, x]"]
    names = "abcdefghi"[:levels]
    rows += [f"    {b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in itertools.pairwise(names)]
    return "run: toy:fn\nparams:\n" + "\n".join(rows) + "\n"


# Each kind of bad file, and what every command must print about it (after "error: ").
BAD_FILES: dict[str, tuple[bytes, str]] = {
    # 6 levels: 597,871 values once expanded, few enough that a regression here stays cheap
    "alias bomb": (
        hypothesis("H-A", _bomb(6)).encode(),
        "hypotheses/H-A.yaml:13: experiment.params.f: expands to 597,871 values (aliases expanded); "
        "the limit is 100,000",
    ),
    "recursive alias": (
        hypothesis("H-A", "run: toy:fn\nparams: {a: &a [1, *a]}\n").encode(),
        "hypotheses/H-A.yaml:7: experiment.params.a[1]: recursive alias: a value contains itself",
    ),
    "too deep": (
        hypothesis("H-A", "run: toy:fn\nparams: {a: " + "[" * 500 + "]" * 500 + "}\n").encode(),
        "hypotheses/H-A.yaml:7: experiment.params.a[0][0][0]…: nested more than 100 levels deep",
    ),
    "too large": (
        (hypothesis("H-A") + "notes: " + "x" * 1_000_000 + "\n").encode(),
        "hypotheses/H-A.yaml: file is 1,000,056 bytes; the limit is 1,000,000 (raise [tool.investigate] max_yaml_bytes)",
    ),
    "not UTF-8": (hypothesis("H-A").encode() + b"notes: caf\xe9\n", "hypotheses/H-A.yaml: not UTF-8 (byte 58)"),
    "duplicate key": ((hypothesis("H-A") + "title: again\n").encode(), "hypotheses/H-A.yaml:5: duplicate key 'title'"),
    "id with a newline": (
        hypothesis('"H-A\\n"').encode(),
        "hypotheses/H-A.yaml:1: id: 'H-A\\n' is not a hypothesis id like H-CONFIG (^H-[A-Z0-9-]+$)",
    ),
}
COMMANDS = (["validate"], ["list"], ["show", "H-A"], ["run", "H-A", "--dry-run"], ["status"], ["tree"])


@pytest.mark.parametrize("kind", BAD_FILES)
def test_every_command_reports_a_bad_file_as_a_user_error(make_ws, capsys, kind: str) -> None:
    data, message = BAD_FILES[kind]
    root = make_ws({"toy.py": "def fn(params, ctx):\n    return {}\n"})
    (root / "hypotheses").mkdir()
    (root / "hypotheses" / "H-A.yaml").write_bytes(data)
    for argv in COMMANDS:
        assert main(["--workspace", str(root), *argv]) == 1, argv
        assert capsys.readouterr().err == f"error: {message}\n", argv


def test_validate_lists_a_file_that_is_not_utf8_among_the_other_errors(make_ws, capsys) -> None:
    root = make_ws({"hypotheses/H-B.yaml": hypothesis("H-B") + "bogus: 1\n"})
    (root / "hypotheses" / "H-A.yaml").write_bytes(b"id: H-A\nnotes: \xff\n")
    assert main(["--workspace", str(root), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: hypotheses/H-A.yaml: not UTF-8 (byte 15)",
        "hypotheses/H-B.yaml:5: unknown field 'bogus'",
    ]


def test_pyproject_that_is_not_utf8_is_a_user_error(make_ws, capsys) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    (root / "pyproject.toml").write_bytes(b"[tool.investigate]\n# caf\xe9\n")
    assert main(["--workspace", str(root), "list"]) == 1
    assert capsys.readouterr().err == "error: pyproject.toml: not UTF-8 (byte 24)\n"


def test_limits_come_from_pyproject(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    ws = load_workspace(root)
    assert (ws.max_runs, ws.max_yaml_bytes) == (10_000, 1_000_000)
    (root / "pyproject.toml").write_text("[tool.investigate]\nmax_runs = 50\nmax_yaml_bytes = 2_000_000\n")
    (root / "hypotheses" / "H-A.yaml").write_text(hypothesis("H-A") + "notes: " + "x" * 1_500_000 + "\n")
    ws = load_workspace(root)
    assert (ws.max_runs, ws.max_yaml_bytes) == (50, 2_000_000) and len(ws.hypothesis("H-A").notes or "") == 1_500_000
    for bad in ("0", "true", '"10"'):
        (root / "pyproject.toml").write_text(f"[tool.investigate]\nmax_runs = {bad}\n")
        with pytest.raises(InvestigateError, match=r"^pyproject.toml: tool.investigate.max_runs: expected a positive"):
            load_workspace(root)
