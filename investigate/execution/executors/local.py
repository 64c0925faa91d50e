"""Run jobs as subprocesses of this process, each the leader of its own process group.

No threads: ``poll`` is called by the runner's loop and checks every process itself, so no helper
can die and leave the loop waiting. A process is reaped only after its group has been SIGKILLed:
until it is reaped its pid (which is the group id) cannot be reused, so the kill never hits a
stranger, and a grandchild that ignores SIGTERM does not outlive its run.

The reaping is a ``wait4``, whose resource usage is the run's: its guard's and everything the
guard waited for (a command's process included), so each outcome carries the run's CPU time and a
peak memory (which, after fork + exec, also counts this process' size before the exec: the record
prefers the guard's own measure, ``execution.usage``). Grandchildren nobody waited for (killed
with the group) are not counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from investigate.execution.executors.base import Job, Outcome, OutcomeKind
from investigate.execution.procguard import PARENT_ENV

TERM_GRACE_S = 2.0  # for the run's handler to kill what it started; then the group is SIGKILLed


@dataclass
class _Active:
    job: Job
    proc: subprocess.Popen[bytes]
    t0: float


class LocalExecutor:
    name = "local"

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._active: dict[int, _Active] = {}
        self._done: list[Outcome] = []

    def expect(self, n_jobs: int) -> None:
        """Nothing to size: a process starts per job."""

    def free_slots(self) -> int:
        return max(self.slots - len(self._active), 0)

    def running(self) -> list[int]:
        return [*self._active, *(o.job_id for o in self._done)]

    def submit(self, job: Job) -> None:
        t0 = time.monotonic()
        try:
            with open(job.log_path, "wb") as log:
                proc = subprocess.Popen(
                    job.argv,
                    cwd=job.cwd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**job.env, PARENT_ENV: str(os.getpid())},
                    start_new_session=True,  # its own group: Ctrl-C in the terminal does not reach it
                )
        except OSError as exc:
            self._done.append(Outcome(job.id, "failed", 0.0, detail=f"could not start: {exc}"))
            return
        self._active[job.id] = _Active(job, proc, t0)

    def poll(self) -> list[Outcome]:
        for job_id, active in list(self._active.items()):
            if _has_exited(active.proc):
                self._finish(job_id, "exited")
            elif time.monotonic() - active.t0 > active.job.timeout_s:
                self._finish(job_id, "timeout")
        done, self._done = self._done, []
        return done

    def cancel(self, job_id: int) -> None:
        if job_id in self._active:
            self._finish(job_id, "cancelled")

    def close(self) -> None:
        for job_id in list(self._active):
            self._finish(job_id, "cancelled")
        self._done.clear()

    def _finish(self, job_id: int, kind: OutcomeKind) -> None:
        active = self._active.pop(job_id)
        usage = kill_group(active.proc)
        duration = time.monotonic() - active.t0
        peak, cpu = _usage(usage)
        self._done.append(
            Outcome(job_id, kind, duration, returncode=active.proc.returncode, peak_rss_mb=peak, cpu_s=cpu)
        )


def kill_group(proc: subprocess.Popen[bytes]) -> object | None:
    """Stop a run still going (SIGTERM first), SIGKILL what is left of its group, then reap it;
    returns its resource usage (``wait4``), if known.

    The run's SIGTERM handler (``procguard``) kills its descendants, daemons that left the group
    and were adopted by it included; a bare SIGKILL of the group would orphan those to PID 1.
    """
    if not _has_exited(proc):
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + TERM_GRACE_S
        while not _has_exited(proc) and time.monotonic() < deadline:
            time.sleep(0.01)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.returncode is not None or not hasattr(os, "wait4"):
        proc.wait()
        return None
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped elsewhere already
        proc.wait()
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def _usage(usage: object | None) -> tuple[float | None, float | None]:
    if usage is None:
        return None, None
    maxrss = float(getattr(usage, "ru_maxrss", 0))
    # Linux reports KiB, macOS bytes
    peak = maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    cpu = float(getattr(usage, "ru_utime", 0.0)) + float(getattr(usage, "ru_stime", 0.0))
    return round(peak, 1), round(cpu, 3)


def _has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the run has ended, without reaping it (WNOWAIT keeps the zombie, and so its pid)."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: reap now, kill the group right after
        return proc.poll() is not None
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None
