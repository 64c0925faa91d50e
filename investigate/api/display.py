"""What a notebook shows for a hypothesis or a decision tree: ``_repr_html_`` (Jupyter's rich display)
and a plain ``__repr__`` for a terminal. The HTML is self-contained (inline style, inline SVG)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from investigate.formats.schema import Hypothesis
from investigate.rules.conditions import fmt
from investigate.rules.verdict import Verdict
from investigate.views.explain import verdict_lines
from investigate.views.svgtree import render_svg
from investigate.views.tables import effect_rows, evidence_rows
from investigate.views.tree import TreeWalk, render_text

VALUE_TEXT = {True: "holds", False: "fails", None: "untested"}
OUTCOME_COLOUR = {"confirmed": "#2a7a2a", "fixed": "#1f5fbf", "ruled_out": "#666", "inconclusive": "#b08800"}


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:2px 8px'>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table style='border-collapse:collapse'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _interval(row: dict[str, Any]) -> str:
    if row["mean_diff"] is None:
        return "not measured on both arms"
    if row["ci95_low"] is None:
        return f"{row['mean_diff']:+.3g} (no interval)"
    return f"{row['mean_diff']:+.3g} [{row['ci95_low']:+.3g}, {row['ci95_high']:+.3g}]"


@dataclass
class HypothesisView:
    hypothesis: Hypothesis
    verdict: Verdict

    @property
    def outcome(self) -> str:
        return self.verdict.outcome.value

    def __repr__(self) -> str:
        lines = verdict_lines(self.verdict, effects=True)
        return "\n".join([f"{self.hypothesis.id}: {self.hypothesis.title}", *lines])

    def _repr_html_(self) -> str:
        hyp, verdict = self.hypothesis, self.verdict
        colour = OUTCOME_COLOUR.get(self.outcome, "#333")
        flags = "".join(f"<li>⚑ {html.escape(f.text())}</li>" for f in verdict.flags)
        evidence = _table(
            ["rule", "condition", "value", "evidence"],
            [[r["rule"], r["condition"], VALUE_TEXT[r["value"]], r["evidence"]] for r in evidence_rows(verdict)],
        )
        effects = effect_rows(verdict)
        effect_table = _table(
            ["metric", "arm − control", "point", "difference of means, 95 % interval"],
            [[e["metric"], f"{e['arm']} − {e['against']}", _point(e["point"]), _interval(e)] for e in effects],
        )
        return (
            f"<div class='investigate-hypothesis'><h3>{html.escape(hyp.id)}: {html.escape(hyp.title)}</h3>"
            f"<p><b>verdict:</b> <span style='color:{colour};font-weight:bold'>{html.escape(self.outcome)}</span>"
            f" — rests on {len(verdict.run_ids)} run(s), {len(verdict.failed)} failed</p>"
            f"<p><b>statement:</b> {html.escape(hyp.statement.strip())}</p>"
            + (f"<ul>{flags}</ul>" if flags else "")
            + f"<h4>evidence</h4>{evidence}"
            + (f"<h4>effects</h4>{effect_table}" if effects else "")
            + "</div>"
        )


def _point(point: dict[str, Any] | None) -> str:
    return "pooled" if point is None else ", ".join(f"{k}={fmt(v)}" for k, v in point.items())


@dataclass
class TreeView:
    initiative: str
    walk: TreeWalk | None

    @property
    def svg(self) -> str:
        return render_svg(self.walk) if self.walk else ""

    def __repr__(self) -> str:
        return render_text(self.walk) if self.walk else f"{self.initiative}: no decision tree"

    def _repr_html_(self) -> str:
        if self.walk is None:
            return f"<p>{html.escape(self.initiative)}: no decision tree</p>"
        return f"<div class='investigate-tree'>{self.svg}</div>"
