"""``investigate summary INITIATIVE [-o FILE] [--template FILE]``: render the final summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from investigate.atomic import write_atomic
from investigate.workspace import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("summary", help="render an initiative's final summary from its runs")
    parser.add_argument("initiative", help="initiative id")
    parser.add_argument("-o", "--output", type=Path, help="write here (links become relative to it)")
    parser.add_argument("--template", type=Path, help="a Jinja2 template to use instead of the default")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.report import render_summary  # jinja2 loads only for this command

    text = render_summary(ws, args.initiative, out=args.output, template=args.template)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
