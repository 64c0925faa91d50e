"""``investigate validate``: load every file; report every problem as file:line: key: reason.

Run records are checked too: every ``run.json`` that cannot be read is listed with its reason
(the other commands leave such records out), and any makes the exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from investigate.core.errors import EXIT_OK, EXIT_USER
from investigate.store.records import store_problems
from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check every hypothesis and initiative file, and every run record",
        description="Load every YAML file, check the schema and cross-file references, and print "
        "each problem as file:line: key: reason; then read every run.json and list those that "
        "cannot be read. Exit 1 if anything is wrong. Weaknesses of the evidence design that need "
        "no runs (rules that can both hold, no contrast, one seed) are printed as warnings; "
        "`investigate audit` checks them with the runs and exits 1.",
    )
    parser.set_defaults(func=run, all_errors=True, extra_checks=_source_root_checks)


def _source_root_checks(ws: Workspace) -> list[Callable[[], object]]:
    from investigate.plan.sourceroots import locate

    return [partial(locate, ws, entry) for entry in ws.source_roots]


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.rules.audit import static_findings

    # Reaching here means loading found no error (otherwise the CLI printed them all).
    for hyp in ws.hypotheses.values():
        for finding in static_findings(hyp):
            print(f"warning: {finding.line()}", file=sys.stderr)
    problems, readable = store_problems(ws, deep=True)  # every file read again: the index repaired
    for problem in problems:
        print(f"error: {problem.path}: unreadable run record: {problem.reason}", file=sys.stderr)
    files = f"{len(ws.hypotheses)} hypotheses, {len(ws.initiatives)} initiatives"
    if problems:
        print(f"unreadable run records: {len(problems)} ({readable} read fine); {files} ok", file=sys.stderr)
        return EXIT_USER
    print(f"ok: {files}, {readable} run records in {ws.root.name}/")
    return EXIT_OK
