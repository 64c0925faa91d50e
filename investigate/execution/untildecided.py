"""``run --until-decided``: the sequential loop of ``rules.sequential`` driven by the real runner.

Extra seeds are ordinary planned runs (cached, recorded as usual), restricted to the arms and
matrix points where a deciding contrast is still unresolved. Every record of the invocation
carries the plan (``RunRecord.sequential``) so later verdicts keep the α split over its looks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from investigate.core.errors import InvestigateError
from investigate.rules.evidence import point_key
from investigate.rules.sequential import Need, Progress, plan_looks, sequential_marker, until_decided
from investigate.rules.verdict import Verdict, evaluate
from investigate.store.records import read_records

if TYPE_CHECKING:
    from investigate.formats.schema import Hypothesis, RunRecord
    from investigate.plan.expand import PlannedRun
    from investigate.workspace.load import Workspace

SEQUENTIAL_PLAN = "run_sequential_plan"  # ws.memo key the recorder reads


def start_plan(ws: Workspace, hyp: Hypothesis, max_seeds: int, batch: int | None) -> list[int]:
    """Fix the looks before any run, and mark this invocation's records with them."""
    declared = hyp.experiment.seeds if hyp.experiment else []
    if max_seeds < len(declared):
        raise InvestigateError(
            f"--max-seeds {max_seeds} is below the {len(declared)} seeds {hyp.id} declares; give at least that many"
        )
    if batch is not None and batch < 1:
        raise InvestigateError(f"--batch expects a positive number of seeds, got {batch}")
    looks = plan_looks(len(declared), max_seeds, batch)
    ws.memo[SEQUENTIAL_PLAN] = sequential_marker(looks, max_seeds, batch)
    return looks


def wanted(runs: list[PlannedRun], needs: list[Need]) -> list[PlannedRun]:
    """The planned runs at the arms and points some unresolved contrast needs."""
    return [r for r in runs if any((not n.arms or r.arm in n.arms) and point_key(r.point) in n.points for n in needs)]


def run_until_decided(
    ws: Workspace,
    hyp: Hypothesis,
    looks: list[int],
    plan_seeds: Callable[[list[int]], list[PlannedRun]],
    execute: Callable[[list[PlannedRun]], list[RunRecord]],
) -> Progress:
    """Run the looks after the first (the declared seeds, already run); print what each look decided."""

    def current() -> Verdict:
        return evaluate(hyp, read_records(ws, hyp.id), ws)

    def more(seeds: list[int], needs: list[Need]) -> None:
        runs = wanted(plan_seeds(seeds), needs)
        print(f"until-decided: {hyp.id}: seeds {seeds[0]}..{seeds[-1]} at {len(runs)} run(s)", file=sys.stderr)
        execute(runs)

    declared = hyp.experiment.seeds if hyp.experiment else []
    progress = until_decided(declared, looks, current, more)
    for condition, seeds in progress.decided_at.items():
        said = f"decided with {seeds} seeds" if seeds is not None else f"still unresolved at {progress.seeds} seeds"
        print(f"until-decided: {hyp.id}: {condition}: {said}", file=sys.stderr)
    return progress
