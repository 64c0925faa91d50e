"""``investigate mcp [--allow-run] [--allow-write]``: the MCP server for coding agents, over stdio."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.workspace.load import Workspace

MISSING = "mcp needs the mcp extra: pip install 'investigate[mcp]'"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mcp",
        help="serve the investigation to a coding agent (Model Context Protocol over stdio)",
        description="Speak MCP on stdin/stdout: tools to list hypotheses and initiatives, show one, audit, "
        "compare, diff, plan (run --dry-run), run within a run budget, and write a new hypothesis file "
        "after it validates. Read-only unless --allow-run / --allow-write (or [tool.investigate] "
        "mcp_allow_run / mcp_allow_write = true); mcp_max_runs caps the runs one call may execute.",
    )
    parser.add_argument("--allow-run", action="store_true", help="let the agent execute runs")
    parser.add_argument("--allow-write", action="store_true", help="let the agent create hypothesis files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    try:
        from investigate.agents.server import build_server
    except ImportError:
        raise InvestigateError(MISSING) from None
    from investigate.agents.tools import Tools, settings_for

    server = build_server(Tools(ws.root, settings_for(ws, args.allow_run, args.allow_write)))
    server.run("stdio")
    return 0
