"""What a run's process is: the spec its marker holds, and the executor ``Job`` that starts it.

The process is the guard (``investigate.execution.child``, started by ``base.BOOT``) that dies with
this process and calls the experiment or the command. Its interpreter is this one, or
``experiment.python`` for a ``run:`` entry; ``experiment.env`` adds variables; ``experiment.cwd: run``
starts it in its run directory.

The import path is the user's: the guard loads ``investigate`` by file location (``base.BOOT``), so
nothing of this installation is put on ``PYTHONPATH``, and a command or a Python experiment sees
the ``PYTHONPATH`` this process was started with (or the one ``env`` sets), the workspace root
first for a ``run:`` entry.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from investigate.execution.executors.base import Job, child_argv, child_env
from investigate.execution.recording import LOG
from investigate.plan.commandline import command_env, interpreter
from investigate.plan.expand import PlannedRun, format_command


def run_cwd(run: PlannedRun, run_dir: Path, root: Path) -> Path:
    return run_dir if run.runtime.get("cwd") == "run" else root


def child_spec(run: PlannedRun, run_dir: Path, root: Path) -> dict[str, Any]:
    """The marker's ``spec``: everything ``_child`` needs, and nothing secret (no inherited environment)."""
    spec: dict[str, Any] = {
        "kind": run.kind, "entry": run.entry, "params": run.params, "seed": run.seed,
        "run_dir": str(run_dir), "root": str(root),
    }  # fmt: skip
    if run.kind == "command":
        spec["argv"] = format_command(run, run_dir, root)
        spec["cwd"] = str(run_cwd(run, run_dir, root))
    return spec


def child_job(job_id: int, run: PlannedRun, run_dir: Path, marker: Path, root: Path) -> Job:
    """The job that runs ``run``: built from this process's environment, as a worker builds it from its own."""
    cwd = run_cwd(run, run_dir, root)
    python = interpreter(run, root) if run.kind == "run" else None
    extra = command_env(run, run_dir, root)
    described = (run.key_parts.get("runtime") or {}).get("interpreter") if python is not None else None
    return Job(
        job_id, child_argv(python, marker), cwd, child_env(os.environ, extra), run_dir / LOG, run.timeout_s,
        python=python, extra_env=tuple(extra.items()),
        interpreter=(str(described["version"]), str(described["packages"])) if described else None,
    )  # fmt: skip
