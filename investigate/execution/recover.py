"""Record the runs that finished after their ``investigate`` process died.

A local run dies with its invocation. A run on a Dask worker does too once the scheduler drops the
dead client's tasks, but one that ended first has its result in its run dir and its outcome in
``_outcome.json`` (written by ``executors.guard``), with nobody left to write ``run.json``. The
start marker holds everything else the record needs (the planned run, its cache key parts, the
invocation's provenance), so the next invocation writes the very record the dead one would have,
and an ``ok`` one is then reused from the cache like any other. Lost runs without an outcome,
and runs stopped by their guard, stay lost (``lost.find_lost``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.execution.executors.base import Outcome
from investigate.execution.recording import build_record, finished_status, save
from investigate.formats.schema import RunRecord, Status
from investigate.plan.expand import PlannedRun
from investigate.store.lost import MARKER, OUTCOME, find_lost

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace


def record_finished(ws: Workspace) -> list[RunRecord]:
    """Write ``run.json`` for every lost run that left an outcome; the records written."""
    records: list[RunRecord] = []
    for lost in find_lost(ws):
        run_dir = ws.root / lost.run_dir
        found = _finished(run_dir)
        if found is not None:
            records.append(_record(ws, run_dir, *found))
    return records


def _finished(run_dir: Path) -> tuple[PlannedRun, dict[str, Any], Outcome] | None:
    """The planned run, its marker and its outcome, when it ended by itself and both files are whole."""
    try:
        marker = json.loads((run_dir / MARKER).read_text())
        outcome = Outcome(**json.loads((run_dir / OUTCOME).read_text()))
        spec = marker["spec"]
        run = PlannedRun(
            hypothesis=marker["hypothesis"], entry=spec["entry"], kind=spec["kind"], arm=marker["arm"],
            point=marker["point"], seed=int(marker["seed"]), params=spec["params"],
            timeout_s=float(marker["timeout_s"]), cache_key=marker["cache_key"],
            key_parts=marker.get("key_parts") or {},
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no outcome (killed with its invocation), or a marker older than these fields
    if outcome.kind not in ("exited", "timeout"):
        return None
    return run, marker, outcome


def _record(ws: Workspace, run_dir: Path, run: PlannedRun, marker: dict[str, Any], outcome: Outcome) -> RunRecord:
    provenance = dict(marker.get("provenance") or {})
    if outcome.host is not None:
        provenance["hostname"] = outcome.host
    status, metrics, error = finished_status(run, run_dir, outcome)

    def build(status: Status, metrics: dict[str, Any], error: str | None) -> RunRecord:
        return build_record(
            ws, run, run_dir, status=status, started_at=outcome.started_at or str(marker["started_at"]),
            duration_s=outcome.duration_s,
            provenance=provenance, metrics=metrics, error=error, usage=outcome,
        )  # fmt: skip

    try:
        record = build(status, metrics, error)
    except Exception as exc:  # noqa: BLE001 - as the runner does: metrics the record model refuses
        record = build("error", {}, f"could not record: {exc!r}")
    save(ws, run_dir, record)
    return record
