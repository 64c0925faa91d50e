"""Which runs a request names: hypothesis ids and initiatives, narrowed by matrix values, seeds and a
profile. ``investigate run``, the Python API and the MCP server plan through this one function, so a
run asked for in any of them is the same run with the same cache key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from investigate.core.errors import InvestigateError
from investigate.plan.expand import Filters, PlannedRun, expand

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace


def select_runs(
    ws: Workspace,
    ids: Iterable[str],
    initiatives: Iterable[str] = (),
    where: Mapping[str, list[str]] | None = None,
    seeds: list[int] | None = None,
    profile: str | None = None,
    arms: list[str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> list[PlannedRun]:
    """The planned runs, in id order then the experiment's own order; raises when nothing is left.

    ``arms``: only these (``run --arm``); ``overrides``: ``run -p/--set`` (``plan.overrides``)."""
    chosen: list[str] = list(ids)
    for ini_id in initiatives:
        chosen += [h for h in ws.initiative(ini_id).hypotheses if ws.hypothesis(h).experiment is not None]
    if not chosen:
        raise InvestigateError("nothing to run: name hypothesis ids or --initiative X")
    filters = Filters(
        where={k: list(v) for k, v in (where or {}).items()}, seeds=seeds, profile=profile, arms=arms,
        overrides=dict(overrides or {}),
    )  # fmt: skip
    runs: list[PlannedRun] = []
    for hyp_id in dict.fromkeys(chosen):
        runs += expand(ws, ws.hypothesis(hyp_id), filters)
    if not runs:
        raise InvestigateError("the filters leave no runs to execute")
    return runs
