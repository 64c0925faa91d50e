"""What a run's process is: the spec its marker holds, and the executor ``Job`` that starts it.

The process is ``investigate.execution.child`` (the guard that dies with this process and calls the
experiment or the command). Its interpreter is this one, or ``experiment.python`` for a ``run:``
entry; ``experiment.env`` adds variables; ``experiment.cwd: run`` starts it in its run directory.

``PYTHONPATH``: the guard must import ``investigate``, so this process puts the directory above the
package first on the guard's path. That directory may be a whole ``site-packages``, which must not
leak into another interpreter or into the user's command: a command gets the ``PYTHONPATH`` this
process was started with (or the one ``env`` sets), and another interpreter loads the package from
its directory alone (``BOOT``) with no path added.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import investigate
from investigate.execution.executors.base import Job
from investigate.execution.recording import LOG
from investigate.plan.commandline import command_env, interpreter
from investigate.plan.expand import PlannedRun, format_command

PACKAGE_DIR = os.path.dirname(os.path.abspath(investigate.__file__))
# Import investigate from its own directory only: sys.argv = ["-c", PACKAGE_DIR, MARKER].
BOOT = (
    "import importlib.util, sys; d = sys.argv[1]; "
    "s = importlib.util.spec_from_file_location('investigate', d + '/__init__.py', submodule_search_locations=[d]); "
    "m = importlib.util.module_from_spec(s); sys.modules['investigate'] = m; s.loader.exec_module(m); "
    "from investigate.execution.child import main; sys.exit(main(sys.argv[2]))"
)


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
        spec["pythonpath"] = _user_pythonpath(run, run_dir, root)
    return spec


def child_job(job_id: int, run: PlannedRun, run_dir: Path, marker: Path, root: Path, base_env: dict[str, str]) -> Job:
    """``base_env``: this process's environment with investigate's directory first on PYTHONPATH."""
    cwd = run_cwd(run, run_dir, root)
    python = interpreter(run, root) if run.kind == "run" else None
    if python is None:
        argv = [sys.executable, "-m", "investigate.execution.child", str(marker)]
    else:
        argv = [python, "-c", BOOT, PACKAGE_DIR, str(marker)]
    return Job(job_id, argv, cwd, job_env(run, run_dir, root, base_env), run_dir / LOG, run.timeout_s)


def job_env(run: PlannedRun, run_dir: Path, root: Path, base_env: dict[str, str]) -> dict[str, str]:
    extra = command_env(run, run_dir, root)
    env = {**base_env, **extra}
    if run.kind == "run" and run.runtime.get("python"):  # BOOT finds the package: keep the user's path
        _set_path(env, _user_pythonpath(run, run_dir, root))
    elif "PYTHONPATH" in extra:  # the guard still needs investigate first
        _set_path(env, os.pathsep.join(p for p in (_ours(base_env), extra["PYTHONPATH"]) if p))
    return env


def _user_pythonpath(run: PlannedRun, run_dir: Path, root: Path) -> str | None:
    """What the user's code should see: ``env: {PYTHONPATH: ...}``, else this process's own."""
    extra = command_env(run, run_dir, root)
    return extra["PYTHONPATH"] if "PYTHONPATH" in extra else os.environ.get("PYTHONPATH")


def _ours(base_env: dict[str, str]) -> str:
    return str(Path(PACKAGE_DIR).parent) if "PYTHONPATH" in base_env else ""


def _set_path(env: dict[str, str], value: str | None) -> None:
    if value:
        env["PYTHONPATH"] = value
    else:
        env.pop("PYTHONPATH", None)
