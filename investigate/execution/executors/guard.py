"""A run on another machine: the local process guard, driven from inside a task on that machine.

A task of a cluster scheduler (Dask) has no timeout and cannot be stopped while it runs, so the
task does not run the experiment itself. It starts the run's own process,
``python -c BOOT <marker>`` in a process group of its own, through a one-slot ``LocalExecutor``,
and watches it: the timeout, the group kill and the outcome kinds are exactly the local ones, and
a stop request (``stopped``) kills the group like Ctrl-C does locally.

The run's settings are applied here as locally: ``cwd`` (a path on the shared file system),
``experiment.env`` over this worker's environment (``base.child_env``), and ``experiment.python``
when this worker has that interpreter and it is the one the cache key was computed with (same
version, same installed distributions); otherwise the run is refused with the reason, so a record
never claims an interpreter that did not run it.

The run dir lies on a file system the client shares. The task leaves two files in it:
``_worker.json`` before the run starts (the machine, so ``investigate status`` says where it
runs, and so a second attempt after the worker died refuses to run over the first one's files)
and ``_outcome.json`` when it ends (so a run that finishes after its ``investigate`` process died
is recorded by the next invocation, see ``recover``). No dask import here: this module is the
part that runs on a worker, and it can be tested without a cluster.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.execution.executors.base import Job, Outcome, child_env
from investigate.execution.executors.local import LocalExecutor
from investigate.execution.logtail import tail
from investigate.plan.interpreter import probe
from investigate.plan.provenance import package_versions, utc_now
from investigate.store.lost import OUTCOME, WORKER

POLL_S = 0.02
VISIBLE_WAIT_S = 10.0  # for a marker the client just wrote to reach this worker's view of the file system


@dataclass(frozen=True)
class RemoteJob:
    """A ``Job`` as it travels to a worker: no interpreter path and no environment of the client's."""

    job_id: int
    args: list[str]  # after the interpreter: ["-c", BOOT, MARKER]
    cwd: str
    log_path: str
    timeout_s: float
    versions: dict[str, str]  # the client's package versions, which its cache keys assume
    python: str | None = None  # experiment.python (None: this worker's interpreter)
    env: dict[str, str] = field(default_factory=dict)  # experiment.env, filled
    interpreter: tuple[str, str] | None = None  # (version, packages digest) of ``python`` the key assumed

    @classmethod
    def of(cls, job: Job, versions: dict[str, str]) -> RemoteJob:
        return cls(
            job.id, job.argv[1:], str(job.cwd), str(job.log_path), job.timeout_s, versions,
            python=job.python, env=dict(job.extra_env), interpreter=job.interpreter,
        )  # fmt: skip

    @property
    def run_dir(self) -> Path:
        return Path(self.log_path).parent


def run_guarded(job: RemoteJob, stopped: Callable[[], bool]) -> dict[str, Any]:
    """Run ``job`` under the local guard until it ends, times out, or ``stopped()`` turns true.

    Returns the ``Outcome`` as a plain dict (``Outcome(**it)`` rebuilds it), also written to ``_outcome.json``.
    The worker's own interpreter (or ``job.python``) and environment run it (``CUDA_VISIBLE_DEVICES``
    of a GPU worker included), with ``experiment.env`` over it, as ``launch.child_job`` does locally.
    """
    host = socket.gethostname()
    refusal = _refusal(job, host)
    if refusal is not None:
        return asdict(Outcome(job.job_id, "failed", 0.0, detail=refusal, host=host))
    started_at = utc_now()
    _write(job.run_dir / WORKER, {"host": host, "pid": os.getpid(), "started_at": started_at})
    if stopped():  # checked after the file above, so a stop sent before it is never missed
        return asdict(Outcome(job.job_id, "cancelled", 0.0, host=host))
    local = LocalExecutor(1)
    argv = [job.python or sys.executable, *job.args]
    env = child_env(os.environ, job.env)
    try:
        local.submit(Job(job.job_id, argv, Path(job.cwd), env, Path(job.log_path), job.timeout_s))
        while not (done := local.poll()):
            if stopped():
                local.cancel(job.job_id)  # kills the group now; the next poll reports it cancelled
            else:
                time.sleep(POLL_S)
    finally:
        local.close()  # a guard that fails in between still leaves no process behind
    result = asdict(replace(done[0], host=host, started_at=started_at))
    _write(job.run_dir / OUTCOME, result)
    return result


def _refusal(job: RemoteJob, host: str) -> str | None:
    """Why this worker must not run ``job``, if it must not."""
    mine = package_versions()
    differ = sorted(k for k in {*mine, *job.versions} if mine.get(k) != job.versions.get(k))
    if differ:
        shown = ", ".join(f"{k} {mine.get(k, 'absent')} (planned with {job.versions.get(k, 'absent')})" for k in differ)
        return f"worker {host} has other versions than this invocation, so the cache key would be wrong: {shown}"
    if job.python is not None:
        wrong = _interpreter_refusal(job, host)
        if wrong is not None:
            return wrong
    marker = Path(job.args[-1])
    if not _appears(marker, VISIBLE_WAIT_S):
        return (
            f"{marker} is not visible on worker {host}: the workspace must be on a file system "
            "that every worker shares, at the same path"
        )
    earlier = job.run_dir / WORKER
    if earlier.exists():  # the scheduler re-sent the task because the worker running it died
        try:
            who = json.loads(earlier.read_text()).get("host", "?")
        except (OSError, ValueError, AttributeError):
            who = "?"
        return (
            f"the worker running it (on {who}) died mid-run; it is not run again over the files it left\n"
            f"{tail(Path(job.log_path))}"
        )
    return None


_probed: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, str] | str] = {}  # per worker process


def _interpreter_refusal(job: RemoteJob, host: str) -> str | None:
    """Why ``job.python`` cannot run ``job`` here: missing, broken, or another one than planned."""
    assert job.python is not None
    memo = (job.python, tuple(sorted(job.env.items())))
    if memo not in _probed:
        try:
            found = probe(job.python, {**os.environ, **job.env}, child=True)
            _probed[memo] = (str(found["version"]), str(found["packages"]))
        except InvestigateError as exc:
            _probed[memo] = str(exc)
    here = _probed[memo]
    if isinstance(here, str):
        return f"worker {host} cannot run {here}"
    if job.interpreter is not None and here != job.interpreter:
        what = "version" if here[0] != job.interpreter[0] else "installed packages"
        return (
            f"worker {host}: experiment.python {job.python} is Python {here[0]} with other {what} than the "
            f"interpreter this invocation planned with (Python {job.interpreter[0]}): the cache key would be wrong"
        )
    return None


def _appears(path: Path, wait_s: float) -> bool:
    """Whether ``path`` is (or within ``wait_s`` becomes) a file here: NFS caches lookups for seconds."""
    deadline = time.monotonic() + wait_s
    while not path.is_file():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)
    return True


def _write(path: Path, data: dict[str, Any]) -> None:
    """Whole or absent (a temp file renamed), but not fsynced: these files matter while the machines
    are up (the client died, not the node), and a sync per run would slow short runs down."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
