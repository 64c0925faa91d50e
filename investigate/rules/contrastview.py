"""The confidence level a workspace sets, and the sentence ``show`` prints for a decided contrast."""

from __future__ import annotations

from typing import Any

from investigate.rules.contrasts import DEFAULT_CONFIDENCE, ContrastTest


def workspace_confidence(ws: Any) -> float:
    """``[tool.investigate] confidence`` (default 0.95), checked: a number strictly between 0 and 1."""
    settings = getattr(ws, "settings", None) or {}
    value = settings.get("confidence", DEFAULT_CONFIDENCE)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        from investigate.core.errors import InvestigateError

        raise InvestigateError(
            f"pyproject.toml: tool.investigate.confidence: expected a number between 0 and 1 (e.g. 0.95), got {value!r}"
        )
    return float(value)


def contrast_sentence(claim: str, test: ContrastTest, n_points: int, tail: str) -> str:
    """``(a − b).m ≥ 0.05: unresolved, holds at 0/15 points (need any; 95 %, Holm over 15 looks); MDE80 0.31 …``."""
    result = {True: "holds", False: "fails", None: "unresolved" if test.unresolved else "undecided"}[test.value]
    correction = test.fail_correction if test.value is False and test.fail_correction else test.correction
    split = f" (α split over {test.looks} looks: {1 - test.alpha:.4g} each)" if test.looks > 1 else ""
    level = f"{test.confidence:.0%} intervals{split}, {correction}"
    if test.pooled_interval is not None or not test.points:
        ci = test.pooled_interval
        shown = f"[{ci[0]:+.3g}, {ci[1]:+.3g}]" if ci else "none (fewer than 2 seeds a side)"
        text = f"{claim}: {result}; pooled interval {shown} ({test.method}; {level})"
    else:
        held = sum(p.holds for p in test.points)
        text = f"{claim}: {result} — {held}/{n_points} points hold (need {test.need}; {level})"
        if len(test.points) == 1 and test.points[0].interval is not None:
            lo, hi = test.points[0].interval
            tost = "TOST " if test.equivalence else ""
            text += f"; {tost}{test.interval_level:.4g} interval [{lo:+.3g}, {hi:+.3g}]"
    if test.p_claim is not None:
        text += f"; p {test.p_claim:.3g}"
    if test.mde is not None:
        text += f"; MDE80 {test.mde:.3g} ({test.method}, {test.seeds} seeds)"
    return text + tail
