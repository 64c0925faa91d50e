"""The committed evidence of the shipped investigation re-renders to the committed summary.

A fresh clone shows verdicts, tree and summary without training anything; this test keeps the
committed summary honest: it must be exactly what the committed run records produce.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from investigate.rules.verdict import evaluate_workspace
from investigate.store.records import read_records
from investigate.views.report import render_summary
from investigate.workspace.load import load_workspace

ROOT = Path(__file__).resolve().parents[1]
INITIATIVES = ["DEBUG-SIM-LINES-DOSE-001", "AMPLITUDE-BIAS-001", "NETWORK-VALUE-001"]


@pytest.mark.parametrize("initiative", INITIATIVES)
def test_committed_summary_matches_committed_records(initiative: str) -> None:
    summary = ROOT / "reports" / initiative / "final_summary.md"
    if not summary.exists():
        pytest.skip(f"{initiative} has no committed summary yet")
    ws = load_workspace(ROOT)
    rendered = render_summary(ws, initiative, out=summary)
    assert rendered == summary.read_text(encoding="utf-8")


@pytest.mark.parametrize("initiative", INITIATIVES)
def test_narrative_claims_hold_or_are_reported(initiative: str) -> None:
    """A claim the runs do not bear out is never hidden: the summary warns and lists it as a gap.

    (A narrative may be ahead of, or behind, its evidence; what must not happen is a summary that
    states the claim without saying the runs disagree.)
    """
    ws = load_workspace(ROOT)
    narrative = ws.initiative(initiative).summary
    verdicts = evaluate_workspace(ws, read_records(ws))
    if not any(v.run_ids for v in verdicts.values()):
        pytest.skip("no committed run records")
    text = render_summary(ws, initiative)
    gaps = text.split(". Gaps in the evidence\n", 1)[1]
    for hypothesis, claimed in narrative.claims.items():
        outcome = verdicts[hypothesis].outcome
        # a claim of "confirmed" is met by a confirmed cause whose fix is also verified
        if outcome == claimed or (claimed.value == "confirmed" and outcome.value == "fixed"):
            continue
        warning = f"⚠ The narrative relies on {hypothesis} being {claimed.value}; the runs say: {outcome.value}."
        assert f"> {warning}" in text, f"{hypothesis}: the contradiction is not shown at the top"
        assert f"claim that {hypothesis} is {claimed.value} does not hold" in gaps, f"{hypothesis}: not in the gaps"


# Claims the committed records no longer bear out since contrasts decide on their intervals (with
# 3 seeds these contrasts are unresolved): each is warned about in its summary, and goes once its
# hypothesis is re-recorded with enough seeds (run --until-decided) or its narrative rewritten.
UNRESOLVED_CLAIMS = {
    "AMPLITUDE-BIAS-001": {"H-NETWORK-LIMIT", "H-STITCH-NORM"},
    "NETWORK-VALUE-001": {"H-NV-INIT-EXACT", "H-NV-ALONE-ERRORS"},
}


@pytest.mark.parametrize("initiative", INITIATIVES)
def test_shipped_claims_hold_on_the_committed_records(initiative: str) -> None:
    # no claim is contradicted but the listed ones, whose runs now read inconclusive
    ws = load_workspace(ROOT)
    verdicts = evaluate_workspace(ws, read_records(ws))
    contradicted = set()
    for hypothesis, claimed in ws.initiative(initiative).summary.claims.items():
        outcome = verdicts[hypothesis].outcome.value
        if not (outcome == claimed.value or (claimed.value, outcome) == ("confirmed", "fixed")):
            contradicted.add(hypothesis)
            assert outcome == "inconclusive", hypothesis  # weaker evidence, never the opposite outcome
    assert contradicted == UNRESOLVED_CLAIMS.get(initiative, set())
