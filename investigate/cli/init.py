"""``investigate init [DIR]``: scaffold a workspace with one example hypothesis and initiative."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "init",
        help="scaffold a workspace with one example hypothesis and initiative",
        description="Write pyproject.toml ([tool.investigate]), hypotheses/H-STEP-SIZE.yaml, "
        "plans/EXAMPLE-001/initiative.yaml and the example experiment (standard library only) into DIR "
        "(default: --workspace, else the current directory). It passes `investigate validate` and runs "
        "in seconds; replace it with your own hypotheses.",
    )
    parser.add_argument("directory", nargs="?", type=Path, metavar="DIR", help="where (created if missing)")
    parser.set_defaults(func=run, needs_workspace=False)


def run(args: argparse.Namespace, ws: Any) -> int:
    from investigate.workspace.scaffold import scaffold

    root = args.directory or args.workspace or Path.cwd()
    root.mkdir(parents=True, exist_ok=True)
    written = scaffold(root)
    print(f"wrote a workspace in {root}:")
    print("\n".join(f"  {rel}" for rel in written))
    where = "" if root.resolve() == Path.cwd().resolve() else f"--workspace {root} "
    steps = ("validate", "run H-STEP-SIZE", "show H-STEP-SIZE")
    print("next:\n" + "\n".join(f"  investigate {where}{step}" for step in steps))
    return 0
