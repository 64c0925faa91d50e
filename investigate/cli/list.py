"""``investigate list``: every hypothesis with its verdict and run counts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from investigate.cli.common import add_stale_option, counts_text
from investigate.core.jsonout import dumps
from investigate.views.statusrows import overview
from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list hypotheses with verdicts and run counts",
        description="List every hypothesis: id, initiative, verdict (once verdicts exist) and the "
        "statuses of the runs that count. A hypothesis whose rules cannot be evaluated shows the error.",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_stale_option(parser)
    parser.set_defaults(func=run)


def rows(ws: Workspace, with_stale: bool = False) -> list[dict[str, Any]]:
    view = overview(ws)
    if view.problems:
        # Never silently: the table leaves them out, so say so (``validate`` lists each one).
        print(
            f"warning: unreadable run records left out: {len(view.problems)} (`investigate validate` lists them)",
            file=sys.stderr,
        )
    stale: dict[str, str | None] = {}
    if with_stale:  # re-plans every hypothesis: asked for, not paid by every list
        from investigate.plan.staleness import stale_reasons

        stale = stale_reasons(ws, sorted(ws.hypotheses))
    out = []
    for hyp_id in sorted(ws.hypotheses):
        row, head = view.rows[hyp_id], ws.hypotheses.head(hyp_id)
        out.append({
            "id": hyp_id,
            "title": head.title,
            "initiative": head.initiative,
            "verdict": row["verdict"],
            "flags": row["flags"],
            "runs": row["runs"],
            "newer_failures": row["newer_failures"],
            "error": row["error"],
            "stale": stale.get(hyp_id),
        })  # fmt: skip
    return out


def run(args: argparse.Namespace, ws: Workspace) -> int:
    table = rows(ws, args.stale)
    if args.json:
        print(dumps(table))
        return 0
    if not table:
        print("no hypotheses yet: add one under " + ws.relative(ws.hypotheses_dir) + "/")
        return 0
    width = max(len(r["id"]) for r in table)
    lines = []  # printed at once: 10,000 print calls cost more than building the text
    for row in table:
        verdict = row["verdict"] + ("⚑" if row["flags"] else "")
        line = f"{row['id']:<{width}}  {verdict:<13} {counts_text(row['runs']):<24}  {row['title']}"
        if row["newer_failures"]:
            line += f"  ({len(row['newer_failures'])} newer failed runs not counted)"
        if row["error"]:
            line += f"  error: {row['error']}"
        if row["stale"]:
            line += f"  stale: {row['stale']}"
        lines.append(line)
    print("\n".join(lines))
    return 0
