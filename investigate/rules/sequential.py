"""``run --until-decided``: add seeds only where a deciding contrast is unresolved, with honest error control.

Error control across looks: Bonferroni over the *planned* looks. Before the first run the plan
fixes the seed counts at which the verdict will be looked at (the declared seeds, then ``batch``
more each time, or doubling when no batch is given, capped at ``max_seeds``). Every contrast of the
hypothesis is then tested at α / L for L planned looks, at every look, including the first. By the
union bound the chance that any look falsely decides is at most α, whatever the dependence between
looks and whenever the loop stops (an early stop only spends less). A group-sequential boundary
(Pocock, O'Brien–Fleming) would be less strict, but its nominal levels assume known correlations
between looks that a t statistic with re-estimated variance from a handful of seeds only roughly
has; an anytime-valid confidence sequence needs a variance bound the records do not give.
Doubling keeps L small (3 → 6 → 12 → 20 is 4 looks), so the price is a factor of about 4 on α.

The plan is stored on every record of the invocation (``RunRecord.sequential``), so any later
verdict over those records (``show``, ``audit``, the summary) applies the same α / L: the
correction does not disappear once the loop has ended.

``until_decided`` is the loop itself, over two functions a caller gives: evaluate the verdict, and
run (or simulate) the extra seeds where they are needed. The CLI and the benchmark both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from investigate.rules.conditions import ConditionResult
from investigate.rules.verdict import Verdict


def plan_looks(declared: int, max_seeds: int, batch: int | None) -> list[int]:
    """The seed counts at each planned look: declared, then +batch (or doubling) up to max_seeds."""
    if declared < 1:
        raise ValueError("the experiment declares no seeds")
    looks = [declared]
    while looks[-1] < max_seeds:
        step = batch if batch else looks[-1]
        looks.append(min(looks[-1] + step, max_seeds))
    return looks


def sequential_marker(looks: list[int], max_seeds: int, batch: int | None) -> dict[str, Any]:
    """What each record of the invocation carries (``RunRecord.sequential``)."""
    return {"looks": len(looks), "max_seeds": max_seeds, "batch": batch or 0, "seeds_at_looks": looks}


@dataclass(frozen=True)
class Need:
    """Where more seeds would help one unresolved contrast: its arms at these points."""

    condition: str
    arms: tuple[str, ...]  # () for every arm (a condition without an arm)
    points: tuple[str, ...]  # point keys (json), as ``evidence.point_key`` writes them


def unresolved(verdict: Verdict) -> list[ConditionResult]:
    """The contrasts of the rules that could still decide the verdict and whose intervals do not."""
    if verdict.decided_by is not None:
        return []
    return [
        c
        for name in ("confirmed", "ruled_out")
        if name in verdict.rules
        for c in verdict.rules[name].conditions
        if c.unresolved
    ]


def needs(verdict: Verdict) -> list[Need]:
    """For each unresolved contrast: the points still unresolved there (all its points if none is)."""
    from investigate.rules.evidence import point_key

    out = []
    for cond in unresolved(verdict):
        assert cond.contrast is not None
        points = [p for p in cond.contrast.points if p.state == "unresolved"] or cond.contrast.points
        # a pooled test (over: mean / median) has no per-point states: every point it read gains seeds
        keys = [point_key(p.point) for p in points] or [point_key(o.point) for o in cond.observations]
        if cond.rule.vs_point is not None:
            keys.append(point_key(cond.rule.vs_point))  # the reference point needs the new seeds too
        arms = tuple(a for a in (cond.rule.arm, cond.rule.vs) if a is not None)
        out.append(Need(cond.claim_text, arms, tuple(dict.fromkeys(keys))))
    return out


@dataclass
class Progress:
    """What the loop did: the seeds at each look, and the seeds each condition was decided with."""

    looks: list[int]
    used: list[int] = field(default_factory=list)  # seed counts actually looked at
    decided_at: dict[str, int | None] = field(default_factory=dict)  # condition -> seeds (None: never)
    verdict: Verdict | None = None

    @property
    def seeds(self) -> int:
        return self.used[-1] if self.used else 0


def _record_decisions(progress: Progress, verdict: Verdict, seeds: int) -> None:
    for name in ("confirmed", "ruled_out"):
        for cond in verdict.rules[name].conditions if name in verdict.rules else []:
            if cond.contrast is None:
                continue
            key = f"{name}: {cond.claim_text}"
            if cond.contrast.value is not None and progress.decided_at.get(key) is None:
                progress.decided_at[key] = seeds
            progress.decided_at.setdefault(key, None)


def until_decided(
    declared_seeds: list[int],
    looks: list[int],
    evaluate: Callable[[], Verdict],
    run: Callable[[list[int], list[Need]], None],
) -> Progress:
    """Look at the verdict at each planned seed count; add seeds where ``needs`` says, until decided.

    ``declared_seeds`` have already been run (under the plan's marker). New seeds continue after the
    largest declared one, so they never collide with a seed the experiment already names.
    """
    progress = Progress(looks)
    seeds = list(declared_seeds)
    for count in looks:
        if count > len(seeds):
            wanted = needs(progress.verdict) if progress.verdict is not None else []
            extra = list(range(max(seeds) + 1, max(seeds) + 1 + count - len(seeds)))
            run(extra, wanted)
            seeds += extra
        verdict = evaluate()
        progress.used.append(len(seeds))
        progress.verdict = verdict
        _record_decisions(progress, verdict, len(seeds))
        if not unresolved(verdict):
            break
    return progress
