"""Weaknesses of the evidence, one finding per line: ``H-X: <kind>: <detail>``.

Static findings need only the files (``validate`` prints them as warnings):
- ``rules_overlap``: ``confirmed`` and ``ruled_out`` can both hold on the same runs (see ``overlap``
  for what is and is not detected).
- ``no_contrast``: a causal hypothesis whose rules read one arm and one scope only, and declare
  no control: nothing in them is compared with a control, another arm or another matrix point.
- ``single_seed``: a causal experiment with one seed cannot tell an effect from noise.

Evidence findings need the runs:
- ``not_discriminating`` / ``decided_by_construction?``: the verdict's flags (see ``evidence``).
- ``deterministic``: a confirmed (or fixed) causal verdict whose every deciding metric takes one
  value per arm in all of its runs, whatever the seed or matrix point. The seeds then replicate
  nothing, and the result follows from each arm's settings: the signature of a quantity computed
  by construction (a ratio that is an identity, a flag nothing can set). The records cannot tell
  that from a deterministic real effect, so this asks a human to look; ``kind: derivation``
  states the former.
- ``effect_unresolved``: a confirmed (or fixed) causal verdict compared with a declared control,
  where no deciding condition's effect against it has a 95 % interval that excludes zero.
- ``single_seed``: the deciding runs all share one seed, though the experiment declares more.
- ``non_numeric``: a value that is not a number under a numeric comparison (it failed).
- ``claim_contradicted``: an initiative's narrative claims an outcome the runs do not give.
- ``claim_unsupported``: a claimed causal outcome that no declared control supports: no deciding
  condition is compared with ``experiment.control`` or a ``vs:`` arm, or (for confirmed / fixed)
  no effect against it has a 95 % interval that excludes zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from investigate.formats.schema import FINDINGS, Hypothesis, Initiative, Outcome
from investigate.rules.conditions import ConditionResult, fmt, matches_where
from investigate.rules.overlap import overlap
from investigate.rules.verdict import Verdict, evaluate_workspace, initiative_hypotheses

KINDS = FINDINGS


@dataclass(frozen=True)
class Finding:
    hypothesis: str
    kind: str
    detail: str
    acknowledged: str | None = None  # the reason a human gave in the hypothesis' ``acknowledge:``

    def line(self) -> str:
        ack = f" [acknowledged: {self.acknowledged}]" if self.acknowledged is not None else ""
        return f"{self.hypothesis}: {self.kind}: {self.detail}{ack}"

    def to_dict(self) -> dict[str, str]:
        out = {"hypothesis": self.hypothesis, "kind": self.kind, "detail": self.detail}
        return out if self.acknowledged is None else {**out, "acknowledged": self.acknowledged}


def static_findings(hyp: Hypothesis) -> list[Finding]:
    """What the hypothesis file alone shows (cheap: no runs are read)."""
    out: list[Finding] = []
    rules = hyp.verdict
    arms = hyp.experiment.arm_names if hyp.experiment else []
    if rules is not None and rules.confirmed is not None and rules.ruled_out is not None:
        both = overlap(rules.confirmed, rules.ruled_out, arms)
        if both is not None:
            left = " and ".join(lit.text for lit in both[0])
            right = " and ".join(lit.text for lit in both[1])
            out.append(Finding(hyp.id, "rules_overlap", f"confirmed ({left}) and ruled_out ({right}) can both hold"))
    if hyp.kind != "causal":
        return out
    contrast = _contrast(hyp)
    if contrast is not None:
        out.append(Finding(hyp.id, "no_contrast", contrast))
    if hyp.experiment is not None and len(hyp.experiment.seeds) == 1:
        out.append(Finding(hyp.id, "single_seed", "one seed: an effect cannot be told from noise"))
    return out


def _contrast(hyp: Hypothesis) -> str | None:
    """Why the rules compare nothing, or None when they compare arms, points or use ``vs``."""
    if hyp.verdict is None:
        return None
    leaves = [leaf for rule in (hyp.verdict.confirmed, hyp.verdict.ruled_out) if rule for leaf in rule.leaves()]
    if not leaves or any(leaf.vs for leaf in leaves):
        return None
    arms = {leaf.arm for leaf in leaves if leaf.arm is not None}
    control = hyp.experiment.control if hyp.experiment else None
    if control is not None and arms - {control}:
        return None  # each condition on another arm reports its effect against the declared control
    scopes: dict[str, set[str]] = {}
    for leaf in leaves:
        scopes.setdefault(str(leaf.metric), set()).add(repr((leaf.arm, sorted((leaf.where or {}).items()))))
    if len(arms) >= 2 or any(len(s) >= 2 for s in scopes.values()):
        return None
    n_arms = len(hyp.experiment.arm_names) if hyp.experiment else 1
    read = f"arm {next(iter(arms))}" if arms else "all runs pooled"
    design = "the experiment has one arm" if n_arms == 1 else f"the other {n_arms - 1} arm(s) are never read"
    return f"every condition reads {read} ({', '.join(sorted(scopes))}); {design}, so no control is compared"


def evidence_findings(hyp: Hypothesis, verdict: Verdict) -> list[Finding]:
    """What the verdict over the latest runs shows."""
    out = [Finding(hyp.id, f.kind, f.detail) for f in verdict.flags]
    deciding = verdict.deciding_conditions() if verdict.decided_by else []
    if hyp.kind == "causal" and verdict.raw_outcome in (Outcome.confirmed, Outcome.fixed):
        fixed = _deterministic(verdict, deciding)
        if fixed:
            out.append(
                Finding(
                    hyp.id,
                    "deterministic",
                    f"every deciding metric is one value per arm in all its runs ({fixed}): the seeds replicate "
                    "nothing. A deterministic effect (a crash against no crash) is a legitimate causal result: "
                    "once you have checked it is not an identity of the code, keep it with acknowledge: "
                    "[{finding: deterministic, reason: ...}]",
                )
            )
        if any(declared for c in deciding for _, declared in c.comparisons):
            verdict.with_effects()
            if not any(e.resolved for c in deciding for e in c.effects if e.declared):
                out.append(Finding(hyp.id, "effect_unresolved", _UNRESOLVED))
    seeds = {o.seed for c in deciding for o in c.observations if o.status == "ok" and o.seed is not None}
    declared = len(hyp.experiment.seeds) if hyp.experiment else 1
    if hyp.kind == "causal" and len(seeds) == 1 and declared > 1:
        out.append(
            Finding(
                hyp.id,
                "single_seed",
                f"decided from runs of seed {seeds.pop()} only; the experiment declares {declared}",
            )
        )
    out.extend(Finding(hyp.id, "non_numeric", note) for note in verdict.notes)
    if verdict.post_hoc is not None:
        out.append(Finding(hyp.id, "post_hoc", verdict.post_hoc.text()))
    if hyp.kind == "causal":
        out.extend(Finding(hyp.id, "underpowered", text) for text in underpowered(verdict))
    return out


def underpowered(verdict: Verdict) -> list[str]:
    """Contrasts whose seeds could not detect an effect as large as the rule's own threshold."""
    out = []
    for rule in (verdict.rules.get(n) for n in ("confirmed", "ruled_out")):
        for cond in rule.conditions if rule is not None else []:
            test, (op, target) = cond.contrast, cond.rule.comparison
            if test is None or test.mde is None or op == "equals":
                continue
            size = (float(target[1]) - float(target[0])) / 2 if op == "between" else abs(float(target))
            if size > 0 and test.mde > size:
                out.append(
                    f"{cond.claim_text}: the smallest effect {test.seeds} seeds detect with 80 % power is "
                    f"{test.mde:.3g} ({test.method}, {test.correction}), more than the rule's {size:.3g}; "
                    "add seeds (investigate run --until-decided)"
                )
    return out


def _deterministic(verdict: Verdict, deciding: list[ConditionResult]) -> str:
    """``metric: arm value, ...`` when every deciding metric is fixed per arm over ≥ 2 seeds, else ''."""
    parts: dict[str, str] = {}
    for cond in deciding:
        rule = cond.rule
        if rule.vs is not None:
            return ""
        scoped = [r for r in verdict.records if r.status == "ok" and matches_where(r, rule.where)]
        if len({r.seed for r in scoped}) < 2:
            return ""
        per_arm: dict[str, set[str]] = {}
        for r in scoped:
            per_arm.setdefault(r.arm, set()).add(fmt(r.metrics.get(str(rule.metric))))
        if not per_arm or any(len(v) != 1 for v in per_arm.values()):
            return ""
        sizes = {arm: sum(r.arm == arm for r in scoped) for arm in per_arm}
        parts[str(rule.metric)] = ", ".join(f"{a} {next(iter(v))} in {sizes[a]}" for a, v in sorted(per_arm.items()))
    return "; ".join(f"{m}: {text}" for m, text in parts.items())


def claim_findings(
    ini: Initiative, hypotheses: Mapping[str, Hypothesis], verdicts: dict[str, Verdict]
) -> list[Finding]:
    """Each claim of the initiative's narrative against the verdict and its controls."""
    out: list[Finding] = []
    claims = ini.summary.claims if ini.summary else {}
    for hid, claimed in claims.items():
        verdict, hyp = verdicts.get(hid), hypotheses.get(hid)
        if verdict is None or hyp is None:
            continue
        outcome = verdict.outcome
        if outcome is not claimed and (claimed, outcome) != (Outcome.confirmed, Outcome.fixed):
            why = f" (flagged {', '.join(f.kind for f in verdict.flags)})" if verdict.flags else ""
            out.append(
                Finding(
                    hid, "claim_contradicted", f"{ini.id} claims {claimed.value}; the runs say {outcome.value}{why}"
                )
            )
        if hyp.kind != "causal" or claimed not in (Outcome.confirmed, Outcome.fixed, Outcome.ruled_out):
            continue
        unsupported = _unsupported(verdict.with_effects(), claimed)
        if unsupported:
            out.append(Finding(hid, "claim_unsupported", f"{ini.id} claims {claimed.value}, but {unsupported}"))
    return out


_UNRESOLVED = "no effect against the control has a 95 % interval that excludes 0"


def _unsupported(verdict: Verdict, claimed: Outcome) -> str:
    deciding = verdict.deciding_conditions()
    if any(c.contrast is not None and c.contrast.value is not None for c in deciding):
        return ""  # a contrast (vs an arm, or vs a reference point) decided on its interval
    declared = [e for c in deciding for e in c.effects if e.declared]
    if not any(declared_arm for c in deciding for _, declared_arm in c.comparisons):
        return "no deciding condition is compared with a declared control (experiment.control, or vs: on a condition)"
    if claimed in (Outcome.confirmed, Outcome.fixed) and not any(e.resolved for e in declared):
        return _UNRESOLVED
    return ""


def audit_scope(ws: Any, target: str | None) -> list[str]:
    """The hypotheses an audit of ``target`` judges, and those its initiatives' claims name."""
    if target is None:
        return sorted(ws.hypotheses)
    if target in ws.initiatives:
        return initiative_hypotheses(ws.initiative(target))
    claims = [i for i in ws.initiatives.values() if target in (i.summary.claims if i.summary else {})]
    return list(dict.fromkeys([ws.hypothesis(target).id, *(h for i in claims for h in initiative_hypotheses(i))]))


def audit(ws: Any, records: list[Any], target: str | None = None) -> list[Finding]:
    """Every finding for one hypothesis, one initiative, or (``target`` None) the whole workspace;
    ``records``: at least those of ``audit_scope``."""
    verdicts = evaluate_workspace(ws, records, audit_scope(ws, target))
    if target is None:
        ids, initiatives = sorted(ws.hypotheses), list(ws.initiatives.values())
    elif target in ws.initiatives:
        initiatives = [ws.initiative(target)]
        ids = list(initiatives[0].hypotheses)
    else:
        ids = [ws.hypothesis(target).id]
        initiatives = [i for i in ws.initiatives.values() if target in (i.summary.claims if i.summary else {})]
    found: list[Finding] = []
    for hid in ids:
        hyp = ws.hypotheses[hid]
        found.extend(static_findings(hyp))
        found.extend(evidence_findings(hyp, verdicts[hid]))
    for ini in initiatives:
        found.extend(f for f in claim_findings(ini, ws.hypotheses, verdicts) if f.hypothesis in ids)
    order = {hid: i for i, hid in enumerate(ids)}
    found = [acknowledged(ws.hypotheses.get(f.hypothesis), f) for f in found]
    return sorted(found, key=lambda f: (order.get(f.hypothesis, len(order)), KINDS.index(f.kind)))


def acknowledged(hyp: Hypothesis | None, finding: Finding) -> Finding:
    """The finding with the reason its hypothesis' ``acknowledge:`` gives for its kind, if any."""
    for ack in hyp.acknowledge if hyp is not None else []:
        if ack.finding == finding.kind:
            return Finding(finding.hypothesis, finding.kind, finding.detail, ack.reason)
    return finding
