"""``investigate schema [--kind hypothesis|initiative] [-o FILE]``: the file format as JSON Schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from investigate.core.atomic import output_problem, write_output
from investigate.core.errors import InvestigateError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of hypothesis or initiative files (for editors)",
        description="Print the JSON Schema of a hypothesis (default) or initiative file, exported from "
        "the models `validate` uses. Point the YAML language server at it with a first line "
        "`# yaml-language-server: $schema=PATH` (see docs/format.md). Needs no workspace.",
    )
    parser.add_argument("--kind", choices=("hypothesis", "initiative"), default="hypothesis")
    parser.add_argument("-o", "--output", type=Path, help="write the schema here instead of printing it")
    parser.set_defaults(func=run, needs_workspace=False)


def run(args: argparse.Namespace, ws: Any) -> int:
    from investigate.core.jsonout import dumps
    from investigate.formats.jsonschema import json_schema

    problem = output_problem(args.output) if args.output is not None else None
    if problem is not None:
        raise InvestigateError(f"-o {args.output}: {problem}")
    text = dumps(json_schema(args.kind)) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_output(args.output, text.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
