"""Cache keys depend on what the experiment can import, and nothing else; misses say why."""

from __future__ import annotations

from pathlib import Path

from investigate.cli.main import main
from investigate.plan.expand import Filters, expand
from investigate.plan.fingerprint import import_closure, third_party_versions
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

EXP = "def fn(params, ctx):\n    import numpy\n    from exps import helper\n    return {'v': helper.VALUE}\n"


def _ws(make_ws) -> Path:
    return make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXP,
            "exps/helper.py": "import scipy.linalg\nimport json\nVALUE = 1\n",
            "exps/unrelated.py": "import pydantic\n",
            "hypotheses/H-A.yaml": hypothesis("H-A", "run: exps.core:fn\nmatrix: {x: [1, 2]}\nseeds: [0]\n"),
        }
    )


def _keys(root: Path) -> dict[str, str]:
    ws = load_workspace(root)
    return {r.label: r.cache_key for r in expand(ws, ws.hypothesis("H-A"), Filters())}


def test_closure_names_outside_modules_but_not_the_standard_library(make_ws) -> None:
    root = _ws(make_ws)
    closure = import_closure(root, ["exps.core"])
    assert {p.name for p in closure.files} == {"__init__.py", "core.py", "helper.py"}
    assert closure.external == {"numpy", "scipy"}  # json is stdlib, pydantic is not reachable


def test_versions_come_from_the_closure_only() -> None:
    versions = third_party_versions({"numpy", "no_such_module_xyz"})
    assert "numpy" in versions and versions["module:no_such_module_xyz"] == "missing"
    assert "pydantic" not in versions and "investigate" not in versions
    assert versions["python"].count(".") == 1


def test_key_ignores_files_outside_the_closure_and_follows_files_inside(make_ws) -> None:
    root = _ws(make_ws)
    before = _keys(root)
    (root / "exps/unrelated.py").write_text("import pydantic\nX = 2\n")
    assert _keys(root) == before
    (root / "exps/helper.py").write_text("import scipy.linalg\nVALUE = 2\n")
    after = _keys(root)
    assert set(after) == set(before) and all(after[k] != before[k] for k in before)


def test_dry_run_says_hit_or_which_part_missed(make_ws, capsys) -> None:
    root = _ws(make_ws)
    ws = ["--workspace", str(root)]
    assert main([*ws, "run", "H-A"]) == 0
    assert main([*ws, "run", "H-A", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert all("  hit  reports/" in line for line in captured.out.splitlines())
    assert "2 of 2 runs are cache hits" in captured.err
    (root / "exps/helper.py").write_text("import scipy.linalg\nVALUE = 3\n")
    assert main([*ws, "run", "H-A", "--dry-run", "--seeds", "0,1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert "miss: source changed: exps/helper.py" in lines[0]
    assert "miss: seed 1 (nearest run: seed 0); source changed: exps/helper.py" in lines[1]
