"""The guard a remote task runs: the local guard's outcomes, its two files, and the runs it refuses.

No cluster needed: ``run_guarded`` takes the stop request as a function.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from investigate.execution.executors.guard import RemoteJob, run_guarded
from investigate.plan.provenance import package_versions
from investigate.store.lost import OUTCOME, WORKER
from tests.execution.executors.test_local import STUBBORN, wait_dead

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def remote(run_dir: Path, code: str, *, timeout_s: float = 30.0, versions: dict[str, str] | None = None) -> RemoteJob:
    """A job whose last argument, like a run's start marker, is a file in its run dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    marker = run_dir / "_started.json"
    marker.write_text("{}")
    args = ["-c", code, str(marker)]
    return RemoteJob(1, args, str(run_dir), str(run_dir / "log.txt"), timeout_s, versions or package_versions())


def never() -> bool:
    return False


def test_an_ended_run_leaves_its_outcome_and_where_it_ran(tmp_path: Path) -> None:
    job = remote(tmp_path / "run", "import sys; print('hello'); sys.exit(3)")
    result = run_guarded(job, never)
    assert (result["kind"], result["returncode"], result["host"]) == ("exited", 3, socket.gethostname())
    assert json.loads((job.run_dir / OUTCOME).read_text()) == result
    assert json.loads((job.run_dir / WORKER).read_text())["host"] == socket.gethostname()
    assert (job.run_dir / "log.txt").read_text() == "hello\n"


def test_the_timeout_is_the_guards(tmp_path: Path) -> None:
    result = run_guarded(remote(tmp_path / "run", "import time; time.sleep(60)", timeout_s=0.3), never)
    assert result["kind"] == "timeout" and 0.3 <= result["duration_s"] < 30


def test_a_stop_request_kills_the_whole_group(tmp_path: Path) -> None:
    # STUBBORN starts a grandchild that ignores SIGTERM and writes its pid over its first argument (the marker)
    job = remote(tmp_path / "run", STUBBORN + "import time; time.sleep(60)\n")
    marker = Path(job.args[-1])
    stop = threading.Event()
    results: list[dict] = []
    guard = threading.Thread(target=lambda: results.append(run_guarded(job, stop.is_set)))
    guard.start()
    deadline = time.monotonic() + 30
    while not marker.read_text().isdigit() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    guard.join(30)
    assert results[0]["kind"] == "cancelled"
    assert wait_dead(int(marker.read_text()))


def test_a_stop_before_the_start_starts_nothing(tmp_path: Path) -> None:
    job = remote(tmp_path / "run", "open('started', 'w')")
    result = run_guarded(job, lambda: True)
    assert result["kind"] == "cancelled" and not (job.run_dir / "started").exists()


def test_other_versions_on_the_worker_are_refused(tmp_path: Path) -> None:
    versions = {**package_versions(), "numpy": "0.0.1"}
    result = run_guarded(remote(tmp_path / "run", "open('started', 'w')", versions=versions), never)
    assert result["kind"] == "failed" and "numpy" in result["detail"] and "planned with 0.0.1" in result["detail"]
    assert not (tmp_path / "run" / "started").exists()


def test_a_workspace_the_worker_cannot_see_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("investigate.execution.executors.guard.VISIBLE_WAIT_S", 0.3)
    job = remote(tmp_path / "run", "pass")
    Path(job.args[-1]).unlink()
    result = run_guarded(job, never)
    assert result["kind"] == "failed" and "file system that every worker shares" in result["detail"]


def test_a_second_attempt_after_a_worker_died_is_refused_with_the_first_ones_log(tmp_path: Path) -> None:
    job = remote(tmp_path / "run", "open('started', 'w')")
    (job.run_dir / WORKER).write_text(json.dumps({"host": "node-7"}))
    (job.run_dir / "log.txt").write_text("epoch 3 of 10\n")
    result = run_guarded(job, never)
    assert result["kind"] == "failed"
    assert "on node-7) died mid-run" in result["detail"] and "epoch 3 of 10" in result["detail"]
