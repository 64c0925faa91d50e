"""Verdicts and runs as the plain-text lines ``show`` prints and the summary quotes.

Every line is rendered from the verdict's structure (``Verdict.to_dict`` carries the same): the
rule tree with each part's result, the branch that decided an ``any``, the flags, and the effect
of each condition's arm against its control.
"""

from __future__ import annotations

from investigate.formats.schema import RunRecord
from investigate.rules.conditions import RuleResult, fmt
from investigate.rules.evidence import Effect
from investigate.rules.verdict import Verdict

MARKS = {True: "holds", False: "fails", None: "untested"}


def mark(node: RuleResult) -> str:
    """holds / fails / untested, or *unresolved* when runs exist but an interval could not decide."""
    return "unresolved" if node.unresolved else MARKS[node.value]


def describe_run(rec: RunRecord) -> str:
    """One sentence naming a run and, when it failed, the last line of its error."""
    point = ", ".join(f"{k}={fmt(v)}" for k, v in sorted(rec.point.items()))
    first = (rec.error or "").strip().splitlines()
    why = f": {first[-1]}" if first else ""
    where = f"{rec.hypothesis}, {rec.arm}, {point or 'no matrix'}, seed {rec.seed}"
    return f"run {rec.run_id} ({where}) ended {rec.status}{why}"


def signed(value: float) -> str:
    return f"{value:+.3g}"


def interval_text(ci: tuple[float, float] | None) -> str:
    return f"[{signed(ci[0])}, {signed(ci[1])}]" if ci else "(no interval: fewer than 2 runs a side)"


def point_text(point: dict[str, object]) -> str:
    if len(point) == 1:
        return fmt(next(iter(point.values())))
    return ", ".join(f"{k}={fmt(v)}" for k, v in point.items())


def effect_text(e: Effect) -> str:
    """``Δpearson_r probe − count = -0.0695 [-0.108, -0.0308] (6 pairs)``; undeclared controls say so."""
    if e.mean_diff is None:
        return f"Δ{e.metric} {e.arm} − {e.against}: not measured on both arms"
    counts = f"{e.n_arm} pairs" if e.paired else f"n {e.n_arm}/{e.n_against}"
    control = "" if e.declared else ", no declared control"
    left = f", {e.left_out} non-numeric left out" if e.left_out else ""
    at = f" at {point_text(e.point)}" if e.point else ""
    diff = f"{signed(e.mean_diff)} {interval_text(e.mean_ci)}"
    return f"Δ{e.metric} {e.arm} − {e.against}{at} = {diff} ({counts}{control}{left})"


def comparison_lines(effects: list[Effect]) -> list[str]:
    """One line per comparison arm: the pooled effect, its median, then each matrix point's."""
    lines = []
    for against in dict.fromkeys(e.against for e in effects):
        mine = [e for e in effects if e.against == against]
        pooled = next((e for e in mine if e.point is None), mine[0])
        line = effect_text(pooled)
        if pooled.median_diff is not None:
            line += f"; Δmedian {signed(pooled.median_diff)} {interval_text(pooled.median_ci)}"
        points = [e for e in mine if e.point is not None and e.mean_diff is not None]
        if len(points) > 1:
            by_point = ", ".join(
                f"{point_text(e.point or {})} {signed(e.mean_diff or 0.0)} {interval_text(e.mean_ci)}" for e in points
            )
            line += f"; by point: {by_point}"
        lines.append(line)
    return lines


def _which(node: RuleResult) -> str:
    """For an ``any``, the parts that decided it (1-based, as a reader counts the YAML list); an
    unresolved one (untested, or no part settled) was decided by nothing."""
    if node.value is None:
        return ""
    deciding = [i + 1 for i, child in enumerate(node.children) if child.decisive] if node.decisive else []
    return f", decided by part {', '.join(map(str, deciding))}" if node.op == "any" and deciding else ""


def _tree_lines(node: RuleResult, indent: str, shown: set[str] | None) -> list[str]:
    if node.condition is not None:
        c = node.condition
        lines = [f"{indent}- {c.evidence}"]
        if shown is not None and c.effects:
            key = repr((c.rule.metric, c.rule.arm, c.rule.where, [e.against for e in c.effects]))
            if key not in shown:
                shown.add(key)
                lines.extend(f"{indent}    {line}" for line in comparison_lines(c.effects))
        return lines
    lines = [f"{indent}- {node.op} ({mark(node)}{_which(node)}):"]
    for child in node.children:
        lines.extend(_tree_lines(child, indent + "  ", shown))
    return lines


def verdict_lines(verdict: Verdict, effects: bool = False) -> list[str]:
    """The verdict as ``show`` prints it: outcome, flags, then each rule with the values that decided it."""
    decided = f" (by the {verdict.decided_by} rule)" if verdict.decided_by else ""
    if verdict.flags:
        assert verdict.raw_outcome is not None
        decided = f" (flagged: the {verdict.decided_by} rule alone says {verdict.raw_outcome.value})"
    if effects:
        verdict.with_effects()
    lines = [f"verdict: {verdict.outcome.value}{decided}"]
    lines.extend(f"  ⚑ {flag.text()}" for flag in verdict.flags)
    if verdict.post_hoc is not None:
        lines.append(f"  ⚑ post_hoc: {verdict.post_hoc.text()}")
    if verdict.robustness:
        lines.append("  robust_to (the verdict with each alternative metric):")
        lines.extend(f"    {row.text()}" for row in verdict.robustness)
    shown: set[str] | None = set() if effects else None  # each comparison's effect is printed once
    for name, rule in verdict.rules.items():
        combo = f" ({rule.op}{_which(rule)})" if rule.condition is None else ""
        lines.append(f"  {name}: {mark(rule)}{combo}")
        if rule.condition is not None:
            lines.extend(_tree_lines(rule, "    ", shown))
        else:  # the top combination is the rule itself: list its parts directly, as before
            for child in rule.children:
                lines.extend(_tree_lines(child, "    ", shown))
    for rec in verdict.failed:
        lines.append(f"  ! {describe_run(rec)}")
    lines.append(f"  rests on {len(verdict.run_ids)} run(s)")
    return lines
