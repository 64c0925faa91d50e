"""``serve`` and ``mcp`` through main(argv): their arguments are checked before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest

from investigate.cli.main import main


def test_serve_refuses_a_bad_port(numpy_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workspace", str(numpy_ws), "serve", "--port", "70000"]) == 1
    assert "--port 70000: expected 1-65535" in capsys.readouterr().err


def test_serve_says_when_the_port_is_taken(numpy_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--workspace", str(numpy_ws), "serve", "--port", str(port)]) == 1
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def test_mcp_refuses_a_bad_budget(numpy_ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = numpy_ws / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "mcp_max_runs = 0\n")
    assert main(["--workspace", str(numpy_ws), "mcp"]) == 1
    assert "mcp_max_runs: expected 1-" in capsys.readouterr().err


def test_help_lists_both(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "serve" in out and "mcp" in out
