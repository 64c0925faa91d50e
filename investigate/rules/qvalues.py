"""Benjamini–Hochberg q-values across the deciding contrasts of an initiative (the summary's table,
and what ``status --json`` can report): one row per contrast that decided its hypothesis' verdict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from investigate.rules.multiplicity import bh_qvalues
from investigate.rules.verdict import Verdict


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
