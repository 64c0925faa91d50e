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


def run(args: argparse.Namespace, ws: Any) -> int:
    from investigate.views.tree import render_mermaid, render_text, walk

    ids = [ws.initiative(args.initiative).id] if args.initiative else sorted(ws.initiatives)
    hyps = [h for i in ids for h in initiative_hypotheses(ws.initiatives[i])]  # only what these trees show
    outcomes = {h: v.outcome for h, v in evaluate_workspace(ws, read_records(ws, hyps), hyps).items()}
    walks = [(i, walk(ws.initiatives[i], outcomes)) for i in ids]
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
