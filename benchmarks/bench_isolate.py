"""Measure delta debugging on synthetic culprits and print JSON (no TensorFlow, no subprocesses).

Cases: n ∈ {16, 64} differing keys; (a) one culprit key, (b) two keys that fail only together;
flake rate p ∈ {0, 0.3}: a failing configuration passes a replicate with probability p, a
passing one never fails. Each case runs ``--trials`` searches with random culprit positions
(seeded). Per case: tested configurations (mean / max), runs (replicates, mean), accuracy (the
result is exactly the true culprit set), and the same for the baseline that applies one delta at
a time to the good configuration (which cannot see a pair that fails only together).

Usage: python benchmarks/bench_isolate.py [--trials 50] [--confidence 0.99] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from investigate.isolate import IsolationError, Outcome, ReplicatedTest, Tested, compute_deltas, isolate

Test = Callable[[frozenset[str]], Outcome | Tested]


def make_test(culprits: frozenset[str], flake: float, rng: random.Random, options: dict[str, Any]) -> Test:
    def replicate(keys: frozenset[str], seed: int) -> Outcome:
        if culprits <= keys and rng.random() >= flake:
            return Outcome.FAIL
        return Outcome.PASS

    if flake == 0:
        return lambda keys: replicate(keys, 0)
    return ReplicatedTest(replicate, **options)


def one_at_a_time(keys: list[str], test: Test) -> tuple[set[str], int, int]:
    """The baseline: good plus each single delta; the culprits are the singles that fail."""
    found, runs = set(), 0
    for key in keys:
        answer = test(frozenset({key}))
        tested = answer if isinstance(answer, Tested) else Tested(answer)
        runs += tested.replicates
        if tested.outcome is Outcome.FAIL:
            found.add(key)
    return found, len(keys), runs


def run_case(
    n: int, kind: str, flake: float, trials: int, rng: random.Random, options: dict[str, Any]
) -> dict[str, Any]:
    keys = [f"k{i}" for i in range(n)]
    deltas = compute_deltas(dict.fromkeys(keys, 0), dict.fromkeys(keys, 1))
    tests, runs, hits, base_tests, base_runs, base_hits, unproven = [], [], 0, [], [], 0, 0
    for _ in range(trials):
        truth = frozenset(rng.sample(keys, 1 if kind == "single" else 2))
        try:
            result = isolate(deltas, make_test(truth, flake, rng, options))
            tests.append(result.tests)
            runs.append(result.runs)
            hits += set(result.keys) == truth
            unproven += result.minimal is not True
        except IsolationError:  # the endpoints themselves could not be resolved: a miss
            tests.append(0)
            runs.append(0)
        found, b_tests, b_runs = one_at_a_time(keys, make_test(truth, flake, rng, options))
        base_tests.append(b_tests)
        base_runs.append(b_runs)
        base_hits += found == truth
    return {
        "n": n,
        "culprits": kind,
        "flake": flake,
        "trials": trials,
        "dd": {
            "tests_mean": round(statistics.fmean(tests), 2),
            "tests_max": max(tests),
            "runs_mean": round(statistics.fmean(runs), 1),
            "accuracy": hits / trials,
            "not_proven_minimal": unproven,
        },
        "one_at_a_time": {
            "tests_mean": round(statistics.fmean(base_tests), 2),
            "tests_max": max(base_tests),
            "runs_mean": round(statistics.fmean(base_runs), 1),
            "accuracy": base_hits / trials,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--confidence", type=float, default=0.99)
    parser.add_argument("--threshold", type=float, default=None, help="ReplicatedTest's (default: its own)")
    parser.add_argument("--max-replicates", type=int, default=None, help="ReplicatedTest's (default: its own)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    options: dict[str, Any] = {"confidence": args.confidence}
    if args.threshold is not None:
        options["threshold"] = args.threshold
    if args.max_replicates is not None:
        options["max_replicates"] = args.max_replicates
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    cases = [
        run_case(n, kind, flake, args.trials, rng, options)
        for flake in (0.0, 0.3)
        for kind in ("single", "pair")
        for n in (16, 64)
    ]
    out = {"replicated_test": options, "seed": args.seed, "cases": cases}
    out["seconds"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
