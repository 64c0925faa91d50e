"""Runs that finished after their invocation died: recorded by the next invocation, then reused.

An invocation stopped by a refused write leaves its run unrecorded, as a killed one does; the
``_outcome.json`` a worker's guard would have left is then written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.execution.recording import StoreError
from investigate.execution.recover import record_finished
from investigate.store.lost import MARKER, OUTCOME, find_lost
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis


def unrecorded(make_ws, monkeypatch, experiment: str) -> tuple[Path, Path]:
    """A workspace and the run dir of H-A's one run, which ran but whose invocation died before recording it."""
    root = make_ws(
        {"exps/__init__.py": "", "exps/core.py": EXPERIMENTS, "hypotheses/H-A.yaml": hypothesis("H-A", experiment)}
    )

    def refuse(*args: object) -> None:
        raise StoreError("cannot write run.json: [Errno 28] No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("investigate.execution.runner.save", refuse)
        assert main(["--workspace", str(root), "run", "H-A"]) == 1
    (lost,) = find_lost(load_workspace(root))
    return root, root / lost.run_dir


def outcome(run_dir: Path, kind: str, duration_s: float = 0.5) -> None:
    data = {"job_id": 0, "kind": kind, "duration_s": duration_s, "returncode": 0, "detail": None, "host": "node-7"}
    (run_dir / OUTCOME).write_text(json.dumps(data))


def test_a_finished_run_is_recorded_as_its_invocation_would_have_and_then_reused(make_ws, monkeypatch, capsys) -> None:
    root, run_dir = unrecorded(make_ws, monkeypatch, "run: exps.core:grow\nparams: {r: 2.0}\n")
    marker = json.loads((run_dir / MARKER).read_text())
    outcome(run_dir, "exited")
    capsys.readouterr()
    assert main(["--workspace", str(root), "run", "H-A"]) == 0
    assert "recorded 1 run(s) that finished after their investigate process died" in capsys.readouterr().err
    ws = load_workspace(root)
    (recovered,) = read_records(ws)  # its own record: the cache hit that follows writes nothing
    assert recovered.run_dir == ws.relative(run_dir) and recovered.status == "ok"
    assert recovered.metrics["has_nan"] is True and recovered.duration_s == 0.5
    assert recovered.started_at == marker["started_at"] and recovered.cache_key == marker["cache_key"]
    assert recovered.key_parts == marker["key_parts"] and recovered.provenance["hostname"] == "node-7"
    assert recovered.provenance["command"] == marker["provenance"]["command"]
    assert recovered.reused_from is None
    assert find_lost(ws) == [] and not (run_dir / MARKER).exists() and not (run_dir / OUTCOME).exists()


def test_a_timed_out_run_is_recorded_as_a_timeout(make_ws, monkeypatch) -> None:
    root, run_dir = unrecorded(make_ws, monkeypatch, "run: exps.core:noop\ntimeout_s: 30\n")
    (run_dir / "_result.json").unlink(missing_ok=True)  # a run killed at its timeout writes no result
    outcome(run_dir, "timeout", 30.01)
    (record,) = record_finished(load_workspace(root))
    assert (record.status, record.error, record.duration_s) == ("timeout", "timed out after 30s", 30.01)


@pytest.mark.parametrize("kind", ["cancelled", None])
def test_a_run_stopped_with_its_invocation_stays_lost(make_ws, monkeypatch, kind: str | None) -> None:
    root, run_dir = unrecorded(make_ws, monkeypatch, "run: exps.core:noop\n")
    if kind is not None:
        outcome(run_dir, kind)
    ws = load_workspace(root)
    assert record_finished(ws) == [] and len(find_lost(ws)) == 1
