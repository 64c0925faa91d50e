"""The whole search: check the endpoints, isolate with ``dd``, grow the difference into a minimal culprit set.

``dd`` alone ends with one delta that flips the outcome *in the context of* ``c_pass``, which may
hold other deltas. When the failure needs two settings together, that one delta is half the
answer. So the search repeats: the isolated delta joins a fixed ``core``; if ``core`` alone fails
we are done, else ``dd`` runs again over the deltas of the last ``c_pass``, each configuration
tested with ``core`` added. Under a monotone failure every removal of one culprit then passes
(1-minimal, ddmin's sense); ``verify`` checks that with at most one test per culprit (often
cached) and restarts on a smaller failing set if a removal still fails.

``by_section`` runs the same search over top-level sections first (each section's deltas switched
together), then over the keys of the culprit sections only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.isolate.algorithm import BatchFn, Entry, Evaluate, Outcome, Tester, TestFn, U, dd, sequential
from investigate.isolate.configs import ABSENT, Delta, sections


class IsolationError(InvestigateError):
    """The endpoints do not behave as good/bad, so there is nothing to isolate."""


@dataclass
class IsolationResult:
    deltas: list[Delta]  # every difference between good and bad
    culprits: list[Delta]  # the minimal failure-inducing difference, applied to good
    minimal: bool | None  # True: each single removal is known to pass; None: not established
    table: list[Entry]  # every configuration tested, in order
    by_section: bool = False
    culprit_sections: list[str] | None = None

    @property
    def tests(self) -> int:
        return len(self.table)

    @property
    def runs(self) -> int:
        return sum(e.tested.replicates for e in self.table)

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.culprits]

    def proven_sets(self) -> list[list[Delta]]:
        """Every 1-minimal failing set the table proves by its own tests: the set failed, and each of
        its one-key removals was tested and passed. ``culprits`` first when it is one of them.

        dd stops at the first culprit; a table often shows more (a second key that fails alone),
        and each is an answer the user should see.
        """
        outcome = {e.config: e.tested.outcome for e in self.table}
        proven = [
            config
            for config, got in outcome.items()
            if got is Outcome.FAIL and config and all(outcome.get(config - {k}) is Outcome.PASS for k in config)
        ]
        order = {d.key: i for i, d in enumerate(self.deltas)}
        first = frozenset(self.keys)
        proven.sort(key=lambda c: (c != first, len(c), sorted(order.get(k, 0) for k in c)))
        by_key = {d.key: d for d in self.deltas}
        return [[by_key[k] for k in sorted(c, key=lambda k: order.get(k, 0)) if k in by_key] for c in proven]

    def to_json(self) -> dict[str, Any]:
        return {
            "culprits": [_delta_json(d) for d in self.culprits],
            "culprit_sets": [[_delta_json(d) for d in found] for found in self.proven_sets()],
            "minimal": self.minimal,
            "tests": self.tests,
            "runs": self.runs,
            "n_deltas": len(self.deltas),
            "by_section": self.by_section,
            "culprit_sections": self.culprit_sections,
            "table": [
                {
                    "keys": [d.key for d in self.deltas if d.key in e.config],
                    "outcome": e.tested.outcome.value,
                    "replicates": e.tested.replicates,
                    "run_ids": e.tested.run_ids,
                    **({"note": e.tested.note} if e.tested.note else {}),
                }
                for e in self.table
            ],
        }


def _delta_json(d: Delta) -> dict[str, Any]:
    # ABSENT has no JSON spelling that cannot clash with a real value, so it is a separate field.
    absent = "good" if d.good is ABSENT else "bad" if d.bad is ABSENT else None
    return {
        "key": d.key,
        "good": None if d.good is ABSENT else d.good,
        "bad": None if d.bad is ABSENT else d.bad,
        **({"absent": absent} if absent else {}),
    }


def isolate(
    deltas: Sequence[Delta],
    test: TestFn | None = None,
    *,
    batch: BatchFn | None = None,
    jobs: int = 1,
    by_section: bool = False,
    verify: bool = True,
) -> IsolationResult:
    """Find a minimal set of deltas that, applied to the good configuration, makes it fail.

    Give ``test(keys) -> Outcome | Tested`` or ``batch(list_of_keys) -> [Outcome | Tested]``; the
    batch form receives up to ``jobs`` configurations at once (the two endpoints always together).
    """
    if test is not None and batch is None:
        tester = Tester(sequential(test))
    elif batch is not None and test is None:
        tester = Tester(batch)
    else:
        raise ValueError("give exactly one of test or batch")
    keys = [d.key for d in deltas]
    if len(set(keys)) != len(keys):
        raise ValueError("delta keys repeat")
    if not keys:
        raise IsolationError("the good and the bad configuration are identical: nothing to isolate")
    good, bad = tester([frozenset(), frozenset(keys)])
    if good is not Outcome.PASS or bad is not Outcome.FAIL:
        raise IsolationError(
            f"the good configuration tests {good.value} and the bad one {bad.value}; "
            "isolation needs good = pass and bad = fail"
        )
    culprit_sections = None
    universe = keys
    if by_section:
        groups = sections(deltas)
        names = list(groups)

        def by_group(configs: list[frozenset[str]]) -> list[Outcome]:
            return tester([frozenset(k for name in c for k in groups[name]) for c in configs])

        chosen, _ = minimize(names, by_group, jobs, verify)
        culprit_sections = [n for n in names if n in chosen]
        universe = [k for n in culprit_sections for k in groups[n]]
    found, minimal = minimize(universe, tester, jobs, verify)
    culprits = [d for d in deltas if d.key in found]
    return IsolationResult(list(deltas), culprits, minimal, tester.table, by_section, culprit_sections)


def minimize(
    universe: Sequence[U], evaluate: Evaluate[U], jobs: int = 1, verify: bool = True
) -> tuple[frozenset[U], bool | None]:
    """A failing subset of ``universe`` that is as small as the outcomes allow, and whether it is 1-minimal.

    Needs ``evaluate`` to say PASS for the empty set and FAIL for the whole universe.
    """
    core: frozenset[U] = frozenset()
    rest: frozenset[U] = frozenset(universe)  # invariant: core passes, core ∪ rest fails
    while True:
        c_pass, c_fail = dd(frozenset(), rest, universe, _with_core(evaluate, core), jobs)
        core = core | (c_fail - c_pass)
        if not c_pass:
            break  # core is exactly the last failing configuration
        outcome = evaluate([core])[0]
        if outcome is Outcome.FAIL:
            break
        if outcome is Outcome.UNRESOLVED:
            # The context cannot be dropped nor kept apart: report the known failing set, unproven.
            return core | c_pass, False
        rest = c_pass
    if not verify:
        return core, None
    return _verified(core, universe, evaluate, jobs)


def _with_core(evaluate: Evaluate[U], core: frozenset[U]) -> Evaluate[U]:
    """``evaluate`` with ``core`` added to every configuration: dd then searches the rest only."""
    return lambda configs: evaluate([core | c for c in configs])


def _verified(
    core: frozenset[U], universe: Sequence[U], evaluate: Evaluate[U], jobs: int
) -> tuple[frozenset[U], bool | None]:
    ordered = [u for u in universe if u in core]
    smaller = [core - {u} for u in ordered]
    outcomes = evaluate(smaller)  # one culprit: its removal is the good configuration, cached
    for config, outcome in zip(smaller, outcomes, strict=True):
        if outcome is Outcome.FAIL:
            # Non-monotone failure: a subset still fails, so search inside it from scratch.
            return minimize([u for u in ordered if u in config], evaluate, jobs, verify=True)
    return core, all(o is Outcome.PASS for o in outcomes)
