"""Runs that started and never got a record: their ``investigate`` process died (``kill -9``, a crash,
a full disk, the machine going down).

A run writes ``_started.json`` (its spec, the invocation's pid and host, the start time) before its
process starts; ``run.json`` supersedes it and the marker is then removed. Each invocation holds an
exclusive lock on ``reports/<stamp>/.lock`` while it lives, so a marker without a record under a
stamp nobody holds is lost, and one under a held stamp is a run in progress. An invocation that
ends with every started run recorded deletes its ``.lock``; so only stamps that still have one
(a live invocation, a dead one, one stopped by a full disk) are searched for markers.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.atomic import write_atomic
from investigate.locks import is_locked
from investigate.store import STAMP

if TYPE_CHECKING:
    from investigate.workspace import Workspace

MARKER = "_started.json"
STAMP_LOCK = ".lock"


@dataclass(frozen=True)
class LostRun:
    run_dir: str  # relative to the workspace root
    hypothesis: str
    arm: str
    point: dict[str, Any]
    seed: int
    cache_key: str
    started_at: str
    pid: int | None  # of the investigate process that started it
    host: str | None

    @property
    def label(self) -> str:
        return f"{self.run_dir} (started {self.started_at} by pid {self.pid} on {self.host})"


def write_marker(run_dir: Path, spec: dict[str, Any], about: dict[str, Any]) -> Path:
    """``about``: hypothesis, arm, point, seed, cache_key, started_at; the spec is what the run executes."""
    path = run_dir / MARKER
    marker = {**about, "pid": os.getpid(), "host": socket.gethostname(), "spec": spec}
    write_atomic(path, json.dumps(marker, allow_nan=True, default=str).encode())
    return path


def find_lost(ws: Workspace) -> list[LostRun]:
    """Every run directory with a start marker, no ``run.json``, and no live invocation; oldest first."""
    root = ws.reports_dir
    lost: list[LostRun] = []
    if not root.is_dir():
        return lost
    for stamp in _subdirs(str(root)):
        lock = Path(stamp, STAMP_LOCK)
        if not STAMP.match(os.path.basename(stamp)) or not lock.exists():
            continue
        markers = [
            run
            for hyp in _subdirs(stamp)
            for point in _subdirs(hyp)
            for run in _subdirs(point)
            if os.path.exists(os.path.join(run, MARKER)) and not os.path.exists(os.path.join(run, "run.json"))
        ]
        if markers and not is_locked(lock):
            lost += [_lost(ws, Path(run)) for run in markers]
    return sorted(lost, key=lambda r: (r.started_at, r.run_dir))


def _lost(ws: Workspace, run_dir: Path) -> LostRun:
    try:
        data = json.loads((run_dir / MARKER).read_text())
    except (OSError, ValueError):
        data = {}  # a marker cut short still says the run started
    parts = run_dir.parts
    return LostRun(
        run_dir=ws.relative(run_dir),
        hypothesis=str(data.get("hypothesis", parts[-3])),
        arm=str(data.get("arm", "?")),
        point=dict(data.get("point") or {}),
        seed=int(data.get("seed", -1)),
        cache_key=str(data.get("cache_key", "")),
        started_at=str(data.get("started_at", "")),
        pid=data.get("pid"),
        host=data.get("host"),
    )


def _subdirs(path: str) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return [e.path for e in entries if e.is_dir()]
    except OSError:
        return []
