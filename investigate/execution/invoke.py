"""Execute planned runs the way ``investigate run`` does: first record what a dead invocation left
finished, then open the chosen executor and let one ``Runner`` work through the runs.

The CLI, the Python API and the MCP server all call ``execute``; only what they print differs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from investigate.execution.executors.choose import opened
from investigate.execution.recover import record_finished
from investigate.execution.runner import Runner, RunSummary

if TYPE_CHECKING:
    from investigate.plan.expand import PlannedRun
    from investigate.workspace.load import Workspace


def execute(
    ws: Workspace,
    runs: list[PlannedRun],
    argv: list[str],
    *,
    jobs: int = 1,
    force: bool = False,
    executor: str | None = None,
    scheduler: str | None = None,
    recover: bool = True,
) -> RunSummary:
    """Run ``runs`` (cache hits reused); ``argv`` is recorded as the command in each run's provenance.

    ``recover=False``: the caller has already called ``record_finished`` (the CLI, to say so first).
    """
    if recover:
        record_finished(ws)
    choice = argparse.Namespace(executor=executor, scheduler=scheduler, jobs=jobs)
    with opened(ws, choice) as make_executor:
        return Runner(ws, argv, jobs=jobs, force=force, executor=make_executor()).run_all(runs)
