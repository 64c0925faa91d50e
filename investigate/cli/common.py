"""Helpers shared by the read-only commands: run counts by status."""

from __future__ import annotations

from typing import Any

from investigate.views.statusrows import STATUSES as STATUSES
from investigate.views.statusrows import status_counts as status_counts


def add_stale_option(parser: Any) -> None:
    """``--stale`` of ``list`` and ``status``: the stale mark costs a re-plan of every hypothesis."""
    parser.add_argument(
        "--stale",
        action="store_true",
        help="also say which hypotheses' evidence no longer matches the code "
        "(re-plans every hypothesis, slow on a large workspace; show and tree always say)",
    )


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{s}={n}" for s, n in counts.items() if n) or "no runs"
