"""``[tool.investigate] source_roots``: code outside the workspace in the cache key and the provenance."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, PYPROJECT, hypothesis

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def workspace(make_ws, roots: str | None) -> Path:
    pyproject = PYPROJECT + (f"source_roots = {roots}\n" if roots is not None else "")
    return make_ws(
        {
            "pyproject.toml": pyproject,
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-G.yaml": hypothesis("H-G", "run: exps.core:grow\nparams: {r: 0.5, steps: 10}\n"),
        }
    )


@pytest.fixture
def original(tmp_path: Path) -> Path:
    """The user's original project beside the workspace, a git checkout."""
    repo = tmp_path / "original"
    (repo / "legacy").mkdir(parents=True)
    (repo / "legacy" / "__init__.py").write_text("SCALE = 1.0\n")
    (repo / "README.md").write_text("original\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    return repo


def only_record(root: Path):
    (rec,) = read_records(load_workspace(root), "H-G")
    return rec


def test_a_source_root_enters_the_key_and_the_provenance(make_ws, original: Path, capsys) -> None:
    root = workspace(make_ws, '["../original"]')
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    rec = only_record(root)
    head = git(original, "rev-parse", "HEAD")
    sha = hashlib.sha256(b"SCALE = 1.0\n").hexdigest()
    assert rec.key_parts["source_roots"] == {"../original": {"files": {"legacy/__init__.py": sha}, "git_commit": head}}
    assert rec.provenance["source_roots"]["../original"]["git_commit"] == head
    assert rec.provenance["source_roots"]["../original"]["git_dirty"] is False

    (original / "legacy" / "__init__.py").write_text("SCALE = 2.0\n")  # an uncommitted edit
    assert main(["--workspace", str(root), "run", "H-G", "--dry-run"]) == 0
    assert "miss: source root ../original: source changed: legacy/__init__.py" in capsys.readouterr().out

    git(original, "commit", "-qam", "scale 2")
    assert main(["--workspace", str(root), "run", "H-G", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"source root ../original: commit {head[:10]} → " in out

    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    newest = max(read_records(load_workspace(root), "H-G"), key=lambda r: r.started_at)
    assert newest.provenance["source_roots"]["../original"]["git_commit"] == git(original, "rev-parse", "HEAD")


def test_a_commit_that_touches_no_python_file_is_a_miss_too(make_ws, original: Path, capsys) -> None:
    root = workspace(make_ws, '["../original"]')
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    (original / "README.md").write_text("changed config\n")
    git(original, "commit", "-qam", "docs")
    assert main(["--workspace", str(root), "run", "H-G", "--dry-run"]) == 0
    assert "1 would execute" in capsys.readouterr().err


def test_an_installed_package_is_hashed_from_where_it_is_imported(make_ws, tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"
    (site / "legacy_pkg").mkdir(parents=True)
    (site / "legacy_pkg" / "__init__.py").write_text("X = 1\n")
    (site / "legacy_pkg" / "util.py").write_text("Y = 2\n")
    monkeypatch.syspath_prepend(str(site))
    root = workspace(make_ws, '["legacy_pkg"]')
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    part = only_record(root).key_parts["source_roots"]["legacy_pkg"]
    assert sorted(part["files"]) == ["__init__.py", "util.py"] and part["git_commit"] is None


def test_without_the_setting_the_key_has_no_such_part(make_ws, original: Path) -> None:
    root = workspace(make_ws, None)
    assert main(["--workspace", str(root), "run", "H-G"]) == 0
    rec = only_record(root)
    assert "source_roots" not in rec.key_parts and "source_roots" not in rec.provenance


@pytest.mark.parametrize(
    ("roots", "message"),
    [
        ('["../nowhere"]', "source_roots: '../nowhere' is not a directory"),
        ('["no_such_package_xyz"]', "'no_such_package_xyz' is not an importable package (write ./no_such_package_xyz"),
        ('"../original"', "source_roots: expected a list of non-empty strings"),
    ],
)
def test_a_root_that_does_not_exist_is_an_error(make_ws, capsys, roots: str, message: str) -> None:
    root = workspace(make_ws, roots)
    assert main(["--workspace", str(root), "validate"]) == 1
    assert message in capsys.readouterr().err
    assert main(["--workspace", str(root), "run", "H-G"]) == 1
    assert message in capsys.readouterr().err
