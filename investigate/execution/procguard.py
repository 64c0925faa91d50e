"""Inside a run's process: die with the ``investigate`` process that started it, and take the group along.

A run is the leader of its own process group. When its parent dies (``kill -9`` included), Linux
sends it SIGTERM (``PR_SET_PDEATHSIG``), whose handler SIGKILLs the whole group, so grandchildren
go too. Where prctl does not exist (macOS), a watchdog thread polls the parent pid instead; it is
not started on Linux, where importing ``threading`` alone would add to every run's start-up.

A process can leave the group: a daemon that forks twice and calls ``setsid`` is in a session of
its own, and once its first parent exits, PID 1 adopted it and it outlived its run. So the run's
process is also a child subreaper (``PR_SET_CHILD_SUBREAPER``, Linux): orphans of anything it
started are re-parented to it instead, and ``kill_descendants`` finds every one by parent pid
(``/proc``) and kills it, when the experiment or command has finished and when the run is stopped
(SIGTERM, or its parent's death). Without prctl there is no subreaper; the group kill remains.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from types import FrameType

PARENT_ENV = "INVESTIGATE_PARENT_PID"  # set by the executor that spawns the run
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
WATCH_S = 0.25
KILL_ROUNDS = 20  # a descendant may fork while it is being killed: look again, a bounded number of times


def die_with_parent() -> None:
    expected = int(os.environ.get(PARENT_ENV) or 0) or os.getppid()
    signal.signal(signal.SIGTERM, _on_sigterm)
    watched_by_kernel = _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != expected:  # the parent died before prctl took effect
        kill_own_group()
    if not watched_by_kernel:
        import threading

        threading.Thread(target=_watch, args=(expected,), name="parent-watchdog", daemon=True).start()


def become_subreaper() -> bool:
    """Make orphaned descendants this process's children (Linux), so ``kill_descendants`` reaches them."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def kill_descendants() -> int:
    """SIGKILL every process below this one, daemons in other sessions included; reap them. How many."""
    me, killed = os.getpid(), 0
    for _ in range(KILL_ROUNDS):
        below = _descendants(me)
        if not below:
            break
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        _reap_children()
    return killed


def _descendants(root: int) -> list[int]:
    parents = _parent_pids()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process /proc shows (empty where there is no /proc)."""
    out: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # it exited meanwhile
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()  # the command name may hold spaces and ')'
        if len(fields) > 1 and fields[0] != b"Z":
            out[int(name)] = int(fields[1])
    return out


def _reap_children(wait_s: float = 2.0) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:  # killed, not yet exited: SIGKILL takes effect within moments
            if not _descendants(os.getpid()):
                return
            time.sleep(0.01)


def kill_own_group() -> None:
    """SIGKILL what this process started (its descendants, its group), then this process."""
    sys.stdout.flush()
    kill_descendants()
    if os.getpgrp() == os.getpid():  # never the group of someone else (a Dask worker, a shell)
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    kill_own_group()


def _watch(expected: int) -> None:
    while True:
        time.sleep(WATCH_S)
        if os.getppid() != expected:
            kill_own_group()


def _set_parent_death_signal(signum: int) -> bool:
    return _prctl(PR_SET_PDEATHSIG, int(signum))


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
