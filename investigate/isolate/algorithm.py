"""Zeller's isolating delta debugging (``dd``) over sets of deltas, with a cache and batched rounds.

A configuration is a frozenset of delta ids applied to the good configuration: ``frozenset()`` is
the good one, the full set the bad one. ``dd`` keeps a passing ``c_pass`` and a failing ``c_fail``
(``c_pass ⊂ c_fail``), splits their difference into ``n`` parts Δ_i and, in Zeller's order of
preference, moves them towards each other:

1. ``c_pass ∪ Δ_i`` fails   → ``c_fail = c_pass ∪ Δ_i``, n = 2   (reduce to subset)
2. ``c_fail \\ Δ_i`` passes → ``c_pass = c_fail \\ Δ_i``, n = 2  (increase to complement)
3. ``c_pass ∪ Δ_i`` passes  → ``c_pass = c_pass ∪ Δ_i``, n - 1  (increase to subset)
4. ``c_fail \\ Δ_i`` fails  → ``c_fail = c_fail \\ Δ_i``, n - 1  (reduce to complement)
5. otherwise n = 2n until each part is one delta.

UNRESOLVED never triggers a rule, so an unresolvable configuration only costs granularity.
The result's difference is 1-minimal in Zeller's sense: no single delta of it, added to
``c_pass`` or removed from ``c_fail``, is known to flip the outcome.

Tests of one round can run together: the round's configurations go to the batch callback
``jobs`` at a time, in the order above, and the first rule that applies ends the round. With
``jobs=1`` this is Zeller's sequential algorithm and spends the fewest tests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

U = TypeVar("U", bound=Hashable)


class Outcome(str, Enum):
    """What one test of a configuration says. Distinct from the verdict ``schema.Outcome``."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    UNRESOLVED = "unresolved"


@dataclass
class Tested:
    """A test's answer with the evidence behind it (replicates, run ids), passed through to the table."""

    __test__ = False  # not a pytest class, despite the name

    outcome: Outcome
    replicates: int = 1
    run_ids: list[str] = field(default_factory=list)
    note: str = ""


TestFn = Callable[[frozenset[str]], "Outcome | Tested"]
BatchFn = Callable[[list[frozenset[str]]], "Sequence[Outcome | Tested]"]
# dd's view: outcomes of a list of configurations of units (keys or sections).
Evaluate = Callable[[list[frozenset[U]]], list[Outcome]]


def as_tested(answer: Outcome | Tested) -> Tested:
    return answer if isinstance(answer, Tested) else Tested(Outcome(answer))


def sequential(test: TestFn) -> BatchFn:
    """A batch callback that tests one configuration after the other.

    An exception from ``test`` is an UNRESOLVED configuration (a combination of settings that
    cannot even be built is no evidence of the failure), recorded with its message.
    """

    def run(configs: list[frozenset[str]]) -> list[Outcome | Tested]:
        out: list[Outcome | Tested] = []
        for config in configs:
            try:
                out.append(test(config))
            except Exception as exc:  # noqa: BLE001 - any crash is "cannot tell", never pass/fail
                out.append(Tested(Outcome.UNRESOLVED, replicates=0, note=f"{type(exc).__name__}: {exc}"))
        return out

    return run


def parallel(test: TestFn, map_fn: Callable[..., Any]) -> BatchFn:
    """A batch callback over ``map_fn`` (e.g. ``ThreadPoolExecutor(...).map``), crashes as UNRESOLVED."""
    one = sequential(test)
    return lambda configs: list(map_fn(lambda c: one([c])[0], configs))


@dataclass
class Entry:
    """One row of the table of tested configurations."""

    config: frozenset[str]
    tested: Tested
    index: int  # order of testing, so the table reads as the search went


class Tester:
    """Tests configurations through the batch callback, each at most once, and keeps the table."""

    __test__ = False  # not a pytest class, despite the name

    def __init__(self, batch: BatchFn) -> None:
        self.batch = batch
        self.cache: dict[frozenset[str], Entry] = {}

    def __call__(self, configs: list[frozenset[str]]) -> list[Outcome]:
        todo = list(dict.fromkeys(c for c in configs if c not in self.cache))
        if todo:
            answers = list(self.batch(todo))
            if len(answers) != len(todo):
                raise RuntimeError(f"batch test returned {len(answers)} outcomes for {len(todo)} configurations")
            for config, answer in zip(todo, answers, strict=True):
                self.cache[config] = Entry(config, as_tested(answer), len(self.cache))
        return [self.cache[c].tested.outcome for c in configs]

    def outcome(self, config: frozenset[str]) -> Outcome:
        return self([config])[0]

    @property
    def table(self) -> list[Entry]:
        return sorted(self.cache.values(), key=lambda e: e.index)

    @property
    def runs(self) -> int:
        return sum(e.tested.replicates for e in self.cache.values())


def split(items: Sequence[U], n: int) -> list[list[U]]:
    """``n`` contiguous, nearly equal, non-empty parts, in order."""
    size, extra = divmod(len(items), n)
    parts, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        parts.append(list(items[start:end]))
        start = end
    return parts


def dd(
    c_pass: frozenset[U], c_fail: frozenset[U], order: Sequence[U], evaluate: Evaluate[U], jobs: int = 1
) -> tuple[frozenset[U], frozenset[U]]:
    """Isolate between a passing and a failing configuration; returns the final (c_pass, c_fail).

    ``order`` fixes the order of units for splitting; ``evaluate`` must answer PASS for
    ``c_pass`` and FAIL for ``c_fail`` (the caller checks, the search relies on it).
    """
    n, offset = 2, 0
    while True:
        delta = [u for u in order if u in c_fail and u not in c_pass]
        if len(delta) < 2:
            return c_pass, c_fail
        n = min(n, len(delta))
        parts = [frozenset(p) for p in split(delta, n)]
        step = _round(c_pass, c_fail, parts, offset, evaluate, max(1, jobs))
        if step is None:
            if n >= len(delta):
                return c_pass, c_fail
            n, offset = min(2 * n, len(delta)), 0
            continue
        c_pass, c_fail, n, offset = step[0], step[1], step[2], step[3]


def _round(
    c_pass: frozenset[U], c_fail: frozenset[U], parts: list[frozenset[U]], offset: int, evaluate: Evaluate[U], jobs: int
) -> tuple[frozenset[U], frozenset[U], int, int] | None:
    """One granularity level: test candidates ``jobs`` at a time until one of Zeller's rules applies."""
    n = len(parts)
    indices = [(j + offset) % n for j in range(n)]
    # With n = 2 the complement of one part is the other part added to c_pass: dedupe keeps order.
    candidates = list(dict.fromkeys(c for i in indices for c in (c_pass | parts[i], c_fail - parts[i])))
    known: dict[frozenset[U], Outcome] = {}
    for start in range(0, len(candidates), jobs):
        batch = candidates[start : start + jobs]
        known.update(zip(batch, evaluate(batch), strict=True))
        step = _apply_rules(c_pass, c_fail, parts, indices, known)
        if step is not None:
            return step
    return None


def _apply_rules(
    c_pass: frozenset[U],
    c_fail: frozenset[U],
    parts: list[frozenset[U]],
    indices: list[int],
    known: dict[frozenset[U], Outcome],
) -> tuple[frozenset[U], frozenset[U], int, int] | None:
    n = len(parts)
    # (test the subset c_pass ∪ Δ_i?, outcome wanted, coarser next round?) in Zeller's preference order
    rules = (
        (True, Outcome.FAIL, False),
        (False, Outcome.PASS, False),
        (True, Outcome.PASS, True),
        (False, Outcome.FAIL, True),
    )
    for subset, wanted, coarser in rules:
        for i in indices:
            config = c_pass | parts[i] if subset else c_fail - parts[i]
            if known.get(config) is wanted:
                new_pass, new_fail = (config, c_fail) if wanted is Outcome.PASS else (c_pass, config)
                return new_pass, new_fail, max(n - 1, 2) if coarser else 2, i
    return None
