"""What ``investigate run`` says at the end: the failures (why, and where the log is) and the verdicts
its runs changed, evaluated on the same records ``list`` and ``status`` read, before and after."""

from __future__ import annotations

from typing import TYPE_CHECKING

from investigate.core.errors import InvestigateError
from investigate.execution.progress import failure_reason, log_note
from investigate.formats.schema import RunRecord
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate
from investigate.store.records import read_records
from investigate.store.rundirs import point_dir

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

MAX_FAILURES = 10  # listed one per line at the end; the rest are counted


def verdicts(ws: Workspace, hyp_ids: list[str]) -> dict[str, str]:
    """Hypothesis id -> its verdict's outcome now."""
    out = {}
    for hyp_id in hyp_ids:
        records = latest_records(read_records(ws, hyp_id))
        try:
            out[hyp_id] = evaluate(ws.hypothesis(hyp_id), records, ws).outcome.value
        except InvestigateError:  # e.g. a rule's metric no run reports yet: the runs may be the fix
            out[hyp_id] = "not evaluable"
    return out


def verdict_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """``H-X: untested → confirmed`` for each hypothesis whose verdict differs, or one line saying none did."""
    changed = [f"{h}: {before.get(h, 'untested')} → {after[h]}" for h in after if before.get(h) != after[h]]
    if not changed:
        kept = ", ".join(f"{h} {v}" for h, v in after.items())
        return [f"verdicts unchanged: {kept}"]
    return ["verdicts changed:", *(f"  {line}" for line in changed)]


def failure_lines(records: list[RunRecord]) -> list[str]:
    failed = [r for r in records if r.status in ("error", "timeout")]
    lines = [
        f"  {r.hypothesis} {point_dir(r.point)} {r.arm} seed{r.seed} {r.status}: {failure_reason(r)}{log_note(r)}"
        for r in failed[:MAX_FAILURES]
    ]
    if len(failed) > MAX_FAILURES:
        lines.append(f"  ... and {len(failed) - MAX_FAILURES} more (`investigate status` counts them)")
    return lines
