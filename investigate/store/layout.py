"""The store's layout, ``reports/<stamp>/<HYPOTHESIS>/<point>/<arm>-seed<k>/run.json``: the names
every module agrees on, importable without loading the models (the early survey of ``status``
starts before they are)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?$")
RUN_JSON = "run.json"
STARTED = "_started.json"  # the runner marks a started run; without a run.json beside it, the run is lost

Stat = tuple[int, int, int]  # (mtime_ns, size, inode)


class RunFile(NamedTuple):
    """One ``run.json`` found in the store, with what a cache needs to tell whether it changed."""

    run_dir: str  # relative to the workspace root, POSIX separators
    path: str  # the file itself
    stat: Stat  # (mtime_ns, size, inode): a rewrite (always a new file) changes it


@dataclass(frozen=True)
class Problem:
    """A ``run.json`` that could not be read: its path (relative to the workspace) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
