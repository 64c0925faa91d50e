"""The test rule: whether one run of a configuration passes, from its metrics.

It has the shape of a verdict condition without ``arm`` / ``where`` / ``over``, e.g.
``{metric: trains_clean, equals: true}`` or ``{metric: pearson_r, ge: 0.7}``: the rule holding
means the run PASSES. A metric that is missing, null, NaN or of the wrong type is UNRESOLVED,
never a failure, and so is a run whose status is not ``ok``. Comparisons follow the verdict
engine's conventions (booleans only equal booleans) but are written here on their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.isolate.algorithm import Outcome

COMPARISONS = ("equals", "lt", "le", "gt", "ge", "between")


@dataclass(frozen=True)
class TestRule:
    __test__ = False  # not a pytest class, despite the name

    metric: str
    op: str
    target: Any

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TestRule:
        """From a dict ``{metric: ..., <one comparison>: value}``; anything else is a user error."""
        extra = sorted(set(data) - {"metric", *COMPARISONS})
        ops = [k for k in COMPARISONS if k in data]
        if extra or not isinstance(data.get("metric"), str) or len(ops) != 1:
            raise InvestigateError(
                f"test rule {dict(data)!r}: needs 'metric' and exactly one of {', '.join(COMPARISONS)}"
                + (f" (unknown keys: {', '.join(extra)})" if extra else "")
            )
        op, target = ops[0], data[ops[0]]
        if op == "between" and not (_pair(target) and target[0] <= target[1]):
            raise InvestigateError(f"test rule: between needs [low, high] numbers, got {target!r}")
        if op in ("lt", "le", "gt", "ge") and not _number(target):
            raise InvestigateError(f"test rule: {op} needs a number, got {target!r}")
        return cls(data["metric"], op, target)

    def as_condition(self) -> dict[str, Any]:
        """The rule as a verdict condition body (add ``arm`` and ``over`` to use it in a hypothesis)."""
        target = list(self.target) if self.op == "between" else self.target
        return {"metric": self.metric, self.op: target}

    def evaluate(self, metrics: Mapping[str, Any], status: str = "ok") -> Outcome:
        if status != "ok" or self.metric not in metrics:
            return Outcome.UNRESOLVED
        holds = compare(metrics[self.metric], self.op, self.target)
        return Outcome.UNRESOLVED if holds is None else (Outcome.PASS if holds else Outcome.FAIL)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _pair(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(_number(v) for v in value)


def compare(value: Any, op: str, target: Any) -> bool | None:
    """True / False, or None when the value cannot be compared (null, NaN, wrong type)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if op == "equals":
        if isinstance(value, bool) != isinstance(target, bool):
            return None  # `true` against 1 is a mistyped rule or metric, not a failure
        if _number(value) != _number(target) and not isinstance(value, bool):
            return None
        return bool(value == target)
    if not _number(value):
        return None
    if op == "between":
        return bool(target[0] <= value <= target[1])
    return bool({"lt": value < target, "le": value <= target, "gt": value > target, "ge": value >= target}[op])


def run_outcome(rule: TestRule | Mapping[str, Any], metrics: Mapping[str, Any], status: str = "ok") -> Outcome:
    """PASS / FAIL / UNRESOLVED for one run's metrics (and status: anything but ``ok`` is unresolved)."""
    parsed = rule if isinstance(rule, TestRule) else TestRule.parse(rule)
    return parsed.evaluate(metrics, status)


def parse_rules(data: Any, source: str = "test rule") -> list[TestRule]:
    """One condition, or ``{all: [conditions]}`` (the run passes when every one holds).

    A condition may carry ``arm`` (dropped: isolate tests one configuration, not an arm) and
    ``over: all`` (the per-run reading of every quantifier-free rule); anything that selects or
    aggregates runs (``where``, ``over: any``, a fraction, a statistic, ``any``, ``not``) has no
    meaning for one run and is refused.
    """
    if not isinstance(data, Mapping):
        raise InvestigateError(f"{source}: expected a mapping like {{metric: trains_clean, equals: true}}")
    items = data.get("all") if set(data) == {"all"} else [data]
    if not isinstance(items, list) or not items:
        raise InvestigateError(f"{source}: 'all' needs a list of conditions")
    rules = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InvestigateError(f"{source}: {item!r} is not a condition")
        body = {k: v for k, v in item.items() if k != "arm"}
        over = body.pop("over", "all")
        if over != "all" or "where" in body:
            raise InvestigateError(
                f"{source}: {dict(item)!r} selects or aggregates runs (where / over: {over}); "
                "a per-run test needs a plain condition"
            )
        rules.append(TestRule.parse(body))
    return rules


def combined_outcome(rules: list[TestRule], metrics: Mapping[str, Any], status: str = "ok") -> Outcome:
    """Every rule must hold: one FAIL fails the run, else one UNRESOLVED leaves it unresolved."""
    outcomes = [rule.evaluate(metrics, status) for rule in rules]
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    return Outcome.UNRESOLVED if Outcome.UNRESOLVED in outcomes else Outcome.PASS
