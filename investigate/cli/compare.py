"""``investigate compare H-X [--metric M] [--control ARM] [--json]``: a metric by arm × point."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="a hypothesis' metrics by arm × matrix point, with effects against the control",
        description="For each metric (default: the metrics its rules name), print mean ± sd over seeds "
        "for every matrix point and arm of the hypothesis' latest runs, then each arm's difference of "
        "means against the control (experiment.control, --control, or else the first arm) with a 95 %% "
        "interval, per point and pooled.",
    )
    parser.add_argument("id", metavar="H-X", help="hypothesis id")
    parser.add_argument("--metric", action="append", metavar="M", help="a metric to show (repeatable)")
    parser.add_argument("--control", metavar="ARM", help="the arm effects are measured against")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.core.jsonout import dumps
    from investigate.store.records import read_records
    from investigate.views.compare import compare, lines, metrics_of, public

    hyp = ws.hypothesis(args.id)
    records = read_records(ws, hyp.id)
    result = compare(hyp, records, args.metric or metrics_of(hyp, records), args.control)
    print(dumps(public(result)) if args.json else "\n".join(lines(result)))
    return 0
