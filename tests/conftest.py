"""Shared fixtures: temporary workspaces built from a dict of files, and the numpy toy workspace."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

PYPROJECT = '[tool.investigate]\nhypotheses = "hypotheses"\nplans = "plans"\nreports = "reports"\n'

# Experiments used by the core tests: a real numeric divergence, a crash, a hang.
EXPERIMENTS = """
import time
import numpy as np


def grow(params, ctx):
    x = np.float64(1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(params.get("steps", 2000))):
            x = x * params["r"] - x * 0.0  # inf - inf = nan once x overflows
    return {"x": x, "has_nan": bool(np.isnan(x)), "seed": ctx.seed}


def boom(params, ctx):
    raise ValueError("boom: " + str(params.get("what")))


def nap(params, ctx):
    time.sleep(params.get("sleep", 30))
    return {"slept": True}


def noop(params, ctx):
    return {}
"""

MakeWs = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_ws(tmp_path: Path) -> MakeWs:
    """Write ``{relative path: text}`` into a fresh workspace (pyproject included) and return its root."""

    def build(files: dict[str, str], pyproject: bool = True) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        if pyproject:
            (root / "pyproject.toml").write_text(PYPROJECT)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return build


@pytest.fixture
def numpy_ws(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/numpy_ws (runs write into its reports/)."""
    root = tmp_path / "numpy_ws"
    shutil.copytree(FIXTURES / "numpy_ws", root, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    return root


def hypothesis(hid: str, experiment: str = "", extra: str = "") -> str:
    """A minimal valid hypothesis file; ``experiment`` is an indented YAML block."""
    text = f"id: {hid}\ntitle: t {hid}\nstatement: s\nprediction: p\n"
    if experiment:
        text += "experiment:\n" + textwrap.indent(textwrap.dedent(experiment).strip("\n"), "  ") + "\n"
    return text + extra


@pytest.fixture(scope="session")
def recorded_numpy_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The numpy toy workspace with both hypotheses run once per session (read-only for tests:
    a test that writes copies it with ``shutil.copytree``)."""
    from investigate.cli.main import main

    root = tmp_path_factory.mktemp("recorded") / "numpy_ws"
    shutil.copytree(FIXTURES / "numpy_ws", root, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    assert main(["--workspace", str(root), "run", "H-STEP-SIZE", "H-INIT-SCALE", "--jobs", "2"]) == 0
    return root
