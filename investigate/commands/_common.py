"""Helpers shared by the read-only commands: run counts and the verdict hook."""

from __future__ import annotations

from collections import Counter
from typing import Any

from investigate.schema import Hypothesis, RunRecord

STATUSES = ("ok", "error", "timeout", "interrupted")


def by_hypothesis(records: list[RunRecord]) -> dict[str, list[RunRecord]]:
    grouped: dict[str, list[RunRecord]] = {}
    for record in records:
        grouped.setdefault(record.hypothesis, []).append(record)
    return grouped


def status_counts(records: list[RunRecord]) -> dict[str, int]:
    counts = Counter(r.status for r in records)
    return {s: counts.get(s, 0) for s in STATUSES}


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{s}={n}" for s, n in counts.items() if n) or "no runs"


def verdict_of(hyp: Hypothesis, records: list[RunRecord], ws: Any = None) -> Any | None:
    """The verdict from ``investigate.verdict.evaluate(hypothesis, records, ws)`` once that module exists.

    Only a missing module (or function) means "no verdicts yet"; errors inside it propagate.
    """
    import importlib

    try:
        verdict = importlib.import_module("investigate.verdict")
    except ModuleNotFoundError as exc:
        if exc.name != "investigate.verdict":
            raise
        return None
    evaluate = getattr(verdict, "evaluate", None)
    return evaluate(hyp, records, ws=ws) if evaluate else None


def outcome_text(verdict: Any | None) -> str:
    if verdict is None:
        return "-"
    outcome = getattr(verdict, "outcome", verdict)
    return str(getattr(outcome, "value", outcome))
