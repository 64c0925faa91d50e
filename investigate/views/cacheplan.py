"""``run --dry-run`` as data: each planned run with its cache key and whether a recorded run would be
reused, or why not. The CLI prints these rows; the API and the MCP server return them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from investigate.plan.cachediff import CacheExplainer
from investigate.store.records import ok_records, read_records

if TYPE_CHECKING:
    from investigate.plan.expand import PlannedRun
    from investigate.workspace.load import Workspace


def cache_plan(ws: Workspace, runs: list[PlannedRun], force: bool = False) -> list[dict[str, Any]]:
    """One row per planned run: label, arm, point, seed, cache key, hit, the reused run and the reasons."""
    # the runs' own hypotheses' records to explain a miss; ok records with any planned key, whichever
    # hypothesis recorded them, for a hit (as the runner reuses them)
    hypotheses = sorted({run.hypothesis for run in runs})
    explainer = CacheExplainer(read_records(ws, hypotheses), ok_records(ws, {run.cache_key for run in runs}))
    rows = []
    for planned in runs:
        state = explainer.status(planned)
        hit = state.hit and not force
        rows.append({
            "label": planned.label,
            "hypothesis": planned.hypothesis,
            "arm": planned.arm,
            "point": planned.point,
            "seed": planned.seed,
            "cache_key": planned.cache_key,
            "hit": hit,
            "reuses": (state.record.run_dir or state.record.run_id) if hit and state.record else None,
            "text": "miss: --force" if force else state.text(),
            "reasons": ["--force"] if force else state.reasons,
        })  # fmt: skip
    return rows
