"""The looks of ``run --until-decided`` and the loop that adds seeds only where a contrast is unresolved."""

from __future__ import annotations

import random

import pytest

from investigate.formats.schema import Hypothesis, Outcome, RunRecord
from investigate.rules.sequential import needs, plan_looks, sequential_marker, until_decided
from investigate.rules.verdict import evaluate


def test_planned_looks():
    assert plan_looks(3, 20, None) == [3, 6, 12, 20]  # doubling, capped
    assert plan_looks(3, 20, 5) == [3, 8, 13, 18, 20]
    assert plan_looks(3, 3, None) == [3]
    assert sequential_marker([3, 6], 6, None) == {"looks": 2, "max_seeds": 6, "batch": 0, "seeds_at_looks": [3, 6]}
    with pytest.raises(ValueError):
        plan_looks(0, 5, None)


HYP = Hypothesis.model_validate(
    {
        "id": "H-S",
        "title": "t",
        "statement": "s",
        "prediction": "p",
        "experiment": {"run": "m:f", "matrix": {"p": [0, 1]}, "arms": {"c": {}, "t": {}}, "seeds": [0, 1, 2]},
        "verdict": {
            "confirmed": {"arm": "t", "vs": "c", "metric": "m", "gt": 0.5, "over": "any"},
            "ruled_out": {"arm": "t", "vs": "c", "metric": "m", "lt": 0.5, "over": "all"},
        },
    }
)


class World:
    def __init__(self, effects, marker, seed=0):
        self.effects, self.marker, self.rng, self.records = effects, marker, random.Random(seed), []
        self.asked: list[tuple[list[int], list[int]]] = []

    def run(self, seeds, points):
        self.asked.append((list(seeds), list(points)))
        for p in points:
            for s in seeds:
                for arm in ("c", "t"):
                    value = self.rng.gauss(self.effects[p] if arm == "t" else 0.0, 0.3)
                    self.records.append(
                        RunRecord(
                            run_id=f"{p}{arm}{s}",
                            hypothesis="H-S",
                            entry="m:f",
                            arm=arm,
                            point={"p": p},
                            seed=s,
                            params={},
                            status="ok",
                            metrics={"m": value},
                            started_at="2026-01-01T00:00:00Z",
                            duration_s=0.0,
                            cache_key="k",
                            sequential=self.marker,
                        )
                    )


def loop(effects, seed=0):
    looks = plan_looks(3, 24, None)
    world = World(effects, sequential_marker(looks, 24, None), seed)
    world.run([0, 1, 2], [0, 1])
    progress = until_decided(
        [0, 1, 2],
        looks,
        lambda: evaluate(HYP, world.records, counted=True),
        lambda seeds, wanted: world.run(seeds, sorted({int(k[6:-1]) for n in wanted for k in n.points})),
    )
    return progress, world


def test_seeds_are_added_until_the_contrast_resolves():
    progress, world = loop([1.2, 0.0])
    assert progress.verdict is not None and progress.verdict.outcome is Outcome.confirmed
    assert progress.used[0] == 3 and progress.seeds <= 24
    # the α of every look is split over the 4 planned looks, stored on each record
    cond = progress.verdict.rules["confirmed"].conditions[0]
    assert cond.contrast is not None and cond.contrast.looks == 4
    assert progress.decided_at["confirmed: (t − c).m > 0.5"] == progress.seeds
    for seeds, _points in world.asked[1:]:
        assert min(seeds) >= 3  # new seeds continue after the declared ones


def test_only_unresolved_points_get_more_seeds():
    progress, world = loop([0.55, -2.0], seed=4)  # point 1 fails at once; point 0 sits at the threshold
    assert len(world.asked) > 1
    assert all(points == [0] for _, points in world.asked[1:])
    assert progress.used == [3, 6, 12, 24]  # it stays unresolved up to the cap
    assert progress.decided_at == {"confirmed: (t − c).m > 0.5": None, "ruled_out: (t − c).m < 0.5": None}
    assert progress.verdict is not None and [n.points for n in needs(progress.verdict)] == [('{"p": 0}',)] * 2
