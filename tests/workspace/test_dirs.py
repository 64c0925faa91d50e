"""``[tool.investigate]`` settings that cannot work are one-line user errors, never a traceback."""

from __future__ import annotations

import pytest

from investigate.cli.main import main


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('[tool.investigate]\nreports = "rep\\u0000orts"\n',
         "pyproject.toml: tool.investigate.reports: 'rep\\x00orts' holds a NUL byte"),
        ("[tool.investigate]\nreports = 5\n", "pyproject.toml: tool.investigate.reports: must be a path (a string), not 5"),
        ("[tool.investigate]\nhypotheses = [1]\n",
         "pyproject.toml: tool.investigate.hypotheses: must be a path (a string), not [1]"),
        ("[tool]\ninvestigate = 5\n", "pyproject.toml: tool.investigate: must be a table ([tool.investigate]), not 5"),
        ("tool = 5\n", "pyproject.toml: tool: must be a table ([tool.investigate] ...), not 5"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_exit_1(make_ws, capsys, pyproject: str, message: str) -> None:
    root = make_ws({"hypotheses/.keep": ""}, pyproject=False)
    (root / "pyproject.toml").write_text(pyproject)
    for argv in (["validate"], ["status"], ["list"]):
        assert main(["--workspace", str(root), *argv]) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err == f"error: {message}", argv
    assert not (root / "5").exists()
