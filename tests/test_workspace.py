from pathlib import Path

import pytest

from investigate.errors import InvestigateError, UnknownIdError
from investigate.workspace import find_root, load_workspace
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
    assert ws.line_of("H-STEP-SIZE", "verdict", "confirmed") == 20
    assert ws.line_of("H-STEP-SIZE", "experiment", "arms", "clipped") == 16
    assert ws.line_of("TOY-GD-001", "decision_tree", "nodes", "init") == 12
