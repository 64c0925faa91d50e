"""A verdict as JSON (``show --json``, the API): the outcome, its flags and each rule's tree."""

from __future__ import annotations

from typing import Any

from investigate.core.errors import key_text
from investigate.rules.conditions import RESULT, RuleResult
from investigate.rules.discrimination import leaf_discriminates


def key_path(path: tuple[Any, ...]) -> str:
    return key_text(path)


def verdict_dict(self: Any) -> dict[str, Any]:
    """A ``rules.verdict.Verdict`` as ``show --json`` prints it: outcome, flags, every rule's tree.

    (Typed ``Any``: this module sits below ``verdict``, which imports it.)
    """
    self.with_effects()
    assert self.raw_outcome is not None
    return {
        "hypothesis": self.hypothesis,
        "kind": self.kind,
        "outcome": self.outcome.value,
        "raw_outcome": self.raw_outcome.value,
        "decided_by": self.decided_by,
        "flags": [{"kind": f.kind, "detail": f.detail} for f in self.flags],
        "control": self.control,
        "evidence": self.evidence,
        "notes": self.notes,
        "rules": {
            name: {"value": r.value, "conditions": [c.evidence for c in r.conditions], "tree": tree_dict(r)}
            for name, r in self.rules.items()
        },
        "run_ids": self.run_ids,
        "failed_runs": [{"run_id": r.run_id, "status": r.status, "error": r.error} for r in self.failed],
        "post_hoc": None
        if self.post_hoc is None
        else {"current": self.post_hoc.current, "old": list(self.post_hoc.old), "runs": self.post_hoc.runs},
        "robustness": [
            {"condition": r.condition, "metric": r.metric, "result": RESULT[r.value], "decided_by": r.decided_by}
            for r in self.robustness
        ],
    }


def tree_dict(node: RuleResult) -> dict[str, Any]:
    """The rule's shape with its results: which branch of an ``any`` decided stays visible."""
    base: dict[str, Any] = {
        "op": node.op,
        "path": key_path(node.path),
        "result": "unresolved" if node.unresolved else RESULT[node.value],
        "decisive": node.decisive,
    }
    if node.condition is None:
        return {**base, "children": [tree_dict(c) for c in node.children]}
    c = node.condition
    op, target = c.rule.comparison
    over = c.rule.over
    return {
        **base,
        "arm": c.rule.arm,
        "vs": c.rule.vs,
        "where": c.rule.where,
        "metric": c.rule.metric,
        "comparison": {"op": op, "value": list(target) if op == "between" else target},
        "quantifier": over if isinstance(over, str) else {"fraction": over.fraction},
        "statistic": c.statistic,
        "hits": c.hits,
        "n_ok": c.n_ok,
        "n_failed": c.n_failed,
        "values": [
            {"run_ids": o.run_ids, "point": o.point, "seed": o.seed, "status": o.status, "value": o.value}
            for o in c.observations
        ],
        "evidence": c.evidence,
        "notes": c.notes,
        "other_arms": {arm: RESULT[v] for arm, v in c.other_arms.items()},
        "constant": c.constant,
        "discriminates": leaf_discriminates(c) if c.other_arms or c.constant else None,
        "effects": [e.to_dict() for e in c.effects],
        "unresolved": c.unresolved,
        "contrast": c.contrast.to_dict() if c.contrast else None,
        "robust_to": {m: RESULT[v] for m, v in c.robustness.items()},
    }
