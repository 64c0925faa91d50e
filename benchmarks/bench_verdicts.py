"""How often verdicts are right: simulated hypotheses through the real decision code, as JSON.

Each simulated hypothesis has 15 matrix points, a treated and a control arm, metric noise σ = 1 per
run, and 3 seeds unless said otherwise. Settings:
(a) no true effect; rule ``over: any`` ``ge: 0.5`` on the contrast: how often it is falsely
    confirmed by the previous point-estimate rule (a point's mean difference ≥ 0.5), by the
    interval decision with Holm's correction, and by it under ``--until-decided --max-seeds 20``;
(b) a true 1.5σ effect at one point: how often that rule confirms with the fixed 3 seeds, and
    with ``run --until-decided --max-seeds 20`` (the loop of ``rules.sequential``, which the CLI
    runs, here fed simulated runs), and the mean seeds used;
(c) equivalence, ``between: [-0.5, 0.5]`` (TOST): how often "no effect" is confirmed at a true
    effect 0, and falsely at a true effect 0.5 (the margin), per point (``over: all``) and pooled
    (``over: mean``), with 3 seeds and until decided.
Usage: python benchmarks/bench_verdicts.py [--trials 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from investigate.formats.schema import Hypothesis, Outcome, RunRecord
from investigate.rules.sequential import Need, plan_looks, sequential_marker, until_decided
from investigate.rules.verdict import evaluate

POINTS = 15
SEEDS = 3
SIGMA = 1.0


def hypothesis(confirmed: dict[str, Any] | None, ruled_out: dict[str, Any] | None) -> Hypothesis:
    rules = {k: v for k, v in (("confirmed", confirmed), ("ruled_out", ruled_out)) if v is not None}
    return Hypothesis.model_validate(
        {
            "id": "H-SIM",
            "title": "simulated",
            "statement": "s",
            "prediction": "p",
            "experiment": {
                "run": "sim:run",
                "matrix": {"point": list(range(POINTS))},
                "arms": {"control": {}, "treated": {}},
                "control": "control",
                "seeds": list(range(SEEDS)),
            },
            "verdict": rules,
        }
    )


class World:
    """One simulated hypothesis: true effects per point, and its runs as records."""

    def __init__(self, rng: np.random.Generator, effects: list[float], sequential: dict[str, Any] | None) -> None:
        self.rng, self.effects, self.sequential = rng, effects, sequential
        self.records: list[RunRecord] = []

    def run(self, seeds: list[int], points: list[int] | None = None) -> None:
        for point in points if points is not None else range(POINTS):
            for seed in seeds:
                for arm in ("control", "treated"):
                    value = float(self.rng.normal(self.effects[point] if arm == "treated" else 0.0, SIGMA))
                    self.records.append(
                        RunRecord(
                            run_id=f"{point}-{arm}-{seed}",
                            hypothesis="H-SIM",
                            entry="sim:run",
                            arm=arm,
                            point={"point": point},
                            seed=seed,
                            params={},
                            status="ok",
                            metrics={"m": value},
                            started_at="2026-01-01T00:00:00Z",
                            duration_s=0.0,
                            cache_key="k",
                            sequential=self.sequential,
                        )
                    )


def _points(needs: list[Need]) -> list[int]:
    return sorted({json.loads(key)["point"] for need in needs for key in need.points})


def trial(
    rng: np.random.Generator, hyp: Hypothesis, effects: list[float], max_seeds: int | None, batch: int | None = None
) -> tuple[Outcome, int, int]:
    """(outcome, seeds used at the most-sampled point, runs made) of one simulated hypothesis."""
    looks = plan_looks(SEEDS, max_seeds, batch) if max_seeds else [SEEDS]
    world = World(rng, effects, sequential_marker(looks, max_seeds, batch) if max_seeds else None)
    world.run(list(range(SEEDS)))
    if not max_seeds:
        return evaluate(hyp, world.records, counted=True).outcome, SEEDS, len(world.records)
    progress = until_decided(
        list(range(SEEDS)),
        looks,
        lambda: evaluate(hyp, world.records, counted=True),
        lambda seeds, needs: world.run(seeds, _points(needs)),
    )
    assert progress.verdict is not None
    return progress.verdict.outcome, progress.seeds, len(world.records)


def rate(outcomes: list[Outcome], wanted: Outcome) -> float:
    return round(sum(o is wanted for o in outcomes) / len(outcomes), 4)


def point_estimate_confirms(rng: np.random.Generator) -> bool:
    """The previous rule: confirmed when some point's mean difference over its seeds is ≥ 0.5."""
    diffs = rng.normal(0, SIGMA, (POINTS, SEEDS)) - rng.normal(0, SIGMA, (POINTS, SEEDS))
    return bool((diffs.mean(axis=1) >= 0.5).any())


def setting(
    rng: np.random.Generator,
    hyp: Hypothesis,
    effects: list[float],
    trials: int,
    max_seeds: int | None,
    batch: int | None = None,
) -> dict[str, Any]:
    results = [trial(rng, hyp, effects, max_seeds, batch) for _ in range(trials)]
    outcomes = [r[0] for r in results]
    return {
        "confirmed": rate(outcomes, Outcome.confirmed),
        "ruled_out": rate(outcomes, Outcome.ruled_out),
        "inconclusive": rate(outcomes, Outcome.inconclusive),
        "mean_seeds": round(statistics.fmean(r[1] for r in results), 2),
        "mean_runs": round(statistics.fmean(r[2] for r in results), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    contrast = {"arm": "treated", "vs": "control", "metric": "m"}
    any_rule = hypothesis({**contrast, "ge": 0.5, "over": "any"}, {**contrast, "lt": 0.5, "over": "all"})
    none = [0.0] * POINTS
    one = [1.5] + [0.0] * (POINTS - 1)
    out: dict[str, Any] = {"trials": args.trials, "points": POINTS, "seeds": SEEDS, "sigma": SIGMA}
    out["a_no_effect_false_confirm"] = {
        "point_estimate_rule": round(sum(point_estimate_confirms(rng) for _ in range(args.trials)) / args.trials, 4),
        "interval_rule_holm": setting(rng, any_rule, none, args.trials, None)["confirmed"],
        # the looks of --until-decided must not buy false confirmations: α is split over them
        "interval_rule_until_decided_20": setting(rng, any_rule, none, args.trials, 20)["confirmed"],
    }
    out["b_one_point_1.5_sigma"] = {
        "fixed_3_seeds": setting(rng, any_rule, one, args.trials, None),
        "until_decided_max_20": setting(rng, any_rule, one, args.trials, 20),  # looks at 3, 6, 12, 20 seeds
        "until_decided_max_20_batch_17": setting(rng, any_rule, one, args.trials, 20, 17),  # looks at 3, 20
    }
    equivalence: dict[str, Any] = {}
    for over in ("all", "mean"):
        hyp = hypothesis(None, {**contrast, "between": [-0.5, 0.5], "over": over})
        equivalence[f"over_{over}"] = {
            "true_0_fixed_3": setting(rng, hyp, none, args.trials, None)["ruled_out"],
            "true_0_until_decided_20": setting(rng, hyp, none, args.trials, 20)["ruled_out"],
            "true_margin_fixed_3": setting(rng, hyp, [0.5] * POINTS, args.trials, None)["ruled_out"],
            "true_margin_until_decided_20": setting(rng, hyp, [0.5] * POINTS, args.trials, 20)["ruled_out"],
        }
    out["c_equivalence_delta_0.5"] = equivalence
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
