"""``investigate audit [ID]``: weaknesses of the evidence, one per line; exit 1 when there are any."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.core.errors import EXIT_OK, EXIT_USER
from investigate.core.jsonout import dumps
from investigate.store.records import read_records
from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check the evidence: controls, discrimination, claims",
        description="List every weakness of the evidence, one per line as 'H-X: kind: detail': rules "
        "that can both hold, hypotheses that compare no control, single seeds, verdicts whose rule "
        "cannot tell the arms apart or rests on a constant, results fixed by construction, and narrative "
        "claims the runs contradict or no control supports, rules changed after their runs, contrasts "
        "too weak to detect their threshold. Exit 1 when anything is found that the hypothesis does not "
        "acknowledge (acknowledge: [{finding, reason}]).",
    )
    parser.add_argument("id", nargs="?", help="a hypothesis or initiative id (default: the whole workspace)")
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.rules.audit import audit, audit_scope

    findings = audit(ws, read_records(ws, audit_scope(ws, args.id)), args.id)
    if args.json:
        print(dumps([f.to_dict() for f in findings]))
    else:
        for finding in findings:
            print(finding.line())
        if not findings:
            scope = args.id or f"{len(ws.hypotheses)} hypotheses"
            print(f"no findings: {scope}")
    open_findings = [f for f in findings if f.acknowledged is None]
    if findings and not open_findings and not args.json:
        print(f"all {len(findings)} finding(s) acknowledged")
    return EXIT_USER if open_findings else EXIT_OK
