"""``investigate status``: runs by status per hypothesis, grouped by initiative."""

from __future__ import annotations

import argparse
import json
from typing import Any

from investigate.commands._common import counts_text, status_counts
from investigate.lost import in_flight_line
from investigate.store import by_hypothesis, latest_records, read_records
from investigate.verdict import evaluate
from investigate.workspace import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="summarise runs and verdicts per initiative",
        description="For each initiative (and hypotheses outside any), count the latest runs of each "
        "hypothesis by status (ok / error / timeout / interrupted) and show verdicts once they exist.",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def collect(ws: Workspace) -> dict[str, Any]:
    grouped = by_hypothesis(latest_records(read_records(ws)))
    groups: dict[str, list[str]] = {ini.id: list(ini.hypotheses) for ini in ws.initiatives.values()}
    listed = {h for ids in groups.values() for h in ids}
    loose = sorted(h for h in ws.hypotheses if h not in listed)
    if loose:
        groups["(no initiative)"] = loose
    out: dict[str, Any] = {}
    for group, ids in groups.items():
        out[group] = {}
        for hyp_id in ids:
            records = grouped.get(hyp_id, [])
            verdict = evaluate(ws.hypotheses[hyp_id], records, ws)
            out[group][hyp_id] = {
                "verdict": verdict.outcome.value,
                "flags": [f.kind for f in verdict.flags],
                "runs": status_counts(records),
            }
    return out


def run(args: argparse.Namespace, ws: Workspace) -> int:
    data = collect(ws)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for group, hyps in data.items():
        totals = {s: sum(h["runs"][s] for h in hyps.values()) for s in ("ok", "error", "timeout", "interrupted")}
        print(f"{group}: {len(hyps)} hypotheses, runs {counts_text(totals)}")
        for hyp_id, row in hyps.items():
            print(f"  {hyp_id:<28} {row['verdict'] + ('⚑' if row['flags'] else ''):<12} {counts_text(row['runs'])}")
        if group in ws.initiatives:
            print(f"  {_tree_line(ws, group, hyps)}")
    in_flight = in_flight_line(ws)  # runs of live invocations, here or on a cluster
    if in_flight:
        print(in_flight)
    return 0


def _tree_line(ws: Workspace, ini_id: str, hyps: dict[str, Any]) -> str:
    """Where the decision tree stands, so status says what to run next."""
    from investigate.schema import Outcome
    from investigate.tree import walk

    outcomes = {h: Outcome(row["verdict"]) for h, row in hyps.items() if row["verdict"] in Outcome._value2member_map_}
    walked = walk(ws.initiatives[ini_id], outcomes)
    if walked is None:
        return "tree: none"
    if walked.next_command:
        return f"tree: {' → '.join(walked.path)}; next: {walked.next_command}"
    return f"tree: {' → '.join(walked.path)} ({walked.note})"
