"""The values a contrast reads: per matrix point, each side's value by seed, from the records.

Also ``planned_looks``: how many looks a sequential ``run --until-decided`` planned for these
records (1 when none of them was run that way), which divides every contrast's α.
"""

from __future__ import annotations

import math
from typing import Any

from investigate.formats.schema import Rule, RunRecord
from investigate.rules.contrasts import PointSample
from investigate.rules.evidence import number, point_key


def point_samples(rule: Rule, mine: list[RunRecord], theirs: list[RunRecord], *, same_point: bool) -> list[PointSample]:
    """Per point of ``mine``: its values and the reference's (``theirs`` at the same point, or all of
    ``theirs`` when the reference is another point), keyed by seed; booleans count as 0/1."""
    out = []
    points: dict[str, dict[str, Any]] = {}
    by_point: dict[str, list[RunRecord]] = {}
    for r in mine:
        key = point_key(r.point)
        points.setdefault(key, r.point)
        by_point.setdefault(key, []).append(r)
    ref_by_point: dict[str, list[RunRecord]] = {}
    for r in theirs if same_point else []:
        ref_by_point.setdefault(point_key(r.point), []).append(r)
    for key, point in points.items():
        a = by_point[key]
        b = ref_by_point.get(key, []) if same_point else theirs
        if not b:
            continue
        ids = [r.run_id for r in a + b]
        if any(r.status != "ok" for r in a + b):
            out.append(PointSample(point, ids, True, {}, {}))
            continue
        out.append(PointSample(point, ids, False, _by_seed(a, str(rule.metric)), _by_seed(b, str(rule.metric))))
    return out


def _by_seed(runs: list[RunRecord], metric: str) -> dict[Any, float]:
    # a missing or non-numeric value is NaN, and NaN fails every comparison
    return {r.seed: (x if (x := number(r.metrics.get(metric), bools=True)) is not None else math.nan) for r in runs}


def planned_looks(records: list[RunRecord]) -> int:
    """The largest number of looks any sequential invocation planned for these runs (1 if none)."""
    looks = 1
    for record in records:
        planned = (record.sequential or {}).get("looks")
        if isinstance(planned, int) and not isinstance(planned, bool) and planned > looks:
            looks = planned
    return looks
