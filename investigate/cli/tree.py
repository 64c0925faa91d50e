"""``investigate tree [INITIATIVE] [--format text|mermaid|json]``: where each decision tree stands."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.core.jsonout import dumps
from investigate.rules.verdict import evaluate_workspace, initiative_hypotheses
from investigate.store.records import read_records


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("tree", help="walk an initiative's decision tree with the current verdicts")
    parser.add_argument("initiative", nargs="?", help="initiative id (default: every initiative)")
    parser.add_argument("--format", choices=("text", "mermaid", "json"), default="text")
    # every other command spells machine output --json; tree keeps --format json as well
    parser.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    parser.set_defaults(func=run)


def _stale(ws: Any, ids: list[str], records: list[Any]) -> dict[str, str]:
    """hypothesis id -> why its evidence is stale, for the hypotheses on the trees shown."""
    from investigate.plan.staleness import stale_reason
    from investigate.rules.counting import by_hypothesis

    grouped = by_hypothesis(records)
    out = {}
    for ini in ids:
        tree = ws.initiatives[ini].decision_tree
        for node in tree.nodes.values() if tree is not None else ():
            if node.hypothesis in ws.hypotheses and node.hypothesis not in out:
                reason = stale_reason(ws, ws.hypothesis(node.hypothesis), grouped.get(node.hypothesis, []))
                if reason:
                    out[node.hypothesis] = reason
    return out


def run(args: argparse.Namespace, ws: Any) -> int:
    from investigate.views.tree import render_mermaid, render_text, walk

    ids = [ws.initiative(args.initiative).id] if args.initiative else sorted(ws.initiatives)
    hyps = [h for i in ids for h in initiative_hypotheses(ws.initiatives[i])]  # only what these trees show
    records = read_records(ws, hyps)
    outcomes = {h: v.outcome for h, v in evaluate_workspace(ws, records, hyps).items()}
    stale = _stale(ws, ids, records)
    walks = [(i, walk(ws.initiatives[i], outcomes, stale)) for i in ids]
    if args.format == "json":
        print(dumps([w.to_dict() if w else {"initiative": i, "decision_tree": None} for i, w in walks]))
        return 0
    blocks = []
    for ini, walked in walks:
        if walked is None:
            blocks.append(f"{ini}: no decision tree\n")
        else:
            blocks.append(render_mermaid(walked) if args.format == "mermaid" else render_text(walked))
    if not blocks:
        blocks.append("no initiatives in this workspace\n")
    print("\n".join(blocks), end="")
    return 0
