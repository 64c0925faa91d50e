"""The cache's source fingerprint: exactly the workspace files an entry point can import."""

from __future__ import annotations

from pathlib import Path

from investigate.plan import imported_files


def _write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_import_closure_follows_relative_absolute_and_lazy_imports(tmp_path):
    _write(tmp_path, "tool/__init__.py")
    _write(tmp_path, "tool/core.py", "import json\n")  # never imported by the subject
    _write(tmp_path, "tool/subject/__init__.py")
    _write(
        tmp_path,
        "tool/subject/exp.py",
        "from . import sim\nimport tool.subject.util as u\n\ndef run():\n    from .model import net\n",
    )
    _write(tmp_path, "tool/subject/sim.py", "import numpy as np\nfrom .. import subject\n")
    _write(tmp_path, "tool/subject/util.py")
    _write(tmp_path, "tool/subject/model/__init__.py", "from .layers import dense\n")
    _write(tmp_path, "tool/subject/model/layers.py")
    _write(tmp_path, "tool/subject/unused.py")
    found = {p.relative_to(tmp_path).as_posix() for p in imported_files(tmp_path, "tool.subject.exp")}
    assert found == {
        "tool/__init__.py",
        "tool/subject/__init__.py",
        "tool/subject/exp.py",
        "tool/subject/sim.py",
        "tool/subject/util.py",
        "tool/subject/model/__init__.py",
        "tool/subject/model/layers.py",
    }


def test_entry_outside_the_workspace_has_no_local_files(tmp_path):
    assert imported_files(tmp_path, "json") == []


def test_shipped_subject_does_not_depend_on_the_core():
    root = Path(__file__).resolve().parents[1]
    found = {p.relative_to(root).as_posix() for p in imported_files(root, "ptycho.experiments")}
    assert "ptycho/model.py" in found and "ptycho/refine.py" in found
    assert not any(f.startswith("investigate/") for f in found)
