"""``investigate validate``: load every file; report every problem as file:line: key: reason."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from investigate.workspace import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check every hypothesis and initiative file",
        description="Load every YAML file, check the schema and cross-file references, and print "
        "each problem as file:line: key: reason. Exit 1 if anything is wrong. Weaknesses of the "
        "evidence design that need no runs (rules that can both hold, no contrast, one seed) are "
        "printed as warnings; `investigate audit` checks them with the runs and exits 1.",
    )
    parser.set_defaults(func=run, all_errors=True)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.audit import static_findings

    # Reaching here means loading found no error (otherwise the CLI printed them all).
    print(f"ok: {len(ws.hypotheses)} hypotheses, {len(ws.initiatives)} initiatives in {ws.root.name}/")
    for hyp in ws.hypotheses.values():
        for finding in static_findings(hyp):
            print(f"warning: {finding.line()}", file=sys.stderr)
    return 0
