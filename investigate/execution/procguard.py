"""Inside a run's process: die with the ``investigate`` process that started it, and take the group along.

A run is the leader of its own process group. When its parent dies (``kill -9`` included), Linux
sends it SIGTERM (``PR_SET_PDEATHSIG``), whose handler SIGKILLs the whole group, so grandchildren
go too. Where prctl does not exist (macOS), a watchdog thread polls the parent pid instead; it is
not started on Linux, where importing ``threading`` alone would add to every run's start-up.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from types import FrameType

PARENT_ENV = "INVESTIGATE_PARENT_PID"  # set by the executor that spawns the run
PR_SET_PDEATHSIG = 1
WATCH_S = 0.25


def die_with_parent() -> None:
    expected = int(os.environ.get(PARENT_ENV) or 0) or os.getppid()
    signal.signal(signal.SIGTERM, _on_sigterm)
    watched_by_kernel = _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != expected:  # the parent died before prctl took effect
        kill_own_group()
    if not watched_by_kernel:
        import threading

        threading.Thread(target=_watch, args=(expected,), name="parent-watchdog", daemon=True).start()


def kill_own_group() -> None:
    """SIGKILL this process and, when it leads its group, everything it spawned."""
    sys.stdout.flush()
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
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
