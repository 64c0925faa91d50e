"""The executor interface: the runner submits jobs, polls for outcomes, and cancels on Ctrl-C.

Everything an executor needs is in the ``Job``: a command line, where to run it, where its output
goes, and its time limit. A job's process is ``python -c BOOT <marker>`` (``child_argv``), so it reads its spec from the
run directory, and an executor on other machines needs that directory on a shared file system and
nothing else from this process.

How the guard finds ``investigate`` without touching the user's import path: ``BOOT`` imports the
package by file location from ``INVESTIGATE_PACKAGE`` (the directory of the ``investigate`` of the
machine that starts the process, set by ``child_env``), removes that variable, and drops the
``''`` entry ``-c`` puts first on ``sys.path``. So the run's ``sys.path`` is the workspace root
(added by the guard), then the user's ``PYTHONPATH``, then the interpreter's own site-packages:
nothing of investigate's checkout, which holds a ``ptycho`` package of its own. (Alternatives:
``-m investigate...`` with investigate's parent on ``PYTHONPATH`` shadows the user's packages with
the checkout's; a script file puts its own directory, full of modules with common names such as
``context``, first on the path; ``-P`` needs Python 3.11.)
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import investigate

# exited: the process ended by itself (its return code says how); timeout / cancelled: stopped by
# the executor; failed: it never started (the detail says why).
OutcomeKind = Literal["exited", "timeout", "cancelled", "failed"]

PACKAGE_ENV = "INVESTIGATE_PACKAGE"
# sys.argv = ["-c", MARKER]; stays on one line so a process listing shows what runs.
BOOT = (
    "import importlib.util, os, sys; sys.path[:1] = [] if sys.path[:1] == [''] else sys.path[:1]; "
    f"d = os.environ.pop('{PACKAGE_ENV}'); "
    "s = importlib.util.spec_from_file_location('investigate', os.path.join(d, '__init__.py'), "
    "submodule_search_locations=[d]); "
    "m = importlib.util.module_from_spec(s); sys.modules['investigate'] = m; s.loader.exec_module(m); "
    "from investigate.execution.child import main; sys.exit(main(sys.argv[1]))"
)


@dataclass(frozen=True)
class Job:
    id: int
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path  # stdout and stderr, together
    timeout_s: float
    # What another machine needs to build argv and env the same way (``executors.guard``):
    python: str | None = None  # experiment.python of a run: entry (None: the guard's own interpreter)
    extra_env: tuple[tuple[str, str], ...] = ()  # experiment.env, filled
    interpreter: tuple[str, str] | None = None  # (version, packages digest) the cache key assumed


@dataclass(frozen=True)
class Outcome:
    job_id: int
    kind: OutcomeKind
    duration_s: float
    returncode: int | None = None
    detail: str | None = None
    host: str | None = None  # the machine it ran on, when the executor knows (a Dask worker); else this one
    started_at: str | None = None  # when its process started there (UTC), if later than the submission
    peak_rss_mb: float | None = None  # the largest resident memory of its processes (those waited for)
    cpu_s: float | None = None  # their user + system CPU time


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


def child_argv(python: str | None, marker: Path | str) -> list[str]:
    """The guard's command line: ``python`` (default: this interpreter) running ``BOOT``."""
    return [python or sys.executable, "-c", BOOT, str(marker)]


def child_env(base: Mapping[str, str], extra: Mapping[str, str] = {}) -> dict[str, str]:
    """``base`` with ``experiment.env`` (``extra``) over it, as the user's code sees it, plus what the
    guard needs: where this very ``investigate`` is (installed or not; ``BOOT`` removes it) and
    unbuffered output so the log is current when the run is killed. ``PYTHONPATH`` is left as the
    user has it."""
    env = {**base, **extra}
    env[PACKAGE_ENV] = str(Path(investigate.__file__).resolve().parent)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
