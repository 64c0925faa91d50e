"""``robust_to: [metric, ...]``: does the verdict survive a reasonable alternative metric?

For each condition that names ``robust_to``, the verdict's rules are evaluated again with that
condition's metric replaced by each alternative (everything else as written). When the rule that
decides changes with any of them, the verdict is ``metric_sensitive``: a causal claim that holds
on one way of measuring and not on another is not robust, so it is flagged (and inconclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from investigate.formats.schema import Rule

if TYPE_CHECKING:
    from investigate.rules.conditions import Evaluator, RuleResult

METRIC_SENSITIVE = "metric_sensitive"
RESULT = {True: "holds", False: "fails", None: "undecided"}


@dataclass(frozen=True)
class Row:
    condition: str  # the condition as written
    metric: str
    value: bool | None  # the condition with this metric
    decided_by: str | None  # the rule that then decides the verdict

    def text(self) -> str:
        return f"{self.condition} with {self.metric}: {RESULT[self.value]} → {self.decided_by or 'no rule holds'}"


def _swap(rule: Rule, target: Rule, metric: str) -> Rule:
    """``rule`` with the condition ``target`` (by identity) reading ``metric`` instead."""
    if rule is target:
        return rule.model_copy(update={"metric": metric, "robust_to": None})
    update: dict[str, Any] = {}
    if rule.all_ is not None:
        update["all_"] = [_swap(r, target, metric) for r in rule.all_]
    if rule.any_ is not None:
        update["any_"] = [_swap(r, target, metric) for r in rule.any_]
    if rule.not_ is not None:
        update["not_"] = _swap(rule.not_, target, metric)
    return rule.model_copy(update=update) if update else rule


def robustness(ev: Evaluator, written: dict[str, Rule], results: dict[str, RuleResult]) -> list[Row]:
    """Every (condition, alternative metric) row; fills each condition's ``robustness``."""
    rows = []
    for name, result in results.items():
        if name not in written:
            continue
        for cond in result.conditions:
            for metric in cond.rule.robust_to or []:
                swapped = {n: _swap(r, cond.rule, metric) if n == name else r for n, r in written.items()}
                values = {n: ev.rule(r, ("verdict", n), strict=False) for n, r in swapped.items()}
                leaf = next(c for c in values[name].conditions if c.path == cond.path)
                cond.robustness[metric] = leaf.value
                decided = next((n for n in ("confirmed", "ruled_out") if n in values and values[n].value), None)
                rows.append(Row(cond.claim_text, metric, leaf.value, decided))
    return rows


def sensitive(rows: list[Row], decided_by: str | None) -> list[Row]:
    """The rows under which another rule (or none) decides."""
    return [row for row in rows if row.decided_by != decided_by]
