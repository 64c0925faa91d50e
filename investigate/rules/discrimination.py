"""Whether a decided rule could have come out otherwise: a deciding condition that holds on every
arm, or whose metric never varies, cannot discriminate (see ``evidence`` for the standard)."""

from __future__ import annotations

from investigate.rules.conditions import ConditionResult, RuleResult
from investigate.rules.evidence import Tri


def leaf_discriminates(cond: ConditionResult) -> Tri:
    """True: it fails on some other arm; False: it holds on every other arm or never varies."""
    if cond.constant:
        return False
    if not cond.other_arms:
        return None
    values = list(cond.other_arms.values())
    if any(v is not None and v is not cond.value for v in values):
        return True
    if all(v is cond.value for v in values):
        return False
    return None


def discriminates(node: RuleResult) -> Tri:
    """Whether the decided rule could have come out otherwise on another arm (see module doc)."""
    if node.op == "condition":
        assert node.condition is not None
        return leaf_discriminates(node.condition)
    if node.op == "not":
        return discriminates(node.children[0])
    conjunctive = (node.op == "all") == (node.value is True)
    if conjunctive:  # every part has the node's value: one discriminating part is enough
        parts = [discriminates(c) for c in node.children]
        return True if True in parts else (None if None in parts else False)
    deciding = [discriminates(c) for c in node.children if c.value is node.value]
    return False if False in deciding else (None if None in deciding else True)
