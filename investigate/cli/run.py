"""``investigate run``: expand experiments into runs, execute them (or reuse cached ones), record all."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from investigate.core.errors import EXIT_INTERRUPTED, InvestigateError, RunsFailedError
from investigate.execution.executors.choose import add_arguments as add_executor_arguments
from investigate.formats.schema import RunRecord
from investigate.workspace.load import Workspace

if TYPE_CHECKING:
    from investigate.plan.expand import PlannedRun


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run hypotheses' isolation experiments",
        description="Run every (matrix point x arm x seed) of the given hypotheses, each in its own "
        "subprocess, and store a run.json per run under reports/<UTC stamp>/. A run whose cache key "
        "(entry point, params, seed, source fingerprint, package versions) matches an earlier ok run "
        "is reused instead of executed. Exit 4 if any run errored or timed out; 130 on Ctrl-C.",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="hypothesis ids to run")
    parser.add_argument(
        "--initiative", action="append", default=[], metavar="X", help="run every hypothesis of initiative X"
    )
    parser.add_argument(
        "--scenario", action="append", default=[], metavar="S", help="only matrix points with scenario=S (repeatable)"
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only matrix points with KEY=VALUE (repeatable; same key = any of)",
    )
    parser.add_argument("--seeds", metavar="0,1", help="comma-separated seeds, instead of the experiment's")
    parser.add_argument(
        "--jobs", "-j", type=int, default=1, metavar="N",
        help="runs in parallel (default 1); dask: the local cluster's workers, or at least N in flight on --scheduler",
    )  # fmt: skip
    add_executor_arguments(parser)
    parser.add_argument("--force", action="store_true", help="ignore the cache and execute every run")
    parser.add_argument("--dry-run", action="store_true", help="print the planned runs and exit")
    parser.add_argument("--profile", metavar="P", help="set params.profile=P in every run (e.g. quick)")
    parser.add_argument("--arm", action="append", default=None, metavar="ARM", help="only this arm (repeatable)")
    parser.add_argument(
        "-p", "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="a one-off override of a param (YAML-typed; dotted for nested, +KEY adds one): recorded, "
        "in the cache key, and not evidence for the verdict",
    )  # fmt: skip
    parser.add_argument(
        "--bisect",
        action="store_true",
        help="for git bisect run: exit 0 good (fix verified, or cause ruled out), 1 bad, 125 untestable",
    )
    parser.add_argument(
        "--until-decided",
        action="store_true",
        help="after the declared seeds, add seeds where a deciding contrast is unresolved, until it "
        "resolves or --max-seeds (α is split over the planned looks: docs/format.md)",
    )
    parser.add_argument("--max-seeds", type=int, default=20, metavar="N", help="--until-decided: seeds at most (20)")
    parser.add_argument(
        "--batch", type=int, metavar="K", help="--until-decided: seeds added per look (default: double each look)"
    )
    parser.set_defaults(func=run)


def plan(args: argparse.Namespace, ws: Workspace) -> list[PlannedRun]:
    from investigate.plan.expand import parse_where  # only for a run: other commands start faster
    from investigate.plan.select import select_runs

    where = parse_where(args.where)
    if args.scenario:
        where.setdefault("scenario", []).extend(args.scenario)
    from investigate.plan.overrides import parse_overrides

    return select_runs(
        ws, args.ids, args.initiative, where, _seeds(args.seeds), args.profile, arms=args.arm,
        overrides=parse_overrides(args.overrides),
    )  # fmt: skip


def _seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InvestigateError(f"--seeds expects comma-separated integers, got {text!r}") from None
    return list(dict.fromkeys(seeds))  # `--seeds 0,0` is seed 0 once, not two runs in one directory


def _warn_lost(ws: Workspace) -> None:
    from investigate.store.lost import find_lost

    lost = find_lost(ws)
    if lost:
        print(
            f"warning: {len(lost)} earlier run(s) started but were never recorded (their investigate process "
            f"died), e.g. {lost[-1].run_dir}; `investigate status` lists them",
            file=sys.stderr,
        )


def _ignore_further_signals() -> None:
    """Everything is recorded and the answer is 130: a second Ctrl-C must not turn that into death by
    SIGINT while the interpreter shuts down (it resets Python-level handlers to the default there)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    runs = plan(args, ws)
    if args.bisect and len({p.hypothesis for p in runs}) != 1:
        raise InvestigateError("--bisect judges one hypothesis; name exactly one")
    if args.dry_run:
        return _dry_run(ws, runs, args.force)
    looks: list[int] = []
    if getattr(args, "until_decided", False):
        if len({p.hypothesis for p in runs}) != 1 or args.seeds:
            raise InvestigateError(
                "--until-decided adds seeds to one hypothesis' declared ones: name one, without --seeds"
            )
        from investigate.execution.untildecided import start_plan

        looks = start_plan(ws, ws.hypothesis(runs[0].hypothesis), args.max_seeds, args.batch)
    from investigate.execution.executors.choose import opened
    from investigate.execution.recover import record_finished
    from investigate.execution.runner import Runner
    from investigate.execution.runreport import failure_lines, verdict_changes, verdicts

    recovered = record_finished(ws)
    if recovered:
        print(f"recorded {len(recovered)} run(s) that finished after their investigate process died", file=sys.stderr)
    _warn_lost(ws)
    hyp_ids = list(dict.fromkeys(p.hypothesis for p in runs))
    before = verdicts(ws, hyp_ids)
    with opened(ws, args) as make_executor:
        summary = Runner(ws, args.argv, jobs=args.jobs, force=args.force, executor=make_executor()).run_all(runs)
        if looks and not summary.interrupted:
            summary = _more_seeds(ws, args, runs, looks, summary, make_executor)
    where = ws.relative(summary.stamp_dir) if summary.stamp_dir else "-"
    changes = verdict_changes(before, verdicts(ws, hyp_ids))
    if summary.interrupted:
        _ignore_further_signals()
        print(f"interrupted: {len(summary.records)} of {len(runs)} runs recorded in {where}", file=sys.stderr)
        print("\n".join(changes), file=sys.stderr)
        return EXIT_INTERRUPTED
    failed = summary.failed
    if summary.stamp_dir is None:  # every run was already recorded: nothing new was written
        print(f"{len(summary.records)} runs, all already recorded: {len(failed)} failed", file=sys.stderr)
    else:
        print(f"{len(summary.records)} runs recorded in {where}: {len(failed)} failed", file=sys.stderr)
    print("\n".join([*failure_lines(summary.records), *changes]), file=sys.stderr)
    if args.bisect:
        return _bisect(ws, runs, summary.records)
    if failed:
        raise RunsFailedError(
            f"{len(failed)} of {len(runs)} runs failed: " + ", ".join(f"{r.run_id} ({r.status})" for r in failed[:5])
        )
    return 0


def _more_seeds(
    ws: Workspace, args: argparse.Namespace, runs: list[PlannedRun], looks: list[int], first: Any, make_executor: Any
) -> Any:
    """The looks after the first; the summary of every run, the first look's included."""
    from investigate.execution.runner import Runner
    from investigate.execution.untildecided import run_until_decided
    from investigate.plan.expand import Filters, expand, parse_where

    hyp = ws.hypothesis(runs[0].hypothesis)
    where = parse_where(args.where)
    if args.scenario:
        where.setdefault("scenario", []).extend(args.scenario)
    records = list(first.records)

    def plan_seeds(seeds: list[int]) -> list[PlannedRun]:
        return expand(ws, hyp, Filters(where=where, seeds=seeds, profile=args.profile))

    def execute(more: list[PlannedRun]) -> list[RunRecord]:
        done = Runner(ws, args.argv, jobs=args.jobs, force=args.force, executor=make_executor()).run_all(more)
        records.extend(done.records)
        return list(done.records)

    run_until_decided(ws, hyp, looks, plan_seeds, execute)
    first.records = records
    return first


def _dry_run(ws: Workspace, runs: list[PlannedRun], force: bool) -> int:
    """Each planned run with ``hit`` (and the record it would reuse) or ``miss`` and why."""
    from investigate.views.cacheplan import cache_plan

    rows = cache_plan(ws, runs, force)
    for index, row in enumerate(rows, 1):
        print(f"[{index}/{len(rows)}] {row['label']}  key={row['cache_key'][:12]}  {row['text']}")
    hits = sum(row["hit"] for row in rows)
    print(f"{hits} of {len(rows)} runs are cache hits; {len(rows) - hits} would execute", file=sys.stderr)
    return 0


def _bisect(ws: Workspace, runs: list[PlannedRun], records: list[RunRecord]) -> int:
    """Judge this commit by the verdict of the one hypothesis just run (see verdict.bisect_exit).

    Only this invocation's records count: an ok record from another commit must not stand in for
    a run that failed at this one (the store's "newest ok decides" rule would pick it).
    """
    from investigate.rules.verdict import bisect_exit, evaluate

    hyp_ids = sorted({p.hypothesis for p in runs})
    verdict = evaluate(ws.hypothesis(hyp_ids[0]), records, ws)
    code = bisect_exit(verdict)
    print(
        f"bisect: {hyp_ids[0]} {verdict.outcome.value} -> {({0: 'good', 1: 'bad'}).get(code, 'skip')}", file=sys.stderr
    )
    return code
