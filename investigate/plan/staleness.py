"""Stale evidence: recorded runs a verdict rests on whose cache keys the planner would not compute now.

After an edit to the code a verdict rests on (or to a package, an interpreter, a source root), its
runs are no longer what ``investigate run`` would execute: none would be a cache hit. The verdict
still reads from them, so it is marked *stale*, with the reason ``run --dry-run`` gives for a miss
(``cachediff``), the way ``dvc status`` names a changed dependency.

Each counted ``ok`` record is compared with the run the planner makes of the same (arm, point,
seed) with the record's own params (a ``--profile`` or ``--set`` run stays comparable). A record of
a run the plan no longer has (a seed dropped) is not stale for that alone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from investigate.core.errors import InvestigateError
from investigate.plan.cachediff import differences
from investigate.plan.expand import Filters, cache_key, expand
from investigate.rules.counting import latest_records
from investigate.store.rundirs import identity

if TYPE_CHECKING:
    from investigate.formats.schema import Hypothesis, RunRecord
    from investigate.workspace.load import Workspace

SHOWN_REASONS = 2


def stale_reason(ws: Workspace, hyp: Hypothesis, records: list[RunRecord]) -> str | None:
    """Why ``hyp``'s evidence among ``records`` is stale, or None (fresh, or nothing recorded yet)."""
    evidence = [r for r in latest_records(records) if r.hypothesis == hyp.id and r.status == "ok"]
    if not evidence or hyp.experiment is None:
        return None
    try:
        planned = {identity(run): run for run in expand(ws, hyp, Filters())}
    except InvestigateError as exc:
        return f"its runs cannot be planned now: {exc}"
    compared, reasons = 0, []
    for record in evidence:
        run = planned.get(identity(record))
        if run is None:
            continue
        compared += 1
        if record.params != run.params:
            run = dataclasses.replace(run, params=dict(record.params))
            run.cache_key = cache_key(ws, run)
        if run.cache_key != record.cache_key:
            reasons.append(differences(run, record) or ["key differs (unknown part)"])
    if not reasons:
        return None
    seen = list(dict.fromkeys(r for found in reasons for r in found))
    more = f" (+{len(seen) - SHOWN_REASONS} more)" if len(seen) > SHOWN_REASONS else ""
    return f"{len(reasons)} of {compared} runs would not be cache hits now: " + "; ".join(seen[:SHOWN_REASONS]) + more


def stale_reasons(ws: Workspace, hypothesis_ids: list[str]) -> dict[str, str | None]:
    """``stale_reason`` of each hypothesis, from one read of the store."""
    from investigate.rules.counting import by_hypothesis
    from investigate.store.records import read_records

    grouped = by_hypothesis(read_records(ws))
    return {h: stale_reason(ws, ws.hypothesis(h), grouped[h]) if h in grouped else None for h in hypothesis_ids}
