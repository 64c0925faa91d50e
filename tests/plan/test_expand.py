"""The cache's source fingerprint: exactly the workspace files an entry point can import."""

from __future__ import annotations

from pathlib import Path

from investigate.cli.main import main
from investigate.plan.expand import imported_files
from tests.conftest import hypothesis


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
    root = Path(__file__).resolve().parents[2]
    found = {p.relative_to(root).as_posix() for p in imported_files(root, "ptycho.experiments")}
    assert "ptycho/model.py" in found and "ptycho/refine.py" in found
    assert not any(f.startswith("investigate/") for f in found)


def _huge(keys: int = 7) -> str:
    # 10**keys matrix points in under 300 bytes of YAML
    rows = "".join(f"  k{k}: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n" for k in range(keys))
    return f"run: toy:fn\nmatrix:\n{rows}arms: {{a: {{}}, b: {{}}}}\nseeds: [0, 1, 2]\n"


TOO_MANY = (
    "the experiment expands to 60,000,000 runs (matrix 10×10×10×10×10×10×10, 2 arms, 3 seeds); "
    "the limit is 10,000 (raise [tool.investigate] max_runs)"
)


def test_run_count_is_checked_before_anything_is_expanded(make_ws, capsys) -> None:
    root = make_ws(
        {"hypotheses/H-X.yaml": hypothesis("H-X", _huge()), "toy.py": "def fn(params, ctx):\n    return {}\n"}
    )
    assert main(["--workspace", str(root), "run", "H-X", "--dry-run"]) == 1
    assert capsys.readouterr().err == f"error: H-X: {TOO_MANY}\n"
    # --where narrows each key before the product: 10 points x 2 arms x 1 seed, never 10**7 points
    where = [arg for k in range(1, 7) for arg in ("--where", f"k{k}=0")]
    assert main(["--workspace", str(root), "run", "H-X", "--dry-run", "--seeds", "0", *where]) == 0
    assert capsys.readouterr().out.count("H-X k0=") == 20


def test_validate_reports_the_run_count_and_show_still_works(make_ws, capsys) -> None:
    root = make_ws(
        {
            "toy.py": "def fn(params, ctx):\n    return {}\n",
            "hypotheses/H-X.yaml": hypothesis("H-X", _huge()),
            "hypotheses/H-Y.yaml": hypothesis("H-Y", "x: 1"),
        }
    )
    assert main(["--workspace", str(root), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: hypotheses/H-Y.yaml:6: experiment: unknown field 'x'",
        f"hypotheses/H-X.yaml:7: experiment.matrix: {TOO_MANY}",
    ]
    (root / "hypotheses" / "H-Y.yaml").unlink()
    assert main(["--workspace", str(root), "show", "H-X"]) == 0
    assert "60000000 runs" in capsys.readouterr().out


def test_max_runs_is_configurable(make_ws, capsys) -> None:
    files = {
        "toy.py": "def fn(params, ctx):\n    return {}\n",
        "hypotheses/H-X.yaml": hypothesis("H-X", "run: toy:fn\nmatrix: {k: [1, 2, 3]}\nseeds: [0, 1]\n"),
    }
    root = make_ws(files)
    (root / "pyproject.toml").write_text("[tool.investigate]\nmax_runs = 5\n")
    assert main(["--workspace", str(root), "run", "H-X", "--dry-run"]) == 1
    assert capsys.readouterr().err == (
        "error: H-X: the experiment expands to 6 runs (matrix 3, 1 arm, 2 seeds); "
        "the limit is 5 (raise [tool.investigate] max_runs)\n"
    )
    (root / "pyproject.toml").write_text("[tool.investigate]\nmax_runs = 6\n")
    assert main(["--workspace", str(root), "validate"]) == 0
    assert main(["--workspace", str(root), "run", "H-X", "--dry-run"]) == 0
