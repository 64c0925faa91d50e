"""Command-line entry point: global options, one sub-command module each, one error handler.

Each module in the ``COMMANDS`` table exposes ``register(subparsers) -> None`` (adds its parser
and ``set_defaults(func=run)``) and ``run(args, ws) -> int``. The workspace is loaded here, once,
after argument parsing, so ``--help`` works anywhere and errors share one handler.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import ModuleType

from investigate import __version__
from investigate.cli import (
    audit,
    clean,
    compare,
    diff,
    export,
    init,
    isolate,
    mcp,
    run,
    schema,
    serve,
    show,
    status,
    summary,
    tree,
    validate,
)
from investigate.cli import list as list_command
from investigate.core.errors import BISECT_ABORT, EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, InvestigateError

# The command table, in the order `--help` lists them. Each module is small and imports its heavy
# dependencies (jinja2, the runner) only inside its `run`, so start-up stays cheap.
COMMANDS: tuple[ModuleType, ...] = (
    validate,
    list_command,
    show,
    run,
    isolate,
    status,
    tree,
    summary,
    audit,
    diff,
    compare,
    export,
    clean,
    schema,
    serve,
    mcp,
    init,
)


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
    for command in COMMANDS:
        command.register(subparsers)
    for sub in dict.fromkeys(subparsers.choices.values()):
        _accept_global_options(sub)
    return parser


def _accept_global_options(sub: argparse.ArgumentParser) -> None:
    """``investigate run H-X --workspace DIR`` works as well as ``investigate --workspace DIR run H-X``.

    SUPPRESS as the default: a sub-command that is not given the option leaves the value parsed
    before the command name in place (argparse would otherwise overwrite it with the default).
    """
    for action in sub._actions:  # nested commands (`export mlflow`) accept them as well
        if isinstance(action, argparse._SubParsersAction):
            for nested in dict.fromkeys(action.choices.values()):
                _accept_global_options(nested)
    taken = {s for action in sub._actions for s in action.option_strings}
    if "--workspace" not in taken:
        sub.add_argument(
            "--workspace",
            type=Path,
            metavar="DIR",
            default=argparse.SUPPRESS,
            help="workspace root (as before the command)",
        )
    if "--debug" not in taken:
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="full tracebacks on errors")


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    code, failed = _main(argv)
    # `git bisect run` reads 1-127 (but 125) as "this commit is bad". A usage error, a user error
    # or a bug of this tool says nothing about the commit, so under --bisect it aborts the bisection.
    if failed and "--bisect" in argv:
        return max(code, BISECT_ABORT)
    return code


def run_program() -> None:
    """The ``investigate`` program (also ``python -m investigate``)."""
    sys.exit(main())


def _main(argv: list[str]) -> tuple[int, bool]:
    """The exit code, and whether it comes from an error rather than the command's own answer."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help and --version exit 0, usage errors 2
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return code, code != EXIT_OK
    args.argv = argv
    try:
        from investigate.workspace.load import load_workspace

        if args.workspace is not None and not args.workspace.is_dir():
            raise InvestigateError(f"--workspace {args.workspace}: not a directory")
        needs = getattr(args, "needs_workspace", True)  # `schema` describes the format, not a workspace
        extra = getattr(args, "extra_checks", None)
        ws = (
            load_workspace(args.workspace, all_errors=getattr(args, "all_errors", False), extra=extra)
            if needs
            else None
        )
        return int(args.func(args, ws)), False
    except InvestigateError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code, True
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED, True
    except BrokenPipeError:
        # `investigate list | head`: the reader left; silence the flush at exit as well.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK, False
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback)", file=sys.stderr)
        return EXIT_BUG, True


if __name__ == "__main__":  # `python -m investigate.cli.main ...` works as well as `python -m investigate`
    sys.exit(main())
