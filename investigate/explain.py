"""Verdicts and runs as the plain-text lines ``show`` prints and the summary quotes."""

from __future__ import annotations

from investigate.schema import RunRecord
from investigate.verdict import Verdict, fmt

MARKS = {True: "holds", False: "fails", None: "untested"}


def describe_run(rec: RunRecord) -> str:
    """One sentence naming a run and, when it failed, the last line of its error."""
    point = ", ".join(f"{k}={fmt(v)}" for k, v in sorted(rec.point.items()))
    first = (rec.error or "").strip().splitlines()
    why = f": {first[-1]}" if first else ""
    where = f"{rec.hypothesis}, {rec.arm}, {point or 'no matrix'}, seed {rec.seed}"
    return f"run {rec.run_id} ({where}) ended {rec.status}{why}"


def verdict_lines(verdict: Verdict) -> list[str]:
    """The verdict as ``show`` prints it: outcome, then each rule with the values that decided it."""
    decided = f" (by the {verdict.decided_by} rule)" if verdict.decided_by else ""
    lines = [f"verdict: {verdict.outcome.value}{decided}"]
    for name, rule in verdict.rules.items():
        lines.append(f"  {name}: {MARKS[rule.value]}")
        lines.extend(f"    - {c.evidence}" for c in rule.conditions)
    for rec in verdict.failed:
        lines.append(f"  ! {describe_run(rec)}")
    lines.append(f"  rests on {len(verdict.run_ids)} run(s)")
    return lines
