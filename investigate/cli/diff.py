"""``investigate diff RUN_A RUN_B [--json]``: what differs between two runs."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show what differs between two runs (params, metrics, provenance)",
        description="Compare two run records and print only what differs: the record's own fields "
        "(arm, seed, status, cache key ...), merged params, metrics (with the difference of numbers), "
        "provenance (git commit, package versions ...) and the source files the cache key hashed. "
        "A run is a run id (as `show` prints it) or a run directory.",
    )
    parser.add_argument("run_a", metavar="RUN_A", help="run id or run directory")
    parser.add_argument("run_b", metavar="RUN_B", help="run id or run directory")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.core.jsonout import dumps
    from investigate.views.rundiff import diff_runs, resolve_run

    result_a, result_b = resolve_run(ws, args.run_a), resolve_run(ws, args.run_b)
    result = diff_runs(result_a, result_b)
    print(dumps(result.to_dict()) if args.json else "\n".join(result.lines()))
    return 0
