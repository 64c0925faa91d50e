"""``investigate list``: every hypothesis with its verdict and run counts."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.commands._common import counts_text, status_counts
from investigate.jsonout import dumps
from investigate.store import by_hypothesis, latest_records, read_records
from investigate.verdict import evaluate
from investigate.workspace import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list hypotheses with verdicts and run counts",
        description="List every hypothesis: id, initiative, verdict (once verdicts exist) and the "
        "statuses of its latest runs.",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def rows(ws: Workspace) -> list[dict[str, Any]]:
    grouped = by_hypothesis(latest_records(read_records(ws)))
    out = []
    for hyp_id, hyp in sorted(ws.hypotheses.items()):
        records = grouped.get(hyp_id, [])
        verdict = evaluate(hyp, records, ws)
        out.append({
            "id": hyp_id,
            "title": hyp.title,
            "initiative": hyp.initiative,
            "verdict": verdict.outcome.value,
            "flags": [f.kind for f in verdict.flags],  # a flagged verdict is inconclusive: `investigate audit`
            "runs": status_counts(records),
        })  # fmt: skip
    return out


def run(args: argparse.Namespace, ws: Workspace) -> int:
    table = rows(ws)
    if args.json:
        print(dumps(table))
        return 0
    if not table:
        print("no hypotheses yet: add one under " + ws.relative(ws.hypotheses_dir) + "/")
        return 0
    width = max(len(r["id"]) for r in table)
    for row in table:
        verdict = row["verdict"] + ("⚑" if row["flags"] else "")
        print(f"{row['id']:<{width}}  {verdict:<13} {counts_text(row['runs']):<24}  {row['title']}")
    return 0
