"""Helpers shared by the read-only commands: run counts by status."""

from __future__ import annotations

from investigate.views.statusrows import STATUSES as STATUSES
from investigate.views.statusrows import status_counts as status_counts


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{s}={n}" for s, n in counts.items() if n) or "no runs"
