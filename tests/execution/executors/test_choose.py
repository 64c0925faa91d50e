"""Choosing the executor: command-line options over ``[tool.investigate]`` keys over local; bad values are user errors."""

from __future__ import annotations

import sys

import pytest

from investigate.cli.main import main
from investigate.execution.executors.choose import Choice, choose
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, PYPROJECT, hypothesis


def ws_with(make_ws, settings: str = ""):
    files = {
        "exps/__init__.py": "",
        "exps/core.py": EXPERIMENTS,
        "hypotheses/H-A.yaml": hypothesis("H-A", "run: exps.core:noop\n"),
    }
    root = make_ws(files)
    (root / "pyproject.toml").write_text(PYPROJECT + settings)
    return root


def test_local_unless_asked(make_ws) -> None:
    ws = load_workspace(ws_with(make_ws))
    assert choose(ws, None, None) == Choice()
    assert choose(ws, "dask", "tcp://10.0.0.1:8786") == Choice("dask", "tcp://10.0.0.1:8786")


def test_the_workspace_settings_and_the_command_line_over_them(make_ws) -> None:
    root = ws_with(make_ws, 'executor = "dask"\nscheduler = "cluster/scheduler.json"\nresources = {GPU = 1}\n')
    ws = load_workspace(root)
    assert choose(ws, None, None) == Choice("dask", str(root / "cluster/scheduler.json"), {"GPU": 1.0})
    assert choose(ws, None, "tcp://h:1").scheduler == "tcp://h:1"
    assert choose(ws, "local", None) == Choice()


@pytest.mark.parametrize(
    ("settings", "argv", "message"),
    [
        ("", ["--scheduler", "tcp://h:1"], "--scheduler needs --executor dask"),
        ('executor = "slurm"\n', [], "tool.investigate.executor: expected one of ('local', 'dask'), got 'slurm'"),
        (
            'executor = "dask"\nresources = {GPU = 0}\n',
            [],
            "tool.investigate.resources: expected a table of positive numbers",
        ),
        ('executor = "dask"\nscheduler = 8786\n', [], "tool.investigate.scheduler: expected an address, got 8786"),
    ],
)
def test_bad_choices_are_user_errors_before_any_run(
    make_ws, capsys, settings: str, argv: list[str], message: str
) -> None:
    root = ws_with(make_ws, settings)
    assert main(["--workspace", str(root), "run", "H-A", *argv]) == 1
    assert message in capsys.readouterr().err
    assert not (root / "reports").exists()


def test_without_dask_installed_the_error_says_how_to_install_it(make_ws, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    root = ws_with(make_ws)
    assert main(["--workspace", str(root), "run", "H-A", "--executor", "dask"]) == 1
    assert "--executor dask needs Dask: pip install 'investigate[dask]'" in capsys.readouterr().err
    assert not (root / "reports").exists()
