"""Stale evidence: after an edit to the code a verdict rests on, show, tree and run --dry-run say so and why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from investigate.cli.main import main
from investigate.plan.staleness import stale_reason
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import FIXTURES


def numpy_copy(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "numpy_ws", root, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    return root


def test_an_edited_experiment_marks_its_verdict_stale_until_it_runs_again(tmp_path: Path, capsys) -> None:
    root = numpy_copy(tmp_path)
    ws_args = ["--workspace", str(root)]
    assert main([*ws_args, "run", "H-STEP-SIZE"]) == 0
    ws = load_workspace(root)
    assert stale_reason(ws, ws.hypothesis("H-STEP-SIZE"), read_records(ws)) is None
    source = root / "toy" / "experiments.py"
    source.write_text(source.read_text() + "\n# an edit the verdict has not seen\n")
    capsys.readouterr()

    assert main([*ws_args, "show", "H-STEP-SIZE"]) == 0
    out = capsys.readouterr().out
    assert "  stale:      12 of 12 runs would not be cache hits now: source changed: toy/experiments.py" in out
    assert main([*ws_args, "show", "H-STEP-SIZE", "--json"]) == 0
    assert "source changed: toy/experiments.py" in json.loads(capsys.readouterr().out)["stale"]
    assert main([*ws_args, "tree", "TOY-GD-001"]) == 0
    tree = capsys.readouterr().out
    assert "H-STEP-SIZE [fixed, stale]" in tree and "stale: H-STEP-SIZE: 12 of 12 runs" in tree
    assert main([*ws_args, "tree", "TOY-GD-001", "--json"]) == 0
    nodes = json.loads(capsys.readouterr().out)[0]["nodes"]
    assert any(n["hypothesis"] == "H-STEP-SIZE" and n["stale"] for n in nodes.values())
    assert main([*ws_args, "run", "H-STEP-SIZE", "--dry-run"]) == 0
    assert "miss: source changed: toy/experiments.py" in capsys.readouterr().out

    assert main([*ws_args, "run", "H-STEP-SIZE"]) == 0
    capsys.readouterr()
    assert main([*ws_args, "show", "H-STEP-SIZE"]) == 0
    assert "stale:" not in capsys.readouterr().out


def test_a_profile_run_is_compared_with_its_own_params_and_no_runs_is_not_stale(tmp_path: Path, capsys) -> None:
    root = numpy_copy(tmp_path)
    ws = load_workspace(root)
    hyp = ws.hypothesis("H-STEP-SIZE")
    assert stale_reason(ws, hyp, []) is None
    assert main(["--workspace", str(root), "run", "H-STEP-SIZE", "--profile", "quick"]) == 0
    ws = load_workspace(root)
    assert stale_reason(ws, ws.hypothesis("H-STEP-SIZE"), read_records(ws)) is None


def test_show_before_any_run_names_no_deciding_part(tmp_path: Path, capsys) -> None:
    root = numpy_copy(tmp_path)
    assert main(["--workspace", str(root), "show", "H-STEP-SIZE"]) == 0
    out = capsys.readouterr().out
    assert "ruled_out: untested (any)" in out and "decided by" not in out


def test_list_and_status_carry_the_stale_mark(tmp_path: Path, capsys) -> None:
    root = numpy_copy(tmp_path)
    ws_args = ["--workspace", str(root)]
    assert main([*ws_args, "run", "H-STEP-SIZE"]) == 0
    source = root / "toy" / "experiments.py"
    source.write_text(source.read_text() + "\n# edited\n")
    capsys.readouterr()
    assert main([*ws_args, "list", "--json", "--stale"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert "source changed: toy/experiments.py" in rows["H-STEP-SIZE"]["stale"]
    assert rows["H-INIT-SCALE"]["stale"] is None  # no runs: untested, not stale
    assert main([*ws_args, "status", "--stale"]) == 0
    assert "stale: 12 of 12 runs would not be cache hits now" in capsys.readouterr().out
    assert main([*ws_args, "status"]) == 0  # without --stale nothing is re-planned
    assert "stale:" not in capsys.readouterr().out
