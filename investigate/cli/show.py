"""``investigate show ID``: one hypothesis or initiative in full, with its runs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from investigate.cli.common import counts_text, status_counts
from investigate.core.errors import UnknownIdError
from investigate.core.jsonout import dumps
from investigate.plan.staleness import stale_reason
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate
from investigate.store.records import point_slug, read_records
from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="show a hypothesis (or initiative) and its runs",
        description="Print a hypothesis' statement, prediction, experiment plan, verdict and latest runs; "
        "for an initiative id, its hypotheses.",
    )
    parser.add_argument("id", help="hypothesis id (H-...) or initiative id")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print machine-readable JSON (the verdict with every rule's measured values, and the runs)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    if args.id in ws.initiatives:
        return _show_initiative(ws, args.id, args.json)
    if args.id not in ws.hypotheses:
        raise UnknownIdError("hypothesis", args.id, sorted(ws.hypotheses) + sorted(ws.initiatives))
    hyp = ws.hypothesis(args.id)
    records = latest_records(read_records(ws, hyp.id))
    if args.json:
        print(dumps(_hypothesis_data(ws, hyp, records)))
        return 0
    print(f"{hyp.id}: {hyp.title}")
    print(f"  file:       {ws.relative(ws.source_path(hyp.id))}")
    if hyp.initiative:
        print(f"  initiative: {hyp.initiative}")
    print(f"  statement:  {hyp.statement.strip()}")
    print(f"  prediction: {hyp.prediction.strip()}")
    exp = hyp.experiment
    if exp is not None:
        n_points = 1
        for values in exp.matrix.values():
            n_points *= len(values)
        print(f"  experiment: {exp.run or exp.command}")
        print(f"    params {json.dumps(exp.params)}; matrix {json.dumps(exp.matrix)}")
        print(f"    arms {', '.join(exp.arm_names)}; seeds {exp.seeds}; timeout {exp.timeout_s:g}s")
        print(f"    {n_points * len(exp.arm_names) * len(exp.seeds)} runs")

    # the outcome, its flags, then the values that decided it with each arm's effect against its control
    from investigate.views.explain import verdict_lines  # only here: `investigate --help` need not load it
    from investigate.views.terminal import LINE_CHARS, bounded

    verdict = evaluate(hyp, records, ws)
    lines = [bounded(line, LINE_CHARS) for line in verdict_lines(verdict, effects=True)]
    print(f"  {lines[0].replace('verdict: ', 'verdict:    ', 1)}")
    for line in lines[1:]:
        print(f"  {line}")
    if verdict.post_hoc is not None and verdict.post_hoc.blobs:
        from investigate.views.posthocdiff import rules_diff

        diff = rules_diff(ws.source_path(hyp.id), verdict.post_hoc.blobs)
        if diff:
            print("  rules changed since the runs:")
            print("\n".join(f"    {bounded(line, LINE_CHARS)}" for line in diff))
    stale = stale_reason(ws, hyp, records)
    if stale:
        print(f"  stale:      {stale} (investigate run {hyp.id} --dry-run says which runs)")
    print(f"  runs:       {counts_text(status_counts(records))}")
    for record in records:
        metrics = " ".join(f"{bounded(str(k))}={bounded(str(v))}" for k, v in record.metrics.items())
        cached = " (cached)" if record.reused_from else ""
        run = f"{point_slug(record.point)} {record.arm} seed{record.seed}"
        print(f"    {run} {record.status}{cached} {metrics}  [{record.run_dir}]")
    return 0


def _hypothesis_data(ws: Workspace, hyp: Any, records: list[Any]) -> dict[str, Any]:
    verdict = evaluate(hyp, records, ws)
    return {
        "id": hyp.id,
        "title": hyp.title,
        "file": str(ws.relative(ws.source_path(hyp.id))),
        "initiative": hyp.initiative,
        "statement": hyp.statement.strip(),
        "prediction": hyp.prediction.strip(),
        "experiment": hyp.experiment.model_dump(mode="json") if hyp.experiment else None,
        "verdict": verdict.to_dict(),
        "stale": stale_reason(ws, hyp, records),
        "runs": [
            {
                "point": r.point,
                "arm": r.arm,
                "seed": r.seed,
                "status": r.status,
                "cached": r.reused_from is not None,
                "metrics": r.metrics,
                "error": r.error,
                "run_dir": r.run_dir,
            }
            for r in records
        ],
    }


def _show_initiative(ws: Workspace, ini_id: str, as_json: bool = False) -> int:
    ini = ws.initiative(ini_id)
    if as_json:
        print(
            dumps(
                {
                    "id": ini.id,
                    "title": ini.title,
                    "file": str(ws.relative(ws.source_path(ini.id))),
                    "hypotheses": [{"id": h, "title": ws.hypothesis(h).title} for h in ini.hypotheses],
                },
                indent=2,
            )
        )
        return 0
    print(f"{ini.id}: {ini.title}")
    print(f"  file: {ws.relative(ws.source_path(ini.id))}")
    for hyp_id in ini.hypotheses:
        print(f"  - {hyp_id}: {ws.hypothesis(hyp_id).title}")
    return 0
