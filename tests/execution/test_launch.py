"""The run's import path: the workspace root, then the user's PYTHONPATH, then site-packages.

This repository holds a ``ptycho`` package of its own (the reference subject). A user's code of the
same name — in the workspace, or installed elsewhere and reached through ``PYTHONPATH`` — must be
the one that runs, whatever interpreter runs it: investigate's checkout is never on the run's path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

REPO = Path(__file__).resolve().parents[2]

WHERE = """
import os, sys


def where(params, ctx):
    from ptycho.config.config import ORIGIN  # our ptycho has config.py, a module: this import fails on it
    return {
        "origin": ORIGIN,
        "first": sys.path[0],
        "checkout_on_path": any(os.path.isfile(os.path.join(p, "investigate", "__init__.py")) for p in sys.path),
        "package_env": "INVESTIGATE_PACKAGE" in os.environ,
    }
"""


def clashing_package(base: Path, origin: str) -> None:
    """A ``ptycho`` package whose ``config`` is a package too, as in the original PtychoPINN project."""
    for rel, text in {
        "ptycho/__init__.py": "",
        "ptycho/config/__init__.py": "",
        "ptycho/config/config.py": f"ORIGIN = {origin!r}\n",
    }.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)


def shadow_ws(make_ws, own: bool, extra: str = "") -> Path:
    files = {"exps/__init__.py": "", "exps/where.py": WHERE}
    files["hypotheses/H-WHERE.yaml"] = hypothesis("H-WHERE", "run: exps.where:where\n" + extra)
    root = make_ws(files)
    if own:
        clashing_package(root, "workspace")
    return root


@pytest.mark.parametrize("python", ["", f"python: {sys.executable}\n"], ids=["this-python", "experiment.python"])
def test_a_workspace_package_named_like_ours_is_the_one_that_runs(make_ws, python: str) -> None:
    root = shadow_ws(make_ws, own=True, extra=python)
    assert main(["--workspace", str(root), "run", "H-WHERE"]) == 0
    (rec,) = read_records(load_workspace(root), "H-WHERE")
    assert rec.metrics["origin"] == "workspace"
    assert Path(rec.metrics["first"]).resolve() == root.resolve()
    assert rec.metrics["checkout_on_path"] is False and rec.metrics["package_env"] is False


@pytest.mark.parametrize("python", ["", f"python: {sys.executable}\n"], ids=["this-python", "experiment.python"])
def test_a_package_on_the_users_pythonpath_is_not_shadowed_by_our_checkout(
    make_ws, tmp_path: Path, monkeypatch, python: str
) -> None:
    foreign = tmp_path / "elsewhere"
    clashing_package(foreign, "foreign")
    monkeypatch.setenv("PYTHONPATH", str(foreign))
    root = shadow_ws(make_ws, own=False, extra=python)
    assert main(["--workspace", str(root), "run", "H-WHERE"]) == 0
    (rec,) = read_records(load_workspace(root), "H-WHERE")
    assert rec.metrics["origin"] == "foreign" and rec.metrics["checkout_on_path"] is False


def test_a_command_sees_the_users_pythonpath_only(make_ws, tmp_path: Path, monkeypatch) -> None:
    foreign = tmp_path / "elsewhere"
    clashing_package(foreign, "foreign")
    monkeypatch.setenv("PYTHONPATH", str(foreign))
    script = (
        "import json, os, sys\nfrom ptycho.config.config import ORIGIN\n"
        "json.dump({'origin': ORIGIN, 'pythonpath': os.environ.get('PYTHONPATH')}, "
        "open(os.path.join(sys.argv[1], 'metrics.json'), 'w'))\n"
    )
    root = make_ws(
        {"probe.py": script, "hypotheses/H-CMD.yaml": hypothesis("H-CMD", 'command: "python probe.py {run_dir}"')}
    )
    assert main(["--workspace", str(root), "run", "H-CMD"]) == 0
    (rec,) = read_records(load_workspace(root), "H-CMD")
    assert rec.metrics == {"origin": "foreign", "pythonpath": str(foreign)}


GATE = """

def gate(params, ctx):
    from ptycho.config.config import ORIGIN
    return {"passes": ORIGIN == "workspace" and not params["broken"]}
"""


def test_isolate_runs_the_workspace_package_named_like_ours(make_ws, capsys) -> None:
    root = shadow_ws(make_ws, own=True)
    (root / "exps/where.py").write_text(WHERE + GATE)
    (root / "good.yaml").write_text("broken: false\nwidth: 1\n")
    (root / "bad.yaml").write_text("broken: true\nwidth: 2\n")
    argv = ["--workspace", str(root), "isolate", "--entry", "exps.where:gate", "--good", "good.yaml"]
    assert main([*argv, "--bad", "bad.yaml", "--test", "{metric: passes, equals: true}", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert [c["key"] for c in data["culprits"]] == ["broken"]
    assert {row["outcome"] for row in data["table"]} == {"pass", "fail"}  # no run failed to import
