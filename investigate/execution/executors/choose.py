"""Which executor a command uses: ``--executor local|dask`` and ``--scheduler``, else the workspace's
``[tool.investigate]`` keys ``executor``, ``scheduler`` and ``resources``, else local.

A command opens its executors once (``opened``) and makes one per ``Runner`` from it, so an
``isolate`` search that runs round after round keeps one cluster, started only when a run is
about to execute (a command whose runs are all cached starts none).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.workspace.load import Workspace

if TYPE_CHECKING:
    from investigate.execution.executors.base import Executor

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class Choice:
    kind: str = "local"
    scheduler: str | None = None  # dask: an address or a scheduler file; None starts a LocalCluster
    resources: dict[str, float] = field(default_factory=dict)  # dask: what one run takes of a worker's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor", choices=EXECUTORS, help="where runs execute (default: [tool.investigate] executor, else local)"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask: the scheduler of an existing cluster (tcp://host:8786, or a scheduler file *.json); "
        "without it, a local cluster of --jobs workers",
    )


def choose(ws: Workspace, executor: str | None, scheduler: str | None) -> Choice:
    settings = ws.settings
    kind = executor or settings.get("executor", "local")
    if kind not in EXECUTORS:
        raise InvestigateError(f"pyproject.toml: tool.investigate.executor: expected one of {EXECUTORS}, got {kind!r}")
    if kind == "local":
        if scheduler is not None:
            raise InvestigateError('--scheduler needs --executor dask (or [tool.investigate] executor = "dask")')
        return Choice()
    if scheduler is None and settings.get("scheduler") is not None:
        scheduler = _setting_scheduler(ws, settings["scheduler"])
    return Choice(kind, scheduler, _resources(settings.get("resources", {})))


@contextmanager
def opened(ws: Workspace, args: argparse.Namespace) -> Iterator[Callable[[], Executor]]:
    """A maker of executors for ``args`` (``--executor``, ``--scheduler``, ``--jobs``), released on exit."""
    choice = choose(ws, getattr(args, "executor", None), getattr(args, "scheduler", None))
    if choice.kind == "local":
        from investigate.execution.executors.local import LocalExecutor

        yield lambda: LocalExecutor(args.jobs)
        return
    from investigate.execution.executors.dask import DaskExecutor, DaskSession

    session = DaskSession(choice.scheduler, args.jobs, choice.resources)
    try:
        yield lambda: DaskExecutor(session, args.jobs)
    finally:
        session.close()


def _setting_scheduler(ws: Workspace, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvestigateError(f"pyproject.toml: tool.investigate.scheduler: expected an address, got {value!r}")
    if value.endswith(".json") and "://" not in value:  # a scheduler file, relative to the workspace
        return str(ws.root / value)
    return value


def _resources(value: Any) -> dict[str, float]:
    ok = isinstance(value, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value.values()
    )
    if not ok:
        raise InvestigateError(
            f"pyproject.toml: tool.investigate.resources: expected a table of positive numbers "
            f"(e.g. {{GPU = 1}}), got {value!r}"
        )
    return {str(k): float(v) for k, v in value.items()}
