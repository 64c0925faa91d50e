"""Turn a hypothesis' ``verdict:`` rules and its runs into a Verdict that cites its evidence.

The rules are evaluated by ``conditions`` (three-valued, failed runs unknown). Then a causal
hypothesis must show that its deciding rule tells the arms apart (``evidence``): a rule that would
hold on every arm, or rests on a number that never varies, flags the verdict and makes it
``inconclusive``; ``raw_outcome`` keeps what the rules alone said. A ``kind: derivation``
hypothesis is decided by its rules alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from investigate.core.errors import BISECT_BAD, BISECT_GOOD, BISECT_SKIP
from investigate.formats.schema import Hypothesis, Outcome, RunRecord
from investigate.rules.conditions import (
    ConditionResult,
    Evaluator,
    RuleResult,
    cmp_text,
    compare,
    fmt,
    matches_where,
)
from investigate.rules.counting import by_hypothesis, latest_records
from investigate.rules.discrimination import discriminates, leaf_discriminates
from investigate.rules.evidence import (
    BY_CONSTRUCTION,
    NOT_DISCRIMINATING,
    Effect,
    constant_value,
    effect,
    effects,
    material_margin,
)
from investigate.rules.posthoc import PostHoc, post_hoc
from investigate.rules.robust import METRIC_SENSITIVE, Row, robustness, sensitive
from investigate.rules.verdictjson import key_path, verdict_dict

__all__ = [
    "ConditionResult",
    "Evaluator",
    "Flag",
    "RuleResult",
    "Verdict",
    "bisect_exit",
    "compare",
    "evaluate",
    "evaluate_workspace",
    "fmt",
    "matches_where",
]


@dataclass(frozen=True)
class Flag:
    """A weakness of the evidence that makes a causal verdict inconclusive."""

    kind: str  # NOT_DISCRIMINATING or BY_CONSTRUCTION
    detail: str

    def text(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class Verdict:
    hypothesis: str
    outcome: Outcome
    decided_by: str | None  # "confirmed" / "ruled_out" / None when no rule held
    rules: dict[str, RuleResult]  # "confirmed", "ruled_out", "fix" (those declared)
    run_ids: list[str]
    failed: list[RunRecord]
    records: list[RunRecord]  # the latest runs of this hypothesis, ok or not
    raw_outcome: Outcome | None = None  # what the rules alone said, before the evidence checks
    kind: str = "causal"
    flags: list[Flag] = field(default_factory=list)
    control: str | None = None
    post_hoc: PostHoc | None = None  # the rules changed after some of the runs were recorded
    robustness: list[Row] = field(default_factory=list)  # robust_to: the verdict with each alternative metric
    _effects_done: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.raw_outcome is None:
            self.raw_outcome = self.outcome

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def notes(self) -> list[str]:
        """Notes the conditions left (non-numeric values), each once."""
        seen: dict[str, None] = {}
        for rule in self.rules.values():
            for c in rule.conditions:
                for note in c.notes:
                    seen.setdefault(f"{key_path(c.path)}: {note}", None)
        return list(seen)

    @property
    def evidence(self) -> list[str]:
        """The sentences that decided the outcome (every rule's, when none held)."""
        names = [self.decided_by] if self.decided_by else ["confirmed", "ruled_out"]
        if self.raw_outcome is Outcome.fixed:
            names.append("fix")
        return [c.evidence for n in names if n in self.rules for c in self.rules[n].conditions]

    @property
    def fix_verified(self) -> bool | None:
        return self.rules["fix"].value if "fix" in self.rules else None

    def deciding_conditions(self) -> list[ConditionResult]:
        """The leaves that set the deciding rule (the confirmed rule's when none held)."""
        name = self.decided_by or ("confirmed" if "confirmed" in self.rules else None)
        if name is None or name not in self.rules:
            return []
        return [c for c in self.rules[name].conditions if c.decisive]

    def with_effects(self) -> Verdict:
        """Fill every condition's effects against its control (bootstraps, so only on demand)."""
        if self._effects_done:
            return self
        cache: dict[tuple[Any, ...], list[Effect]] = {}
        for rule in self.rules.values():
            for cond in rule.conditions:
                r = cond.rule
                cond.effects = []
                for against, declared in cond.comparisons:
                    key = (r.metric, r.arm, against, declared, repr(sorted((r.where or {}).items())))
                    if key not in cache:
                        scoped = [x for x in self.records if matches_where(x, r.where)]
                        cache[key] = effects(str(r.metric), str(r.arm), against, declared, scoped)
                    cond.effects.extend(cache[key])
        self._effects_done = True
        return self

    def to_dict(self) -> dict[str, Any]:
        return verdict_dict(self)


def _arms(hyp: Hypothesis, records: list[RunRecord]) -> list[str]:
    if hyp.experiment is not None and hyp.experiment.arms:
        return hyp.experiment.arm_names
    return sorted({r.arm for r in records})


def _comparisons(hyp: Hypothesis, cond: ConditionResult, arms: list[str]) -> list[tuple[str, bool]]:
    """The arms a condition's effect is reported against, and whether each is a declared control."""
    arm = cond.rule.arm
    if arm is None:
        return []
    if cond.rule.vs is not None:
        return [(cond.rule.vs, True)]
    control = hyp.experiment.control if hyp.experiment else None
    if control is not None:
        return [] if control == arm else [(control, True)]
    return [(other, False) for other in arms if other != arm]


def _check_evidence(hyp: Hypothesis, ev: Evaluator, name: str, decided: RuleResult, arms: list[str]) -> list[Flag]:
    """Re-evaluate the deciding rule's conditions on the other arms; flag what cannot discriminate."""
    for cond in decided.conditions:
        rule = cond.rule
        if rule.arm is not None and rule.vs is None:
            for other in arms:
                if other != rule.arm:
                    moved = rule.model_copy(update={"arm": other})
                    cond.other_arms[other] = ev.condition(moved, cond.path, strict=False).value
        cond.constant = constant_value(str(rule.metric), ev.records)[0]
    deciding = [c for c in decided.conditions if c.decisive]
    flags = []
    if name == "confirmed" and discriminates(decided) is False:
        same = [_also_holds(c) for c in deciding if c.other_arms and not c.constant and leaf_discriminates(c) is False]
        flags.append(Flag(NOT_DISCRIMINATING, "; ".join(same) or "no deciding condition tells the arms apart"))
    if name == "ruled_out":
        blind = [t for c in deciding if not c.constant and leaf_discriminates(c) is False and (t := _blind(ev, c))]
        if blind:
            flags.append(Flag(NOT_DISCRIMINATING, "; ".join(blind)))
    for cond in deciding:
        if cond.constant:
            _, value, n = constant_value(str(cond.rule.metric), ev.records)
            text = f"{cond.rule.metric} = {fmt(value)} in all {n} runs (every arm, point and seed)"
            if all(f.detail != text for f in flags):
                flags.append(Flag(BY_CONSTRUCTION, text))
    return flags


def _also_holds(cond: ConditionResult) -> str:
    verb = "holds" if cond.value else "fails"
    others = ", ".join(sorted(cond.other_arms))
    return f"{cond.label} {cmp_text(*cond.rule.comparison)}{cond.scope} also {verb} on {others}"


def _blind(ev: Evaluator, cond: ConditionResult) -> str | None:
    """The material differences a condition that holds on every arm does not see, if any."""
    rule = cond.rule
    margin = material_margin(rule)
    scoped = [r for r in ev.records if r.status == "ok" and matches_where(r, rule.where)]
    seen = []
    for other in sorted(cond.other_arms):
        mine = [r for r in scoped if r.arm == rule.arm]
        theirs = [r for r in scoped if r.arm == other]
        e = effect(str(rule.metric), str(rule.arm), other, False, None, mine, theirs, medians=False)
        if e.mean_diff is not None and e.mean_ci is not None and (e.mean_ci[0] > margin or e.mean_ci[1] < -margin):
            seen.append(f"{rule.arm} − {other} = {e.mean_diff:+.3g} [{e.mean_ci[0]:+.3g}, {e.mean_ci[1]:+.3g}]")
    if not seen:
        return None
    return f"{_also_holds(cond)}, although {rule.metric} differs by more than {margin:.3g}: {', '.join(seen)}"


def evaluate(hyp: Hypothesis, records: Iterable[RunRecord], ws: Any = None, *, counted: bool = False) -> Verdict:
    """The verdict of one hypothesis over ``records`` (any runs; only its latest are used).

    ``counted``: ``records`` are already this hypothesis' ``latest_records`` (not chosen again).
    """
    mine = list(records) if counted else latest_records(r for r in records if r.hypothesis == hyp.id)
    ev = Evaluator(hyp, mine, ws)
    rules: dict[str, RuleResult] = {}
    for name in ("confirmed", "ruled_out"):
        rule = getattr(hyp.verdict, name) if hyp.verdict else None
        if rule is not None:
            rules[name] = ev.rule(rule, ("verdict", name))
    if hyp.fix is not None and hyp.fix.verified_by is not None:
        rules["fix"] = ev.rule(hyp.fix.verified_by, ("fix", "verified_by"))
    for result in rules.values():
        result.mark_decisive()
    decided_by = next((n for n in ("confirmed", "ruled_out") if n in rules and rules[n].value is True), None)
    if decided_by == "confirmed":
        outcome = Outcome.fixed if "fix" in rules and rules["fix"].value is True else Outcome.confirmed
    elif decided_by == "ruled_out":
        outcome = Outcome.ruled_out
    elif any(r.tested for n, r in rules.items() if n != "fix"):
        outcome = Outcome.inconclusive
    else:
        outcome = Outcome.untested
    arms = _arms(hyp, mine)
    for result in rules.values():
        for cond in result.conditions:
            cond.comparisons = _comparisons(hyp, cond, arms)
    flags = _check_evidence(hyp, ev, decided_by, rules[decided_by], arms) if decided_by and hyp.kind == "causal" else []
    written = {
        n: getattr(hyp.verdict, n) for n in ("confirmed", "ruled_out") if hyp.verdict and getattr(hyp.verdict, n)
    }
    rows = robustness(ev, written, rules)
    moved = sensitive(rows, decided_by)
    if moved and decided_by and hyp.kind == "causal":
        flags.append(Flag(METRIC_SENSITIVE, "; ".join(row.text() for row in moved)))
    cited = sorted({i for r in rules.values() for c in r.conditions for i in c.run_ids})
    failed = [r for r in mine if r.status != "ok"]
    return Verdict(
        hyp.id,
        Outcome.inconclusive if flags else outcome,
        decided_by,
        rules,
        cited,
        failed,
        mine,
        raw_outcome=outcome,
        kind=hyp.kind,
        flags=flags,
        control=hyp.experiment.control if hyp.experiment else None,
        post_hoc=post_hoc(hyp, mine),
        robustness=rows,
    )


def evaluate_workspace(ws: Any, records: Iterable[RunRecord], ids: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Verdicts of these hypotheses (every one when None) from these records (the ones that count are picked)."""
    by_hyp = by_hypothesis(records)
    wanted = sorted(ws.hypotheses) if ids is None else sorted(set(ids) & set(ws.hypotheses))
    return {hid: evaluate(ws.hypotheses[hid], by_hyp.get(hid, []), ws) for hid in wanted}


def initiative_hypotheses(ini: Any) -> list[str]:
    """Every hypothesis an initiative's files name: its list, its tree's nodes, its summary's claims
    and verification tables. What its tree, summary and audit need verdicts (and records) of."""
    ids = list(ini.hypotheses)
    if ini.decision_tree is not None:
        ids += [node.hypothesis for node in ini.decision_tree.nodes.values() if node.hypothesis]
    if ini.summary is not None:
        ids += list(ini.summary.claims)
        ids += [spec.hypothesis for spec, _where in ini.summary.verification_tables]
    return list(dict.fromkeys(ids))


def bisect_exit(verdict: Verdict) -> int:
    """The exit code ``git bisect run`` reads: 0 good, 1 bad, 125 cannot tell (skip this commit).

    "Good" is the state the hypothesis says a healthy tree is in. With a ``fix.verified_by`` rule
    that is the rule holding (the fix works at this commit); without one, it is the cause being
    ruled out (the failure is absent), and a confirmed cause is bad. A commit whose runs failed,
    or whose verdict is untested or inconclusive (flagged ones included), cannot be judged either
    way, so it is skipped.
    """
    if verdict.failed:
        return BISECT_SKIP
    if "fix" in verdict.rules:
        value = verdict.rules["fix"].value
        return BISECT_SKIP if value is None else (BISECT_GOOD if value else BISECT_BAD)
    if verdict.outcome is Outcome.ruled_out:
        return BISECT_GOOD
    if verdict.outcome in (Outcome.confirmed, Outcome.fixed):
        return BISECT_BAD
    return BISECT_SKIP
