"""The crash line: exception type, the message's first line and the raising frame, end to end and alone."""

from __future__ import annotations

from investigate.cli.main import main
from investigate.execution.crashline import crash_line
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

CRASHES = """
def ambiguous(params, ctx):
    helper()


def helper():
    raise ValueError("Data cardinality is ambiguous:\\n  x sizes: 16\\n  'y' sizes: 16, 60, 60")


def bare(params, ctx):
    n = 3
    assert n > 5
"""
SCRIPT = "import sys\n\n\ndef main():\n    raise KeyError('probe')\n\n\nmain()\n"


def test_a_run_and_a_command_crash_each_get_one_line_saying_what_and_where(make_ws, capsys) -> None:
    files = {
        "exps/__init__.py": "",
        "exps/crash.py": CRASHES,
        "script.py": SCRIPT,
        "hypotheses/H-AMB.yaml": hypothesis("H-AMB", "run: exps.crash:ambiguous"),
        "hypotheses/H-BARE.yaml": hypothesis("H-BARE", "run: exps.crash:bare"),
        "hypotheses/H-SCRIPT.yaml": hypothesis("H-SCRIPT", 'command: "python script.py {run_dir}"'),
    }
    root = make_ws(files)
    assert main(["--workspace", str(root), "run", "H-AMB", "H-BARE", "H-SCRIPT"]) == 4
    err = capsys.readouterr().err
    ws = load_workspace(root)
    (amb,), (bare,), (script,) = (read_records(ws, h) for h in ("H-AMB", "H-BARE", "H-SCRIPT"))
    assert amb.error_line == "ValueError: Data cardinality is ambiguous: (exps/crash.py:6)"
    assert bare.error_line == "AssertionError in `assert n > 5` (exps/crash.py:11)"
    assert script.error_line == "KeyError: 'probe' (script.py:5)"
    assert f"— {amb.error_line} (log: " in err and f"H-BARE all default seed0 error: {bare.error_line}" in err
    assert "'y' sizes" not in err  # the message's last line is not what is shown


def test_what_is_not_a_traceback_has_no_crash_line() -> None:
    assert crash_line("command exited with code 3\nsomething failed") is None
    assert crash_line(None) is None
    assert (
        crash_line('  File "/a/b/c/d/e.py", line 9, in f\n    x()\nRuntimeError')
        == "RuntimeError in `x()` (…/c/d/e.py:9)"
    )
