"""Start markers and ``find_lost``: a marker without a record under a stamp nobody holds is a lost run."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from investigate.cli.main import main
from investigate.core.locks import FileLock, is_locked
from investigate.store.lost import MARKER, STAMP_LOCK, WORKER, find_in_flight, find_lost, in_flight_line, write_marker
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

ABOUT = {"hypothesis": "H-A", "arm": "a", "point": {"L": 2}, "seed": 1, "cache_key": "k", "started_at": "t0"}


def started(root: Path, stamp: str, name: str = "a-seed1") -> Path:
    run_dir = root / "reports" / stamp / "H-A" / "L=2" / name
    run_dir.mkdir(parents=True)
    write_marker(run_dir, {"kind": "run"}, ABOUT)
    (root / "reports" / stamp / STAMP_LOCK).touch()  # left by an invocation that did not finish cleanly
    return run_dir


def test_a_marker_without_record_and_without_a_live_invocation_is_lost(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    started(root, "2026-01-01T000000Z")
    (lost,) = find_lost(load_workspace(root))
    assert lost.run_dir == "reports/2026-01-01T000000Z/H-A/L=2/a-seed1"
    assert (lost.hypothesis, lost.arm, lost.point, lost.seed, lost.cache_key) == ("H-A", "a", {"L": 2}, 1, "k")
    assert lost.pid is not None and lost.host


def test_a_recorded_run_and_a_run_in_progress_are_not_lost(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    done = started(root, "2026-01-01T000000Z")
    (done / "run.json").write_text("{}")  # superseded: a crash between writing the record and the cleanup
    started(root, "2026-01-02T000000Z")
    holder = FileLock(root / "reports" / "2026-01-02T000000Z" / STAMP_LOCK)
    assert holder.try_acquire()
    try:
        assert is_locked(holder.path) and find_lost(load_workspace(root)) == []
    finally:
        holder.release()
    assert not is_locked(holder.path)
    assert [r.run_dir.split("/")[1] for r in find_lost(load_workspace(root))] == ["2026-01-02T000000Z"]


def test_a_cut_short_marker_still_counts(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    run_dir = started(root, "2026-01-01T000000Z")
    (run_dir / MARKER).write_text('{"hypoth')
    (lost,) = find_lost(load_workspace(root))
    assert lost.hypothesis == "H-A" and lost.pid is None


def test_stamps_that_ended_cleanly_are_not_searched(make_ws) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    started(root, "2026-01-01T000000Z")
    (root / "reports" / "2026-01-01T000000Z" / STAMP_LOCK).unlink()
    assert find_lost(load_workspace(root)) == []


def test_no_reports_no_lost_runs(make_ws) -> None:
    assert find_lost(load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))) == []


def test_runs_of_a_live_invocation_are_in_flight_with_where_they_run(make_ws, capsys) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    stamp = "2026-01-01T000000Z"
    started(root, stamp, "local-seed1")
    on_node = started(root, stamp, "node-seed1")
    queued = started(root, stamp, "queued-seed1")
    for run_dir in (on_node, queued):  # written by the runner for runs it hands to Dask
        write_marker(run_dir, {"kind": "run"}, {**ABOUT, "executor": "dask"})
    (on_node / WORKER).write_text(json.dumps({"host": "node-a"}))  # picked up by a worker
    ws = load_workspace(root)
    assert find_in_flight(ws) == [] and in_flight_line(ws) is None  # nobody holds the stamp: lost, not in flight
    holder = FileLock(root / "reports" / stamp / STAMP_LOCK)
    assert holder.try_acquire()
    try:
        hosts = {Path(r.run_dir).name: r.host for r in find_in_flight(ws)}
        assert hosts == {"local-seed1": socket.gethostname(), "node-seed1": "node-a", "queued-seed1": None}
        here = socket.gethostname()
        expected = ", ".join(sorted([f"1 on {here}", "1 on node-a", "1 queued"], key=lambda s: s.split()[-1]))
        assert in_flight_line(ws) == f"in flight: 3 runs ({expected})"
        assert main(["--workspace", str(root), "status"]) == 0
        assert f"in flight: 3 runs ({expected})" in capsys.readouterr().out
    finally:
        holder.release()


def test_a_key_lock_passes_a_note_to_the_next_holder(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "k.lock"), FileLock(tmp_path / "k.lock")
    assert first.try_acquire() and not second.try_acquire()
    first.write("reports/x/H-A/all/default-seed0")
    first.release()
    assert second.try_acquire() and second.read() == "reports/x/H-A/all/default-seed0"
    second.release()
