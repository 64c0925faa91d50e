"""One measured value against a rule's value, and values as a YAML reader writes them."""

from __future__ import annotations

import math
from typing import Any

from investigate.rules.evidence import number

SYMBOLS = {"equals": "=", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "between": "in"}


def fmt(value: Any) -> str:
    """Values as a YAML reader writes them: false, null, 0.81."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3g}"
    if isinstance(value, int) and number(value) is None:
        return f"{str(value)[:6]}…({len(str(value))} digits)"
    return str(value)


def compare(value: Any, op: str, target: Any) -> bool:
    """One measured value against the rule's value; NaN, null and non-numbers fail everything."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if op == "equals":
        if isinstance(value, bool) or isinstance(target, bool):
            return isinstance(value, bool) and isinstance(target, bool) and value is target
        return bool(value == target)
    x = number(value)
    if x is None or math.isnan(x):
        return False
    if op == "between":
        return bool(target[0] <= x <= target[1])
    return bool({"lt": x < target, "le": x <= target, "gt": x > target, "ge": x >= target}[op])


def cmp_text(op: str, target: Any) -> str:
    if op == "between":
        return f"in [{fmt(target[0])}, {fmt(target[1])}]"
    return f"{SYMBOLS[op]} {fmt(target)}"
