"""Entry points are resolved from source, never imported."""

from __future__ import annotations

import sys
from pathlib import Path

from investigate.cli.main import main
from investigate.workspace.entrypoints import entry_problem, module_source
from tests.conftest import hypothesis

MODULE = """\
import os
from .helpers import helper as exported
from .lazy import *  # noqa

try:
    from fast import speedy
except ImportError:
    def speedy(params, ctx):
        return {}


def run_case(params, ctx):
    import tensorflow  # never imported by the check
    return {}


class Runner:
    pass


alias = run_case
"""


def _ws(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "experiments.py").write_text(MODULE.replace("from .lazy import *  # noqa\n", ""))
    (tmp_path / "pkg" / "sub" / "star.py").write_text("from os.path import *\n")
    (tmp_path / "pkg" / "sub" / "getattr.py").write_text("def __getattr__(name):\n    return name\n")
    return tmp_path


def test_functions_classes_assignments_and_reexports_resolve(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    for name in ("run_case", "Runner", "alias", "exported", "speedy", "os"):
        assert entry_problem(root, f"pkg.experiments:{name}") is None, name
    assert entry_problem(root, "pkg.experiments:run_cas") == (
        "module 'pkg.experiments' has no function 'run_cas' (did you mean run_case?)"
    )


def test_missing_modules_suggest_their_neighbours(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    assert entry_problem(root, "pkg.experiment:run_case") == (
        "module 'pkg.experiment' not found under the workspace root or among the installed packages "
        "(did you mean pkg.experiments?)"
    )
    assert "not found" in (entry_problem(root, "nosuchpackage_xyz.mod:f") or "")


def test_star_imports_and_module_getattr_cannot_be_judged_so_they_pass(tmp_path: Path) -> None:
    root = _ws(tmp_path)
    assert entry_problem(root, "pkg.sub.star:anything") is None
    assert entry_problem(root, "pkg.sub.getattr:anything") is None


def test_installed_and_standard_library_modules(tmp_path: Path) -> None:
    assert entry_problem(tmp_path, "json:dumps") is None
    assert entry_problem(tmp_path, "json:dunps") == "module 'json' has no function 'dunps' (did you mean dumps, dump?)"
    assert entry_problem(tmp_path, "json.decoder:JSONDecoder") is None
    assert module_source(tmp_path, "yaml") is not None  # an installed package, located without importing it


def test_a_syntax_error_is_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    assert (entry_problem(tmp_path, "broken:f") or "").startswith("module 'broken' cannot be parsed: ")


def test_validate_reports_the_entry_point_with_its_line(make_ws, capsys) -> None:
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": "def grow(params, ctx):\n    return {}\n",
            "hypotheses/H-A.yaml": hypothesis("H-A", "run: exps.core:grwo\n"),
            "hypotheses/H-B.yaml": hypothesis("H-B", "run: exps.cor:grow\n"),
            "hypotheses/H-C.yaml": hypothesis("H-C", "run: exps.core:grow\n"),
        }
    )
    assert main(["--workspace", str(root), "validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: hypotheses/H-A.yaml:6: experiment.run: module 'exps.core' has no function 'grwo' (did you mean grow?)",
        "hypotheses/H-B.yaml:6: experiment.run: module 'exps.cor' not found under the workspace root or among the "
        "installed packages (did you mean exps.core?)",
    ]
    # other commands do not need the check (and a run would report the import error per run)
    assert main(["--workspace", str(root), "list"]) == 0


def test_the_module_is_never_executed(tmp_path: Path) -> None:
    (tmp_path / "loud.py").write_text("def f(params, ctx):\n    return {}\n\nraise SystemExit('imported')\n")
    assert entry_problem(tmp_path, "loud:f") is None
    assert "loud" not in sys.modules
