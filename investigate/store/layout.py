"""The store's layout, ``reports/<stamp>/<HYPOTHESIS>/<point>/<arm>-seed<k>/run.json``, and what the
store needs to know of a workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?$")
RUN_JSON = "run.json"
STARTED = "_started.json"  # the runner marks a started run; without a run.json beside it, the run is lost


class Site(Protocol):
    """Where a store lives: the workspace root and its ``reports/``. The workspace is one; the store
    does not need the rest of it (and sits below it in the package's layers)."""

    root: Path
    reports_dir: Path
    memo: dict[str, Any]

    def relative(self, path: Path) -> str: ...


@dataclass(frozen=True)
class Problem:
    """A ``run.json`` that could not be read: its path (relative to the workspace) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def group_of(run_dir: str) -> str:
    """``<stamp>/<name>`` of a run directory given relative to ``reports/``."""
    return "/".join(run_dir.split("/", 2)[:2])
