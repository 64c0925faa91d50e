"""Turn a hypothesis' ``verdict:`` rules and its runs into a Verdict that cites its evidence.

Logic is three-valued: a condition is True, False or None (*untested*). None means the runs that
could decide it do not exist (or errored), so missing evidence never reads as a refutation.
Combinators follow Kleene's rules: ``all`` is False if any part is False, ``any`` is True if any
part is True, and ``not`` keeps None as None.

Choices worth knowing (the rule grammar leaves them open):
- A run that errored, timed out or was interrupted is an *unknown* observation: it never satisfies
  a condition, and it can stop ``all`` / ``fraction`` / ``mean`` / ``median`` from holding (that
  run might have gone either way), so a condition resting on one is None unless the ok runs
  already decide it. The verdict lists those runs.
- NaN (and a metric an ok run reported as null/missing) fails every comparison, ``equals``
  included, and turns a mean/median into NaN. Test for NaN through a boolean metric such as
  ``has_nan``.
- Booleans compare with ``equals`` only, and only against booleans (``true`` never equals 1).
"""

from __future__ import annotations

import difflib
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from investigate.errors import BISECT_BAD, BISECT_GOOD, BISECT_SKIP, InvestigateError, located
from investigate.schema import Fraction, Hypothesis, Outcome, Rule, RunRecord
from investigate.store import by_hypothesis, latest_records, read_records

Tri = bool | None
SYMBOLS = {"equals": "=", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "between": "in"}


@dataclass
class ConditionResult:
    """One leaf condition: its value, a sentence a human can check, and the runs it read."""

    path: tuple[Any, ...]  # key path inside the hypothesis file, for error messages
    value: Tri
    evidence: str
    run_ids: list[str] = field(default_factory=list)
    n_ok: int = 0
    n_failed: int = 0


@dataclass
class RuleResult:
    value: Tri
    conditions: list[ConditionResult]

    @property
    def tested(self) -> bool:
        return any(c.n_ok for c in self.conditions)


@dataclass
class Verdict:
    hypothesis: str
    outcome: Outcome
    decided_by: str | None  # "confirmed" / "ruled_out" / None when no rule held
    rules: dict[str, RuleResult]  # "confirmed", "ruled_out", "fix" (those declared)
    run_ids: list[str]
    failed: list[RunRecord]
    records: list[RunRecord]  # the latest runs of this hypothesis, ok or not

    @property
    def evidence(self) -> list[str]:
        """The sentences that decided the outcome (every rule's, when none held)."""
        names = [self.decided_by] if self.decided_by else ["confirmed", "ruled_out"]
        if self.outcome is Outcome.fixed:
            names.append("fix")
        return [c.evidence for n in names if n in self.rules for c in self.rules[n].conditions]

    @property
    def fix_verified(self) -> Tri:
        return self.rules["fix"].value if "fix" in self.rules else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "outcome": self.outcome.value,
            "decided_by": self.decided_by,
            "evidence": self.evidence,
            "rules": {
                name: {"value": r.value, "conditions": [c.evidence for c in r.conditions]}
                for name, r in self.rules.items()
            },
            "run_ids": self.run_ids,
            "failed_runs": [{"run_id": r.run_id, "status": r.status, "error": r.error} for r in self.failed],
        }


def fmt(value: Any) -> str:
    """Values as a YAML reader writes them: false, null, 0.81."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare(value: Any, op: str, target: Any) -> bool:
    """One measured value against the rule's value; NaN and null fail everything."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if op == "equals":
        if isinstance(value, bool) or isinstance(target, bool):
            return isinstance(value, bool) and isinstance(target, bool) and value is target
        return bool(value == target)
    if not _is_number(value):
        return False
    if op == "between":
        return bool(target[0] <= value <= target[1])
    return bool({"lt": value < target, "le": value <= target, "gt": value > target, "ge": value >= target}[op])


def matches_where(rec: RunRecord, where: dict[str, Any] | None) -> bool:
    """Whether a run's matrix point (or, failing that, its params) has every value of ``where``."""
    # The matrix point names the scenario; params cover keys a user filters on that are not in it.
    for key, want in (where or {}).items():
        have = rec.point[key] if key in rec.point else rec.params.get(key, _MISSING)
        if have is _MISSING or not compare(have, "equals", want):
            return False
    return True


_MISSING = object()


class Evaluator:
    """Evaluates rules of one hypothesis over its latest runs."""

    def __init__(self, hyp: Hypothesis, records: list[RunRecord], ws: Any = None) -> None:
        self.hyp, self.records, self.ws = hyp, records, ws

    def rule(self, rule: Rule, path: tuple[Any, ...]) -> RuleResult:
        if rule.all_ is not None or rule.any_ is not None:
            combo = "all" if rule.all_ is not None else "any"
            parts = [self.rule(r, (*path, combo, i)) for i, r in enumerate(rule.all_ or rule.any_ or [])]
            values = [p.value for p in parts]
            if combo == "all":
                value: Tri = False if False in values else (None if None in values else True)
            else:
                value = True if True in values else (None if None in values else False)
            return RuleResult(value, [c for p in parts for c in p.conditions])
        if rule.not_ is not None:
            inner = self.rule(rule.not_, (*path, "not"))
            return RuleResult(None if inner.value is None else not inner.value, inner.conditions)
        result = self.condition(rule, path)
        return RuleResult(result.value, [result])

    def condition(self, rule: Rule, path: tuple[Any, ...]) -> ConditionResult:
        assert rule.metric is not None
        matching = [r for r in self.records if (rule.arm is None or r.arm == rule.arm) and matches_where(r, rule.where)]
        ok = [r for r in matching if r.status == "ok"]
        failed = [r for r in matching if r.status != "ok"]
        op, target = rule.comparison
        label = f"{rule.arm}.{rule.metric}" if rule.arm else rule.metric
        scope = ", ".join(f"{k}={fmt(v)}" for k, v in (rule.where or {}).items())
        scope = f" ({scope})" if scope else ""
        ids = [r.run_id for r in matching]

        def result(value: Tri, evidence: str) -> ConditionResult:
            return ConditionResult(path, value, evidence, ids, len(ok), len(failed))

        failed_note = f"; {len(failed)} run(s) failed" if failed else ""
        if not ok:
            why = f"{len(failed)} run(s) failed, none ok" if failed else "no runs"
            return result(None, f"{label} {_cmp_text(op, target)}{scope}: untested ({why})")
        self._check_metric(rule, ok, path)
        values = [r.metrics.get(rule.metric) for r in ok]
        if op != "equals" and any(isinstance(v, (bool, str)) for v in values):
            raise self._error(path, f"metric {rule.metric!r} is not numeric; use 'equals' to compare it")
        over = rule.over
        if isinstance(over, str) and over in ("mean", "median"):
            stat = _statistic(over, values)
            holds = compare(stat, op, target)
            # An unknown run could move the statistic either way, so only ok-only samples decide it.
            value: Tri = None if failed else holds
            verb = _cmp_text(op, target) if holds else f"not {_cmp_text(op, target)}"
            text = f"{over}({label}) = {fmt(stat)} {verb} over {len(ok)} runs{scope}{failed_note}"
            return result(value, text + _undecided(value, failed))
        hits = sum(compare(v, op, target) for v in values)
        n_all = len(matching)
        if over == "all":
            value = False if hits < len(ok) else (None if failed else True)
            need = "all"
        elif over == "any":
            value = True if hits else (None if failed else False)
            need = "any"
        else:
            assert isinstance(over, Fraction)
            need_n = math.ceil(over.fraction * n_all - 1e-9)
            value = True if hits >= need_n else (None if hits + len(failed) >= need_n else False)
            need = f"≥ {over.fraction:g}"
        text = f"{label} {_cmp_text(op, target)} in {hits}/{n_all} runs{scope} (need {need}){failed_note}"
        return result(value, text + _undecided(value, failed))

    def _check_metric(self, rule: Rule, ok: list[RunRecord], path: tuple[Any, ...]) -> None:
        if any(rule.metric in r.metrics for r in ok):
            return
        present = sorted({m for r in ok for m in r.metrics})
        close = difflib.get_close_matches(rule.metric or "", present, n=3, cutoff=0.5)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else f"; the runs report: {', '.join(present) or 'no metrics'}"
        )
        raise self._error(path, f"metric {rule.metric!r} is in none of the {len(ok)} matching runs{hint}")

    def _error(self, path: tuple[Any, ...], reason: str) -> InvestigateError:
        if self.ws is not None:
            return self.ws.error_at(self.hyp.id, path, reason)  # type: ignore[no-any-return]
        return located(f"{self.hyp.id}.yaml", None, path, reason)


def _cmp_text(op: str, target: Any) -> str:
    if op == "between":
        return f"in [{fmt(target[0])}, {fmt(target[1])}]"
    return f"{SYMBOLS[op]} {fmt(target)}"


def _undecided(value: Tri, failed: list[RunRecord]) -> str:
    return " → undecided until the failed runs succeed" if value is None and failed else ""


def _statistic(over: str, values: list[Any]) -> float:
    numbers = [float(v) if _is_number(v) else math.nan for v in values]
    if any(math.isnan(v) for v in numbers):
        return math.nan  # a NaN (or missing) sample poisons the statistic on purpose
    return statistics.fmean(numbers) if over == "mean" else float(statistics.median(numbers))


def evaluate(hyp: Hypothesis, records: Iterable[RunRecord], ws: Any = None) -> Verdict:
    """The verdict of one hypothesis over ``records`` (any runs; only its latest are used)."""
    mine = latest_records(r for r in records if r.hypothesis == hyp.id)
    ev = Evaluator(hyp, mine, ws)
    rules: dict[str, RuleResult] = {}
    for name in ("confirmed", "ruled_out"):
        rule = getattr(hyp.verdict, name) if hyp.verdict else None
        if rule is not None:
            rules[name] = ev.rule(rule, ("verdict", name))
    if hyp.fix is not None and hyp.fix.verified_by is not None:
        rules["fix"] = ev.rule(hyp.fix.verified_by, ("fix", "verified_by"))
    decided_by = next((n for n in ("confirmed", "ruled_out") if n in rules and rules[n].value is True), None)
    if decided_by == "confirmed":
        outcome = Outcome.fixed if "fix" in rules and rules["fix"].value is True else Outcome.confirmed
    elif decided_by == "ruled_out":
        outcome = Outcome.ruled_out
    elif any(r.tested for n, r in rules.items() if n != "fix"):
        outcome = Outcome.inconclusive
    else:
        outcome = Outcome.untested
    cited = sorted({i for r in rules.values() for c in r.conditions for i in c.run_ids})
    failed = [r for r in mine if r.status != "ok"]
    return Verdict(hyp.id, outcome, decided_by, rules, cited, failed, mine)


def evaluate_workspace(ws: Any, records: list[RunRecord] | None = None) -> dict[str, Verdict]:
    """Verdicts of every hypothesis in the workspace, from the store unless ``records`` is given."""
    by_hyp = by_hypothesis(read_records(ws) if records is None else records)
    return {hid: evaluate(h, by_hyp.get(hid, []), ws) for hid, h in sorted(ws.hypotheses.items())}


def bisect_exit(verdict: Verdict) -> int:
    """The exit code ``git bisect run`` reads: 0 good, 1 bad, 125 cannot tell (skip this commit).

    "Good" is the state the hypothesis says a healthy tree is in. With a ``fix.verified_by`` rule
    that is the rule holding (the fix works at this commit); without one, it is the cause being
    ruled out (the failure is absent), and a confirmed cause is bad. A commit whose runs failed,
    or whose verdict is untested or inconclusive, cannot be judged either way, so it is skipped.
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
