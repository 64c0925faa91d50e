"""A run that replaces its run directory cannot redirect its record or list outside files as artifacts."""

from __future__ import annotations

import json
from pathlib import Path

from investigate.cli.main import main
from investigate.execution.recording import artifacts
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

SWAP_PY = """
import os, shutil


def swap(params, ctx):
    run_dir = str(ctx.run_dir)
    shutil.rmtree(run_dir)
    os.symlink(params["outside"], run_dir)
    return {"loss": 0.5}
"""


def test_a_run_dir_replaced_by_a_symlink_is_an_error_recorded_in_place(make_ws, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    for i in range(50):
        (outside / "deep" / f"f{i}.txt").write_text("x")
    root = make_ws({"exps/__init__.py": "", "exps/swap.py": SWAP_PY,
                    "hypotheses/H-SWAP.yaml": hypothesis("H-SWAP", f"run: exps.swap:swap\nparams: {{outside: '{outside}'}}")})  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-SWAP"]) == 4
    (rec,) = read_records(load_workspace(root), "H-SWAP")
    assert rec.status == "error" and rec.artifacts == [] and rec.metrics == {}
    assert f"the run directory was replaced by a symlink to '{outside}'" in (rec.error or "")
    run_dir = root / rec.run_dir
    assert run_dir.is_dir() and not run_dir.is_symlink()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "error"
    assert sorted(p.name for p in outside.iterdir()) == ["deep"]  # nothing written outside, nothing removed
    assert len(list((outside / "deep").iterdir())) == 50


def test_artifacts_never_follow_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "secret.txt").write_text("x")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "mine.txt").write_text("y")
    (run_dir / "link").symlink_to(target)
    assert artifacts(run_dir) == ["mine.txt"]
    (tmp_path / "run2").symlink_to(target)
    assert artifacts(tmp_path / "run2") == []
