"""validate / list / show / status through ``main(argv)``, and the exit-code contract."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import investigate.cli.status as status_cmd
from investigate.cli.main import main
from tests.conftest import hypothesis


def test_validate_ok_and_all_errors(numpy_ws: Path, make_ws, capsys) -> None:
    assert main(["--workspace", str(numpy_ws), "validate"]) == 0
    assert "ok: 2 hypotheses, 1 initiatives" in capsys.readouterr().out
    bad = make_ws({"hypotheses/H-A.yaml": hypothesis("H-B"), "hypotheses/H-C.yaml": hypothesis("H-C") + "x: 1\n"})
    assert main(["--workspace", str(bad), "validate"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: hypotheses/H-A.yaml:1: id: id 'H-B' must equal the file name 'H-A'",
        "hypotheses/H-C.yaml:5: unknown field 'x'",
    ]


def test_list_show_status_after_runs(numpy_ws: Path, capsys) -> None:
    ws = ["--workspace", str(numpy_ws)]
    assert main([*ws, "run", "H-STEP-SIZE", "--where", "L=5.0", "--seeds", "0"]) == 0
    capsys.readouterr()
    assert main([*ws, "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["H-STEP-SIZE"]["runs"]["ok"] == 2 and rows["H-INIT-SCALE"]["runs"]["ok"] == 0
    assert main([*ws, "show", "H-STEP-SIZE"]) == 0
    out = capsys.readouterr().out
    assert "H-STEP-SIZE: Divergence is caused by a step size above 2/L" in out
    assert "L=5.0 raw seed0 ok" in out and "has_nan=True" in out and "12 runs" in out
    assert main([*ws, "show", "H-STEP-SIZE", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "H-STEP-SIZE" and shown["experiment"]["seeds"] == [0, 1]
    assert sorted(r["arm"] for r in shown["runs"]) == ["clipped", "raw"]
    # L=5: lr 0.5 x 5 > 2 diverges in the raw arm, the clipped arm converges: cause confirmed, fix verified
    assert shown["verdict"]["outcome"] == "fixed"
    assert main([*ws, "show", "TOY-GD-001", "--json"]) == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)["hypotheses"]] == ["H-STEP-SIZE", "H-INIT-SCALE"]
    assert main([*ws, "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["TOY-GD-001"]["H-STEP-SIZE"]["runs"] == {"ok": 2, "error": 0, "timeout": 0, "interrupted": 0}
    assert main([*ws, "status"]) == 0
    assert "TOY-GD-001: 2 hypotheses, runs ok=2" in capsys.readouterr().out


def test_unknown_id_exit_1_with_suggestion(numpy_ws: Path, capsys) -> None:
    assert main(["--workspace", str(numpy_ws), "show", "H-STEP-SIZ"]) == 1
    assert capsys.readouterr().err.strip() == "error: unknown hypothesis 'H-STEP-SIZ' (did you mean H-STEP-SIZE?)"
    assert main(["--workspace", str(numpy_ws), "run", "--initiative", "TOY-GD-01"]) == 1
    assert "did you mean TOY-GD-001?" in capsys.readouterr().err


def test_usage_error_is_exit_2(numpy_ws: Path) -> None:
    assert main(["--workspace", str(numpy_ws), "run", "--jobs", "many"]) == 2


def test_errors_under_bisect_abort_instead_of_reading_as_bad(numpy_ws: Path) -> None:
    # git bisect run reads exit 1-127 (but 125) as "bad commit"; a usage error, an unknown id or a
    # bug of this tool says nothing about the commit, so they must abort the bisection (>= 128).
    ws = ["--workspace", str(numpy_ws)]
    assert main([*ws, "run", "H-STEP-SIZE", "--bisect", "--jobs", "many"]) == 128
    assert main([*ws, "run", "H-STEP-SIZE-TYPO", "--bisect"]) == 128
    assert main([*ws, "run", "H-STEP-SIZE", "H-INIT-SCALE", "--bisect"]) == 128


def test_bug_is_exit_3_with_one_line(numpy_ws: Path, monkeypatch, capsys) -> None:
    def broken(ws, early=None):
        raise KeyError("oops")

    monkeypatch.setattr(status_cmd, "collect", broken)
    assert main(["--workspace", str(numpy_ws), "status"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "--debug" in err
    with pytest.raises(KeyError):
        main(["--workspace", str(numpy_ws), "--debug", "status"])


def test_core_import_does_not_load_tensorflow_or_dask() -> None:
    code = "import sys, investigate, investigate.cli.main, investigate.execution.runner, investigate.execution.executors.dask, investigate.execution.recover; investigate.cli.main.build_parser(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'dask', 'distributed') or m.startswith('ptycho')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_workspace_option_must_be_a_directory(tmp_path: Path, capsys) -> None:
    assert main(["--workspace", str(tmp_path / "nope"), "list"]) == 1
    assert "not a directory" in capsys.readouterr().err


def test_help_loads_neither_tensorflow_nor_dask_nor_the_subject() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from investigate.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['--help'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'ptycho', 'dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0 []"
