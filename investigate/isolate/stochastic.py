"""Flaky outcomes: test one configuration over adaptively many replicates (seeds).

Model: each replicate of configuration c fails independently with an unknown rate θ_c, with a
Beta(a, b) prior (uniform by default). **A configuration fails when θ_c > threshold**, passes when
θ_c < threshold. The threshold has to separate two rates: a good configuration fails never or
rarely (θ ≈ 0), a flakily failing one still passes up to ~30 % of replicates (θ ≥ 0.7). Any value
between them is a consistent rule; unlike "fails if any replicate failed", it survives a spurious
failure of a good configuration. The default 0.3 sits nearer the good rate because telling 0.7
from a threshold is what costs replicates: the benchmark (flake 0.3, confidence 0.99, 50 trials a
case) measured 94-98 % correct at threshold 0.5 even with 100 replicates allowed, 100 % at 0.4
(100 allowed) and at 0.3 (with fewer runs: ~68 per search for one culprit among 16). A good
configuration then needs 12 straight passes, a clearly failing one 3 straight failures.

Replicates are drawn until the posterior says P(θ > threshold) ≥ confidence (FAIL) or
P(θ < threshold) ≥ confidence (PASS). After ``max_replicates`` attempts without that, the answer
is UNRESOLVED. A replicate that errored or could not be evaluated is no evidence either way: it
is counted against the cap and listed, but leaves the posterior unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from investigate.isolate.algorithm import Outcome, Tested, as_tested

RunFn = Callable[[frozenset[str], int], "Outcome | Tested"]  # one replicate: (keys, seed) -> outcome


def beta_cdf(x: float, a: int, b: int) -> float:
    """P(θ ≤ x) for θ ~ Beta(a, b) with integer a, b: the chance of ≥ a successes in a + b - 1 trials."""
    n = a + b - 1
    return sum(math.comb(n, k) * x**k * (1 - x) ** (n - k) for k in range(a, n + 1))


@dataclass
class Posterior:
    failures: int = 0
    passes: int = 0
    unresolved: int = 0

    def p_fails(self, threshold: float, prior: tuple[int, int]) -> float:
        """P(θ > threshold | replicates so far)."""
        return 1.0 - beta_cdf(threshold, prior[0] + self.failures, prior[1] + self.passes)


class ReplicatedTest:
    """A ``test(keys) -> Tested`` that runs ``run(keys, seed)`` for as many seeds as the evidence needs.

    ``map_fn`` (e.g. an executor's ``map``) runs ``jobs`` replicates at a time; the decision is
    taken after each batch, so a batch may spend up to ``jobs - 1`` replicates more than needed.
    """

    def __init__(
        self,
        run: RunFn,
        *,
        confidence: float = 0.99,
        threshold: float = 0.3,
        max_replicates: int = 50,
        prior: tuple[int, int] = (1, 1),
        seeds: Sequence[int] | None = None,
        jobs: int = 1,
        map_fn: Callable[..., Any] = map,
    ) -> None:
        if not 0.5 < confidence < 1 or not 0 < threshold < 1:
            raise ValueError("need 0.5 < confidence < 1 and 0 < threshold < 1")
        if min(prior) < 1 or max_replicates < 1 or jobs < 1:
            raise ValueError("prior counts, max_replicates and jobs must be positive integers")
        self.run, self.confidence, self.threshold = run, confidence, threshold
        self.max_replicates, self.prior, self.jobs, self.map_fn = max_replicates, prior, jobs, map_fn
        self.seeds = list(seeds) if seeds is not None else None

    def _seeds(self) -> Iterator[int]:
        # The same seeds for every configuration, so two configurations differ by their deltas only.
        return iter(self.seeds[: self.max_replicates]) if self.seeds is not None else iter(count())

    def _one(self, keys: frozenset[str], seed: int) -> Tested:
        try:
            return as_tested(self.run(keys, seed))
        except Exception as exc:  # noqa: BLE001 - a crashed replicate is no evidence, not a failure
            return Tested(Outcome.UNRESOLVED, note=f"{type(exc).__name__}: {exc}")

    def decide(self, post: Posterior) -> Outcome:
        p_fail = post.p_fails(self.threshold, self.prior)
        if p_fail >= self.confidence:
            return Outcome.FAIL
        if 1.0 - p_fail >= self.confidence:
            return Outcome.PASS
        return Outcome.UNRESOLVED

    def __call__(self, keys: frozenset[str]) -> Tested:
        post, run_ids, attempts = Posterior(), [], 0
        seeds = self._seeds()
        outcome = Outcome.UNRESOLVED
        while attempts < self.max_replicates:
            batch = [s for _, s in zip(range(min(self.jobs, self.max_replicates - attempts)), seeds, strict=False)]
            if not batch:
                break  # the seed list ran out before the evidence decided
            for answer in self.map_fn(lambda s: self._one(keys, s), batch):
                attempts += 1
                run_ids.extend(answer.run_ids)
                if answer.outcome is Outcome.FAIL:
                    post.failures += 1
                elif answer.outcome is Outcome.PASS:
                    post.passes += 1
                else:
                    post.unresolved += 1
            outcome = self.decide(post)
            if outcome is not Outcome.UNRESOLVED:
                break
        p_fail = post.p_fails(self.threshold, self.prior)
        note = f"{post.failures} failed, {post.passes} passed, {post.unresolved} unresolved; P(fails) = {p_fail:.3g}"
        return Tested(outcome, replicates=attempts, run_ids=run_ids, note=note)
