"""The rule engine: one condition, or a tree of ``all`` / ``any`` / ``not``, over a hypothesis' runs.

Logic is three-valued: a condition is True, False or None (*untested*). None means the runs that
could decide it do not exist (or errored), so missing evidence never reads as a refutation.
Combinators follow Kleene's rules: ``all`` is False if any part is False, ``any`` is True if any
part is True, and ``not`` keeps None as None. The result keeps the rule's tree shape, and marks
which branches decided it, so a verdict can say which ``any`` branch held.

Choices worth knowing (the rule grammar leaves them open):
- A run that errored, timed out or was interrupted is an *unknown* observation: it never satisfies
  a condition, and it can stop ``all`` / ``fraction`` / ``mean`` / ``median`` from holding (that
  run might have gone either way), so a condition resting on one is None unless the ok runs
  already decide it. The verdict lists those runs.
- NaN (and a metric an ok run reported as null/missing) fails every comparison, ``equals``
  included, and turns a mean/median into NaN. Test for NaN through a boolean metric such as
  ``has_nan``.
- Booleans compare with ``equals`` only, and only against booleans (``true`` never equals 1).
  A value that is not a number (a boolean, a string such as "nan", an integer too large for a
  float) under ``lt`` / ``le`` / ``gt`` / ``ge`` / ``between`` fails that comparison and leaves a
  note on the hypothesis; it never stops the other hypotheses from being judged.
- With ``vs: B`` a condition on arm A reads one value per matrix point: mean(A) − mean(B) over
  the seeds there (booleans as 0/1); with ``vs_point: {k: v}`` each point's mean minus the mean of
  the same arm at the reference point. A point where either side has a failed run is unknown.
  Such a contrast decides on its confidence interval (``contrasts``), so it can stay *unresolved*:
  None, like an untested condition, but with runs that could not tell.
"""

from __future__ import annotations

import difflib
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from investigate.core.errors import InvestigateError, located
from investigate.formats.schema import Fraction, Hypothesis, Rule, RunRecord
from investigate.rules.contrasts import ContrastTest, PointSample, decide
from investigate.rules.contrastview import contrast_sentence, workspace_confidence
from investigate.rules.evidence import Effect, number, point_key
from investigate.rules.samples import planned_looks, point_samples
from investigate.rules.values import cmp_text as cmp_text  # re-exported: the rule engine's vocabulary
from investigate.rules.values import compare as compare
from investigate.rules.values import fmt as fmt

Tri = bool | None
RESULT = {True: "pass", False: "fail", None: "untested"}


_MISSING = object()


def matches_where(rec: RunRecord, where: dict[str, Any] | None) -> bool:
    """Whether a run's matrix point (or, failing that, its params) has every value of ``where``."""
    # The matrix point names the scenario; params cover keys a user filters on that are not in it.
    for key, want in (where or {}).items():
        have = rec.point[key] if key in rec.point else rec.params.get(key, _MISSING)
        if have is _MISSING or not compare(have, "equals", want):
            return False
    return True


@dataclass
class Observation:
    """One value a condition read: a run's metric or, with ``vs``, a point's difference of means."""

    run_ids: list[str]
    point: dict[str, Any]
    seed: int | None  # None for a difference over seeds
    status: str
    value: Any = None


@dataclass
class ConditionResult:
    """One leaf condition: its value, the values it read, and what the evidence checks found."""

    path: tuple[Any, ...]  # key path inside the hypothesis file, for error messages
    rule: Rule
    value: Tri
    observations: list[Observation] = field(default_factory=list)
    statistic: float | None = None  # mean / median quantifiers
    hits: int | None = None  # all / any / fraction quantifiers
    notes: list[str] = field(default_factory=list)
    decisive: bool = False
    other_arms: dict[str, Tri] = field(default_factory=dict)  # the same condition on each other arm
    constant: bool = False  # the metric never varies across the hypothesis' runs
    comparisons: list[tuple[str, bool]] = field(default_factory=list)  # (arm, declared control?)
    effects: list[Effect] = field(default_factory=list)  # filled by Verdict.with_effects()
    contrast: ContrastTest | None = None  # how a contrast was decided (level, correction, points, power)
    robustness: dict[str, Tri] = field(default_factory=dict)  # robust_to: the value with each other metric

    @property
    def unresolved(self) -> bool:
        """Runs exist, but the interval does not decide: neither holds nor fails (not *untested*)."""
        return self.contrast is not None and self.n_ok > 0 and self.contrast.unresolved

    @property
    def claim_text(self) -> str:
        return f"{self.label} {cmp_text(*self.rule.comparison)}{self.scope}"

    @property
    def run_ids(self) -> list[str]:
        return [i for o in self.observations for i in o.run_ids]

    @property
    def n_ok(self) -> int:
        return sum(o.status == "ok" for o in self.observations)

    @property
    def n_failed(self) -> int:
        return len(self.observations) - self.n_ok

    @property
    def label(self) -> str:
        r = self.rule
        if r.vs:
            return f"({r.arm} − {r.vs}).{r.metric}"
        if r.vs_point:
            ref = ", ".join(f"{k}={fmt(v)}" for k, v in r.vs_point.items())
            return f"({r.arm + '.' if r.arm else ''}{r.metric} − at {ref})"
        return f"{r.arm}.{r.metric}" if r.arm else str(r.metric)

    @property
    def scope(self) -> str:
        scope = ", ".join(f"{k}={fmt(v)}" for k, v in (self.rule.where or {}).items())
        return f" ({scope})" if scope else ""

    @property
    def evidence(self) -> str:
        """The sentence ``show`` prints and the summary quotes, built from the fields above."""
        op, target = self.rule.comparison
        contrast = self.rule.is_contrast
        unit = "points" if contrast else "runs"
        failed_note = f"; {self.n_failed} {'point(s)' if contrast else 'run(s)'} failed" if self.n_failed else ""
        if not self.n_ok:
            why = f"{self.n_failed} run(s) failed, none ok" if self.n_failed else "no runs"
            return f"{self.label} {cmp_text(op, target)}{self.scope}: untested ({why})"
        over = self.rule.over
        notes = "".join(f"; {n}" for n in self.notes)
        if self.contrast is not None:
            return contrast_sentence(self.claim_text, self.contrast, len(self.observations), failed_note + notes)
        undecided = " → undecided until the failed runs succeed" if self.value is None and self.n_failed else ""
        if isinstance(over, str) and over in ("mean", "median"):
            holds = compare(self.statistic, op, target)
            verb = cmp_text(op, target) if holds else f"not {cmp_text(op, target)}"
            text = f"{over}({self.label}) = {fmt(self.statistic)} {verb} over {self.n_ok} {unit}{self.scope}"
            return text + failed_note + notes + undecided
        need = over if isinstance(over, str) else f"≥ {over.fraction:g}"
        text = f"{self.label} {cmp_text(op, target)} in {self.hits}/{len(self.observations)} {unit}{self.scope}"
        return f"{text} (need {need}){failed_note}{notes}{undecided}"


@dataclass
class RuleResult:
    """A rule's value with its shape kept: ``op`` is all / any / not / condition."""

    value: Tri
    op: str
    path: tuple[Any, ...]
    children: list[RuleResult] = field(default_factory=list)
    condition: ConditionResult | None = None
    decisive: bool = False

    @property
    def conditions(self) -> list[ConditionResult]:
        """Every leaf, in file order."""
        if self.condition is not None:
            return [self.condition]
        return [c for child in self.children for c in child.conditions]

    @property
    def tested(self) -> bool:
        return any(c.n_ok for c in self.conditions)

    @property
    def unresolved(self) -> bool:
        """Neither holds nor fails, and an interval that could not decide is among the reasons."""
        return self.value is None and any(c.unresolved for c in self.conditions)

    def mark_decisive(self, decisive: bool = True) -> None:
        """Mark the branches that set this node's value: for ``any`` that held, the parts that held."""
        self.decisive = decisive
        if self.condition is not None:
            self.condition.decisive = decisive
        for child in self.children:
            # all-true and any-false are set by every part (each agrees); otherwise by the parts that agree.
            child.mark_decisive(decisive and (self.op == "not" or child.value is self.value))


class Evaluator:
    """Evaluates rules of one hypothesis over its latest runs."""

    def __init__(self, hyp: Hypothesis, records: list[RunRecord], ws: Any = None) -> None:
        self.hyp, self.records, self.ws = hyp, records, ws
        self.confidence = workspace_confidence(ws)
        self.looks = planned_looks(records)

    def rule(self, rule: Rule, path: tuple[Any, ...], *, strict: bool = True) -> RuleResult:
        if rule.all_ is not None or rule.any_ is not None:
            combo = "all" if rule.all_ is not None else "any"
            parts = [self.rule(r, (*path, combo, i), strict=strict) for i, r in enumerate(rule.all_ or rule.any_ or [])]
            values = [p.value for p in parts]
            if combo == "all":
                value: Tri = False if False in values else (None if None in values else True)
            else:
                value = True if True in values else (None if None in values else False)
            return RuleResult(value, combo, path, parts)
        if rule.not_ is not None:
            inner = self.rule(rule.not_, (*path, "not"), strict=strict)
            return RuleResult(None if inner.value is None else not inner.value, "not", path, [inner])
        result = self.condition(rule, path, strict=strict)
        return RuleResult(result.value, "condition", path, condition=result)

    def condition(self, rule: Rule, path: tuple[Any, ...], *, strict: bool = True) -> ConditionResult:
        """One leaf. ``strict=False`` (re-evaluating on another arm) never raises for a missing metric."""
        assert rule.metric is not None
        scoped = [r for r in self.records if matches_where(r, rule.where)] if rule.where else self.records
        mine = [r for r in scoped if rule.arm is None or r.arm == rule.arm]
        samples: list[PointSample] | None = None
        if rule.vs is not None:
            samples = point_samples(rule, mine, [r for r in scoped if r.arm == rule.vs], same_point=True)
            checked = [r for r in scoped if r.status == "ok" and r.arm in (rule.arm, rule.vs)]
        elif rule.vs_point is not None:
            reference = [r for r in self.records if matches_where(r, rule.vs_point)]
            reference = [r for r in reference if rule.arm is None or r.arm == rule.arm]
            ref_keys = {point_key(r.point) for r in reference}
            compared = [r for r in mine if point_key(r.point) not in ref_keys]
            samples = point_samples(rule, compared, reference, same_point=False)
            checked = [r for r in compared + reference if r.status == "ok"]
        if samples is not None:
            observations = [_observed(s) for s in samples]
        else:
            observations = [
                Observation([r.run_id], r.point, r.seed, r.status, r.metrics.get(rule.metric)) for r in mine
            ]
            checked = [r for r in mine if r.status == "ok"]
        result = ConditionResult(path, rule, None, observations)
        if not result.n_ok:
            return result
        if not any(rule.metric in r.metrics for r in checked):
            if strict:
                raise self._missing_metric(rule, checked, path)
            return result
        if samples is not None:
            confidence = rule.confidence if rule.confidence is not None else self.confidence
            result.contrast = decide(rule, samples, confidence, self.looks)
            result.value = result.contrast.value
            result.hits = sum(p.holds for p in result.contrast.points)
            return result
        _decide(result)
        return result

    def _missing_metric(self, rule: Rule, ok: list[RunRecord], path: tuple[Any, ...]) -> InvestigateError:
        present = sorted({m for r in ok for m in r.metrics})
        close = difflib.get_close_matches(rule.metric or "", present, n=3, cutoff=0.5)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else f"; the runs report: {', '.join(present) or 'no metrics'}"
        )
        return self._error(path, f"metric {rule.metric!r} is in none of the {len(ok)} matching runs{hint}")

    def _error(self, path: tuple[Any, ...], reason: str) -> InvestigateError:
        if self.ws is not None:
            return self.ws.error_at(self.hyp.id, path, reason)  # type: ignore[no-any-return]
        return located(f"{self.hyp.id}.yaml", None, path, reason)


def _observed(sample: PointSample) -> Observation:
    """The point's difference of means, as ``show`` and the JSON list it."""
    if sample.failed:
        return Observation(sample.run_ids, sample.point, None, "failed")
    diff = statistics.fmean(sample.arm.values()) - statistics.fmean(sample.ref.values())
    return Observation(sample.run_ids, sample.point, None, "ok", diff)


def _decide(result: ConditionResult) -> None:
    """Set the condition's value (and statistic or hit count) from its ok observations."""
    rule = result.rule
    op, target = rule.comparison
    ok = [o.value for o in result.observations if o.status == "ok"]
    failed = result.n_failed
    if op != "equals":
        odd = [v for v in ok if v is not None and number(v) is None]
        if odd:
            shown = ", ".join(sorted({fmt(v) if not isinstance(v, str) else repr(v) for v in odd})[:3])
            result.notes.append(f"{len(odd)} value(s) not a number ({shown}) fail the comparison")
    over = rule.over
    if isinstance(over, str) and over in ("mean", "median"):
        numbers = [x for v in ok if (x := number(v)) is not None and not math.isnan(x)]
        if len(numbers) < len(ok):
            stat = math.nan  # a NaN (or missing, or non-numeric) sample poisons the statistic on purpose
        else:
            stat = statistics.fmean(numbers) if over == "mean" else float(statistics.median(numbers))
        result.statistic = stat
        # An unknown run could move the statistic either way, so only ok-only samples decide it.
        result.value = None if failed else compare(stat, op, target)
        return
    hits = sum(compare(v, op, target) for v in ok)
    result.hits = hits
    if over == "all":
        result.value = False if hits < len(ok) else (None if failed else True)
    elif over == "any":
        result.value = True if hits else (None if failed else False)
    else:
        assert isinstance(over, Fraction)
        need_n = math.ceil(over.fraction * len(result.observations) - 1e-9)
        result.value = True if hits >= need_n else (None if hits + failed >= need_n else False)
