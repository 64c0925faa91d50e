"""Test configurations as ordinary runs: planned, cached, executed and recorded by the Runner.

The search hands over a round of configurations (sets of delta keys); each becomes a
``PlannedRun`` per replicate seed, all executed in one ``Runner.run_all`` so ``--jobs``
parallelises the round. Records land under ``reports/<stamp>/ISOLATE-.../<point>/<arm>-seed<k>/``
like any run, with provenance; a configuration tested before (same params, seed, source and
versions) is a cache hit that spends no execution.

Every round of one search records into the same ``reports/<stamp>/`` (the first round's).

Records go under an ``ISOLATE-`` name of their own, even with ``--hypothesis H-X``: a verdict
condition without ``arm`` (or with only ``where``) counts every run recorded for H-X, so
isolation runs filed there would change H-X's verdict. The cache is shared across names, so
H-X's own runs of its arms are still reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from investigate.core.errors import InvestigateError
from investigate.execution.executors.base import Executor
from investigate.execution.progress import failure_reason
from investigate.formats.schema import RunRecord
from investigate.isolate.algorithm import Outcome, Tested
from investigate.isolate.configs import Delta, apply_deltas
from investigate.isolate.inputs import IsolationSpec
from investigate.isolate.rules import combined_outcome
from investigate.isolate.stochastic import Posterior, ReplicatedTest
from investigate.plan.expand import PlannedRun, cache_key, format_command
from investigate.workspace.load import Workspace


def arm_name(keys: frozenset[str], deltas: Sequence[Delta]) -> str:
    """``good`` / ``bad`` for the endpoints, else ``iso-`` and a short hash of the key set."""
    if not keys:
        return "good"
    if len(keys) == len(deltas):
        return "bad"
    return "iso-" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:8]


def seed_list(base: Sequence[int], n: int) -> list[int]:
    """``base`` first (the hypothesis' seeds), then the smallest unused integers, ``n`` in all."""
    seeds = list(dict.fromkeys(base))
    candidate = 0
    while len(seeds) < n:
        if candidate not in seeds:
            seeds.append(candidate)
        candidate += 1
    return seeds[:n]


class RunBatch:
    """The batch callback of ``isolate``: a round of configurations in, one ``Tested`` each out."""

    def __init__(
        self,
        ws: Workspace,
        argv: list[str],
        spec: IsolationSpec,
        deltas: Sequence[Delta],
        *,
        jobs: int = 1,
        force: bool = False,
        replicates: int = 1,
        confidence: float = 0.99,
        executor: Callable[[], Executor] | None = None,  # makes each round's executor (default: local)
    ) -> None:
        if replicates < 1:
            raise InvestigateError("--replicates must be at least 1")
        self.ws, self.argv, self.spec, self.deltas = ws, argv, spec, list(deltas)
        self.jobs, self.force, self.replicates = jobs, force, replicates
        self.make_executor = executor
        self.seeds = seed_list(spec.seeds, replicates)
        self.records: list[RunRecord] = []  # every record of this search, cache hits included
        self.cached_ids: set[str] = set()  # run ids of the records the cache served
        self.tested: dict[frozenset[str], Tested] = {}
        self.decider: ReplicatedTest | None = None
        self.stamp_dir: Path | None = None  # one directory for every round of the search
        if replicates > 1:
            try:
                self.decider = ReplicatedTest(_never, confidence=confidence, max_replicates=replicates)
            except ValueError as exc:
                raise InvestigateError(f"--confidence: {exc}") from None
            needed = _needed(self.decider, Posterior(), "passes", replicates)
            if needed is None:
                raise InvestigateError(
                    f"--replicates {replicates} cannot establish a pass at --confidence {confidence}: "
                    f"raise --replicates or lower --confidence"
                )

    @property
    def executed(self) -> int:
        return sum(1 for r in self.records if r.run_id not in self.cached_ids)

    def planned(self, keys: frozenset[str], seed: int) -> PlannedRun:
        params = apply_deltas(self.spec.good, self.deltas, keys)
        spec = self.spec
        run = PlannedRun(
            spec.label, spec.entry, spec.kind, arm_name(keys, self.deltas), dict(spec.point), seed, params,
            spec.timeout_s, spec.argv, runtime=dict(spec.runtime),
        )  # fmt: skip
        if run.argv:
            format_command(run, Path("RUN_DIR"))  # a placeholder this configuration lacks: unresolved
        run.cache_key = cache_key(self.ws, run)
        return run

    def __call__(self, configs: list[frozenset[str]]) -> list[Tested]:
        if self.decider is None:
            answers = self._replicates({c: 1 for c in configs})
            out = [_single(answers[c]) for c in configs]
        else:
            out = self._adaptive(configs, self.decider)
        self.tested.update(zip(configs, out, strict=True))
        return out

    def _adaptive(self, configs: list[frozenset[str]], decider: ReplicatedTest) -> list[Tested]:
        """Waves of replicates for every undecided configuration, each wave one run_all."""
        posts = {c: Posterior() for c in configs}
        answers: dict[frozenset[str], list[Tested]] = {c: [] for c in configs}
        open_ = list(configs)
        while open_:
            wave = {}
            for c in open_:
                left = self.replicates - len(answers[c])
                # As many replicates as could decide it if they all agree with the majority so
                # far; a fresh configuration gets the cheaper side's count (failures decide sooner).
                leading = "failures" if posts[c].failures > posts[c].passes else "passes"
                kinds = ("failures", "passes") if not answers[c] else (leading,)
                counts = [n for k in kinds if (n := _needed(decider, posts[c], k, left)) is not None]
                if counts:
                    wave[c] = min(counts)
            if not wave:
                break
            for c, got in self._replicates(wave, {c: len(answers[c]) for c in wave}).items():
                answers[c].extend(got)
                for answer in got:
                    _count(posts[c], answer.outcome)
            open_ = [c for c in wave if decider.decide(posts[c]) is Outcome.UNRESOLVED]
        out = []
        for c in configs:
            post = posts[c]
            p_fail = post.p_fails(decider.threshold, decider.prior)
            note = f"{post.failures} failed, {post.passes} passed, {post.unresolved} unresolved"
            note += f"; P(fails) = {p_fail:.3g}"
            errors = [a.note for a in answers[c] if a.note]
            run_ids = [i for a in answers[c] for i in a.run_ids]
            out.append(Tested(decider.decide(post), len(answers[c]), run_ids, "; ".join([note, *errors[:1]])))
        return out

    def _replicates(
        self, counts: dict[frozenset[str], int], start: dict[frozenset[str], int] | None = None
    ) -> dict[frozenset[str], list[Tested]]:
        """Run ``counts[c]`` more seeds of each configuration in one batch; one ``Tested`` per replicate."""
        plans: list[tuple[frozenset[str], PlannedRun]] = []
        out: dict[frozenset[str], list[Tested]] = {c: [] for c in counts}
        for config, n in counts.items():
            first = (start or {}).get(config, 0)
            for seed in self.seeds[first : first + n]:
                try:
                    plans.append((config, self.planned(config, seed)))
                except InvestigateError as exc:
                    out[config].append(Tested(Outcome.UNRESOLVED, note=f"cannot plan: {exc}"))
        if plans:
            from investigate.execution.runner import Runner

            executor = self.make_executor() if self.make_executor is not None else None
            runner = Runner(self.ws, self.argv, jobs=self.jobs, force=self.force, executor=executor)
            summary = runner.run_all([p for _, p in plans], stamp_dir=self.stamp_dir)
            self.stamp_dir = summary.stamp_dir or self.stamp_dir
            self.records.extend(summary.records)
            self.cached_ids |= summary.cached
            if summary.interrupted:
                raise KeyboardInterrupt
            found = {(r.arm, r.seed): r for r in summary.records}
            for config, run in plans:
                record = found.get((run.arm, run.seed))
                out[config].append(self._judge(record))
        return out

    def _judge(self, record: RunRecord | None) -> Tested:
        if record is None:
            return Tested(Outcome.UNRESOLVED, note="the runner returned no record for this run")
        outcome = combined_outcome(self.spec.rules, record.metrics, record.status)
        note = ""
        if record.status != "ok":
            note = f"{record.status}: {failure_reason(record)}"
        elif outcome is Outcome.UNRESOLVED:
            metrics = ", ".join(dict.fromkeys(r.metric for r in self.spec.rules))
            note = f"{metrics}: missing or not comparable"
        return Tested(outcome, 1, [record.run_id], note)


def _single(answers: list[Tested]) -> Tested:
    return answers[0] if answers else Tested(Outcome.UNRESOLVED, replicates=0, note="no run")


def _count(post: Posterior, outcome: Outcome) -> None:
    if outcome is Outcome.FAIL:
        post.failures += 1
    elif outcome is Outcome.PASS:
        post.passes += 1
    else:
        post.unresolved += 1


def _needed(decider: ReplicatedTest, post: Posterior, kind: str, left: int) -> int | None:
    """The fewest further replicates, all of ``kind``, that would decide; None if ``left`` cannot."""
    for m in range(1, left + 1):
        trial = Posterior(post.failures, post.passes, post.unresolved)
        setattr(trial, kind, getattr(trial, kind) + m)
        if decider.decide(trial) is not Outcome.UNRESOLVED:
            return m
    return None


def _never(keys: frozenset[str], seed: int) -> Outcome:
    # ReplicatedTest is used for its decision rule only; replicates run through the Runner here.
    raise AssertionError("not called")
