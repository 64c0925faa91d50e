"""The summary's statistics: BH q-values across the initiative's deciding contrasts, and the audit
findings its hypotheses acknowledge (with the reason a human gave)."""

from __future__ import annotations

from typing import Any

from investigate.formats.schema import Initiative
from investigate.rules.qvalues import initiative_qvalues
from investigate.rules.verdict import Verdict


def statistics_context(ws: Any, initiative: Initiative, verdicts: dict[str, Verdict]) -> dict[str, Any]:
    """``qvalues``: one row per deciding contrast; ``acknowledged``: finding and reason per hypothesis."""
    rows = initiative_qvalues(initiative.hypotheses, verdicts)
    acknowledged = [
        {"hypothesis": hid, "finding": ack.finding, "reason": ack.reason}
        for hid in initiative.hypotheses
        if hid in ws.hypotheses
        for ack in ws.hypotheses[hid].acknowledge
    ]
    return {"qvalues": [r.to_dict() for r in rows], "acknowledged": acknowledged}
