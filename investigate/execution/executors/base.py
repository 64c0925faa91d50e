"""The executor interface: the runner submits jobs, polls for outcomes, and cancels on Ctrl-C.

Everything an executor needs is in the ``Job``: a command line, where to run it, where its output
goes, and its time limit. A job's process is ``python -m investigate.execution.child <marker>``, so it reads
its spec from the run directory, and an executor on other machines needs that directory on a shared
file system and nothing else from this process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import investigate

# exited: the process ended by itself (its return code says how); timeout / cancelled: stopped by
# the executor; failed: it never started (the detail says why).
OutcomeKind = Literal["exited", "timeout", "cancelled", "failed"]


@dataclass(frozen=True)
class Job:
    id: int
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path  # stdout and stderr, together
    timeout_s: float


@dataclass(frozen=True)
class Outcome:
    job_id: int
    kind: OutcomeKind
    duration_s: float
    returncode: int | None = None
    detail: str | None = None
    host: str | None = None  # the machine it ran on, when the executor knows (a Dask worker); else this one
    started_at: str | None = None  # when its process started there (UTC), if later than the submission


class Executor(Protocol):
    def expect(self, n_jobs: int) -> None:
        """How many jobs this invocation will submit at most (known before the first ``submit``)."""

    def free_slots(self) -> int:
        """How many more jobs ``submit`` takes now without queueing."""

    def submit(self, job: Job) -> None:
        """Start ``job``; a job that cannot start comes back from ``poll`` as ``failed``."""

    def poll(self) -> list[Outcome]:
        """The outcomes of jobs that ended since the last call, without blocking."""

    def cancel(self, job_id: int) -> None:
        """Stop a job; its ``cancelled`` outcome comes back from the next ``poll``."""

    def running(self) -> list[int]:
        """The ids of jobs submitted and not yet returned by ``poll``."""

    def close(self) -> None:
        """Stop every job still running and release resources; outcomes are not reported."""


def child_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus what a run's process needs: this very ``investigate`` importable, installed or
    not (``PYTHONPATH`` first), and unbuffered output so the log is current when the run is killed."""
    env = dict(base)
    here = str(Path(investigate.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
