"""Corrections for many looks: Holm within one condition, Benjamini–Hochberg across an initiative.

- ``holm``: Holm's step-down adjustment controls the family-wise error rate (the chance of any
  false claim among the points) under any dependence between the points. ``over: any`` and
  ``fraction`` claims that some points hold are made with it; ``over: all`` needs every point
  and is an intersection–union test, valid unadjusted.
- ``bh_qvalues``: Benjamini–Hochberg q-values across every deciding contrast of an initiative,
  reported (never deciding) so a reader sees the false-discovery rate of the whole set of claims.
- ``initiative_qvalues``: the rows the summary and ``status --json`` show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from investigate.rules.verdict import Verdict


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input's order (reject where adjusted ≤ α)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def bh_qvalues(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg q-values, in the input's order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i], reverse=True)
    q = [1.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k  # 1-based rank from the smallest
        running = min(running, pvalues[i] * m / rank)
        q[i] = min(1.0, running)
    return q


@dataclass(frozen=True)
class QRow:
    """One deciding contrast of an initiative with its own p-value and its BH q-value."""

    hypothesis: str
    condition: str  # the condition's label and comparison, as ``show`` prints it
    p: float
    q: float

    def to_dict(self) -> dict[str, Any]:
        return {"hypothesis": self.hypothesis, "condition": self.condition, "p": self.p, "q": self.q}


def initiative_qvalues(hypotheses: Iterable[str], verdicts: Mapping[str, Verdict]) -> list[QRow]:
    """BH q-values across the deciding contrasts of ``hypotheses`` (in that order, then file order).

    Each contrast contributes the p-value of the claim it made (see ``ContrastTest.p_claim``).
    """
    rows: list[tuple[str, str, float]] = []
    for hid in hypotheses:
        verdict = verdicts.get(hid)
        if verdict is None:
            continue
        for cond in verdict.deciding_conditions():
            test = cond.contrast
            if test is not None and test.p_claim is not None:
                rows.append((hid, cond.claim_text, test.p_claim))
    q = bh_qvalues([p for _, _, p in rows])
    return [QRow(h, c, p, qv) for (h, c, p), qv in zip(rows, q, strict=True)]
