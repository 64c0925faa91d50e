"""Helpers shared by the read-only commands: run counts by status."""

from __future__ import annotations

from collections import Counter

from investigate.formats.schema import RunRecord

STATUSES = ("ok", "error", "timeout", "interrupted")


def status_counts(records: list[RunRecord]) -> dict[str, int]:
    counts = Counter[str](r.status for r in records)
    return {s: counts[s] for s in STATUSES}


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{s}={n}" for s, n in counts.items() if n) or "no runs"
