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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from investigate.core.atomic import write_atomic
from investigate.core.locks import is_locked
from investigate.store.files import UnreadableFile, read_regular
from investigate.store.layout import STAMP
from investigate.store.layout import Site as Workspace

MARKER = "_started.json"
STAMP_LOCK = ".lock"
# Written into the run dir by an executor on another machine (``executors.guard``): who picked the
# run up, and how its process ended. The second lets the next invocation record a run that
# finished after its own invocation died.
WORKER = "_worker.json"
OUTCOME = "_outcome.json"


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


@dataclass(frozen=True)
class InFlight:
    run_dir: str  # relative to the workspace root
    started_at: str
    host: str | None  # the machine running it; None while it waits for a Dask worker


def write_marker(run_dir: Path, spec: dict[str, Any], about: dict[str, Any]) -> Path:
    """``about``: hypothesis, arm, point, seed, cache_key, started_at; the spec is what the run executes."""
    path = run_dir / MARKER
    marker = {**about, "pid": os.getpid(), "host": socket.gethostname(), "spec": spec}
    write_atomic(path, json.dumps(marker, allow_nan=True, default=str).encode())
    return path


def find_lost(ws: Workspace) -> list[LostRun]:
    """Every run directory with a start marker, no ``run.json``, and no live invocation; oldest first."""
    lost = [_lost(ws, Path(run)) for held, runs in _started(ws) if not held for run in runs]
    return sorted(lost, key=lambda r: (r.started_at, r.run_dir))


def find_in_flight(ws: Workspace) -> list[InFlight]:
    """Runs started by a live invocation and not recorded yet, with the machine each runs on."""
    found: list[InFlight] = []
    for held, runs in _started(ws):
        if held:
            found += [_in_flight(ws, Path(run)) for run in runs]
    return sorted(found, key=lambda r: r.run_dir)


def in_flight_line(ws: Workspace) -> str | None:
    """``in flight: 5 runs (2 on node-a, 1 on node-b, 2 queued)``; None when nothing runs."""
    runs = find_in_flight(ws)
    if not runs:
        return None
    hosts = Counter(r.host or "queued" for r in runs)
    where = ", ".join(f"{n} {h}" if h == "queued" else f"{n} on {h}" for h, n in sorted(hosts.items()))
    return f"in flight: {len(runs)} run{'s' if len(runs) != 1 else ''} ({where})"


def _started(ws: Workspace) -> Iterator[tuple[bool, list[str]]]:
    """Per stamp that still has its ``.lock``: whether a live invocation holds it, and its unrecorded runs."""
    root = ws.reports_dir
    if not root.is_dir():
        return
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
        if markers:
            yield is_locked(lock), markers


def _in_flight(ws: Workspace, run_dir: Path) -> InFlight:
    data, worker = _read(run_dir / MARKER), _read(run_dir / WORKER)
    # A local run starts when its marker is written; a Dask run once a worker picks it up.
    host = worker.get("host") if data.get("executor", "local") != "local" else data.get("host")
    return InFlight(ws.relative(run_dir), str(data.get("started_at", "")), str(host) if host else None)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_regular(str(path), cap=1_000_000)[0])
    except (UnreadableFile, ValueError):
        return {}  # missing, or cut short: a marker still says the run started
    return data if isinstance(data, dict) else {}


def _lost(ws: Workspace, run_dir: Path) -> LostRun:
    data = _read(run_dir / MARKER)
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
            return [e.path for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
