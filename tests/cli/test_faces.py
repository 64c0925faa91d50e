"""``serve`` and ``mcp`` through main(argv): their arguments are checked before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest

from investigate.cli.main import main


def test_serve_refuses_a_bad_port(numpy_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workspace", str(numpy_ws), "serve", "--port", "70000"]) == 1
    assert "--port 70000: expected 0-65535" in capsys.readouterr().err


def test_mcp_refuses_a_bad_budget(numpy_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = numpy_ws / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "mcp_max_runs = 0\n")
    assert main(["--workspace", str(numpy_ws), "mcp"]) == 1
    assert "mcp_max_runs: expected 1-" in capsys.readouterr().err


def test_help_lists_both(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "serve" in out and "mcp" in out
