"""The local executor: outcomes for exit, timeout, cancel and a failed start; no process outlives its job."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from investigate.execution.executors.base import Job, Outcome
from investigate.execution.executors.local import LocalExecutor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

STUBBORN = """
import signal, subprocess, sys
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
child = subprocess.Popen([sys.executable, "-c", code])
open(sys.argv[1], "w").write(str(child.pid))
"""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper that may never come in a container."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_dead(pid: int, within_s: float = 15.0) -> bool:
    deadline = time.monotonic() + within_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def job(tmp_path: Path, code: str, *args: str, timeout_s: float = 30.0, job_id: int = 1) -> Job:
    argv = [sys.executable, "-c", code, *args]
    return Job(job_id, argv, tmp_path, dict(os.environ), tmp_path / f"log{job_id}.txt", timeout_s)


def outcomes(executor: LocalExecutor, count: int = 1) -> list[Outcome]:
    got: list[Outcome] = []
    deadline = time.monotonic() + 30
    while len(got) < count and time.monotonic() < deadline:
        got += executor.poll()
        time.sleep(0.02)
    return got


def test_exit_code_and_log(tmp_path: Path) -> None:
    ex = LocalExecutor(2)
    ex.submit(job(tmp_path, "import sys; print('hello'); sys.exit(3)"))
    assert ex.free_slots() == 1
    (out,) = outcomes(ex)
    assert (out.kind, out.returncode) == ("exited", 3)
    assert (tmp_path / "log1.txt").read_text() == "hello\n"
    assert ex.free_slots() == 2 and ex.running() == []


def test_timeout_and_cancel(tmp_path: Path) -> None:
    ex = LocalExecutor(2)
    ex.submit(job(tmp_path, "import time; time.sleep(60)", timeout_s=0.3, job_id=1))
    ex.submit(job(tmp_path, "import time; time.sleep(60)", job_id=2))
    ex.cancel(2)
    got = {o.job_id: o.kind for o in outcomes(ex, 2)}
    assert got == {1: "timeout", 2: "cancelled"}


def test_a_job_that_cannot_start_fails_without_raising(tmp_path: Path) -> None:
    ex = LocalExecutor(1)
    ex.submit(Job(7, [str(tmp_path / "no-such-program")], tmp_path, {}, tmp_path / "log.txt", 5))
    (out,) = ex.poll()
    assert out.kind == "failed" and "could not start" in (out.detail or "")


def test_what_a_job_left_running_is_killed_when_it_exits(tmp_path: Path) -> None:
    # The grandchild ignores SIGTERM and would sleep a minute: the group's SIGKILL ends it.
    pid_file = tmp_path / "grandchild.pid"
    ex = LocalExecutor(1)
    ex.submit(job(tmp_path, STUBBORN, str(pid_file)))
    (out,) = outcomes(ex)
    assert out.kind == "exited" and out.returncode == 0
    assert wait_dead(int(pid_file.read_text()))


def test_close_kills_everything(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    ex = LocalExecutor(1)
    ex.submit(job(tmp_path, "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)",
                  str(pid_file)))  # fmt: skip
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    ex.close()
    assert not alive(int(pid_file.read_text())) and ex.poll() == []
