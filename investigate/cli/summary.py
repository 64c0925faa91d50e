"""``investigate summary INITIATIVE [-o FILE] [--html FILE] [--template FILE] [--no-figures] [--check]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from investigate.core.atomic import output_problem, write_output
from investigate.core.errors import EXIT_OK, EXIT_USER, InvestigateError
from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="render an initiative's final summary from its runs",
        description="Render the final summary (markdown) from the initiative's narrative, verdicts and runs. "
        "It draws one figure per verification metric under reports/INITIATIVE/figures/ (needs matplotlib). "
        "On stdout, links are relative to the workspace root; with -o, to the output file's folder. "
        "A narrative claim the runs contradict is shown, listed under the gaps and warned about; "
        "--check makes it exit 1.",
    )
    parser.add_argument("initiative", help="initiative id")
    parser.add_argument("-o", "--output", type=Path, help="write here (links become relative to it)")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write one self-contained HTML page here")
    parser.add_argument("--template", type=Path, help="a Jinja2 template to use instead of the default")
    parser.add_argument("--no-figures", action="store_true", help="neither draw nor link the figures")
    parser.add_argument("--check", action="store_true", help="exit 1 when the runs contradict a claim of the narrative")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.store.records import check_output
    from investigate.views import figures as figs  # matplotlib only when a figure is drawn
    from investigate.views.report import render

    _check_outputs(args)
    for path in (args.output, args.html):
        if path is not None:
            check_output(ws, path)  # before anything is drawn or written
    draw = not args.no_figures
    if draw and not figs.available():
        print(f"warning: no figures: {figs.MISSING}", file=sys.stderr)
        draw = False
    text, context = render(ws, args.initiative, out=args.output, template=args.template, figures=draw)
    figs.write_figures(context["figures"])
    if draw:
        from investigate.views.curves import write_curves

        write_curves(context["curves"])
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_output(args.output, text.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    if args.html is not None:
        from investigate.views.html import summary_html

        page_text, page_context = (
            (text, context) if args.output is not None and _same_dir(args.output, args.html) else
            render(ws, args.initiative, out=args.html, template=args.template, figures=draw)
        )  # fmt: skip
        write_output(args.html, summary_html(page_text, page_context).encode("utf-8"))
        print(f"wrote {args.html}", file=sys.stderr)
    for hid in context["contradicted"]:
        row = next(h for h in context["hypotheses"] if h["id"] == hid)
        print(f"warning: {row['warning'].removeprefix('⚠ ')}", file=sys.stderr)
    return EXIT_USER if args.check and context["contradicted"] else EXIT_OK


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output that cannot be written before anything is rendered or drawn."""
    for option, path in (("-o", args.output), ("--html", args.html)):
        problem = output_problem(path) if path is not None else None
        if problem is not None:
            raise InvestigateError(f"{option} {path}: {problem}")
    if args.output is not None and args.html is not None and args.output.resolve() == args.html.resolve():
        # the page would silently replace the markdown
        raise InvestigateError(f"-o and --html are the same file ({args.output}): give each its own")


def _same_dir(a: Path, b: Path) -> bool:
    # links are relative to the output's folder: one rendering serves both files when they share it
    return a.resolve().parent == b.resolve().parent
