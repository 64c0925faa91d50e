"""``investigate init``: the scaffolded workspace validates, runs, decides, and passes the audit."""

from __future__ import annotations

from pathlib import Path

from investigate.cli.main import main


def test_init_writes_a_workspace_that_validates_runs_and_decides(tmp_path: Path, capsys) -> None:
    root = tmp_path / "new"
    assert main(["init", str(root)]) == 0
    assert "hypotheses/H-STEP-SIZE.yaml" in capsys.readouterr().out
    ws = ["--workspace", str(root)]
    assert main([*ws, "validate"]) == 0
    assert main([*ws, "run", "H-STEP-SIZE"]) == 0
    assert "H-STEP-SIZE: untested → confirmed" in capsys.readouterr().err
    assert main([*ws, "audit"]) == 0
    assert main([*ws, "tree"]) == 0
    assert "path: step-size → done" in capsys.readouterr().out
    assert list(root.glob("reports/*/H-STEP-SIZE/all/configured-seed0/history.json"))


def test_init_refuses_a_directory_that_holds_a_workspace(tmp_path: Path, capsys) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert main(["--workspace", str(tmp_path), "init"]) == 1
    assert "already holds pyproject.toml" in capsys.readouterr().err
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'x'\n"
