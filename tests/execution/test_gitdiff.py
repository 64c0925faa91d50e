"""A dirty checkout's diff is kept beside its runs, once per invocation, so the code can be rebuilt."""

from __future__ import annotations

import subprocess
from pathlib import Path

from investigate.cli.main import main
from investigate.execution import recording
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis


def git(root: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, check=True, env={**env, "PATH": "/usr/bin:/bin"}
    )
    return done.stdout.decode()


def repo(make_ws) -> Path:
    exp = "run: exps.core:grow\nparams: {steps: 10}\nmatrix: {r: [0.5]}\nseeds: [0, 1]\n"
    root = make_ws({"exps/__init__.py": "", "exps/core.py": EXPERIMENTS, "hypotheses/H-G.yaml": hypothesis("H-G", exp)})
    (root / ".gitignore").write_text("reports/\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "start")
    return root


def test_a_dirty_run_keeps_the_diff_that_rebuilds_its_code(make_ws, tmp_path: Path) -> None:
    root = repo(make_ws)
    core = root / "exps" / "core.py"
    core.write_text(core.read_text() + "\nEDITED = True\n")
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    records = read_records(load_workspace(root), "H-G")
    assert len(records) == 2 and {r.diff_file for r in records} == {"../../../git.diff"}
    stored = (root / records[0].run_dir / records[0].diff_file).resolve()
    assert stored.parent.parent == (root / "reports").resolve() and "+EDITED = True" in stored.read_text()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    git(clone, "apply", str(stored))
    assert (clone / "exps" / "core.py").read_text() == core.read_text()


def test_a_clean_or_too_large_diff_is_not_kept(make_ws, monkeypatch) -> None:
    root = repo(make_ws)
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    assert all(r.diff_file is None for r in read_records(load_workspace(root), "H-G"))
    assert not list((root / "reports").glob("*/git.diff"))
    assert recording.store_diff(root, b"x" * (recording.MAX_DIFF_BYTES + 1)) is None
