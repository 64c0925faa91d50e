"""Command-line entry point: global options, one sub-command module each, one error handler.

Each module in ``investigate.commands`` exposes ``register(subparsers) -> None`` (adds its parser
and ``set_defaults(func=run)``) and ``run(args, ws) -> int``. The workspace is loaded here, once,
after argument parsing, so ``--help`` works anywhere and errors share one handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from investigate import __version__
from investigate.errors import InvestigateError

CORE_COMMANDS = ("validate", "list", "show", "run", "status")
OPTIONAL_COMMANDS = ("tree", "summary")  # present once their modules exist
EXIT_BUG, EXIT_INTERRUPTED = 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="investigate",
        description="Track hypotheses about a failing pipeline: run their isolation experiments, "
        "keep every run as evidence, and derive verdicts from the measured metrics.",
    )
    parser.add_argument(
        "--workspace", type=Path, metavar="DIR", help="workspace root (default: walk up from the current directory)"
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"investigate {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in CORE_COMMANDS:
        importlib.import_module(f"investigate.commands.{name}").register(subparsers)
    for name in OPTIONAL_COMMANDS:
        module_name = f"investigate.commands.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the module exists but is broken: that is a bug to show, not to hide
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    args.argv = argv
    try:
        from investigate.workspace import load_workspace

        if args.workspace is not None and not args.workspace.is_dir():
            raise InvestigateError(f"--workspace {args.workspace}: not a directory")
        ws = load_workspace(args.workspace, all_errors=getattr(args, "all_errors", False))
        return int(args.func(args, ws))
    except InvestigateError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `investigate list | head`: the reader left; silence the flush at exit as well.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback)", file=sys.stderr)
        return EXIT_BUG
