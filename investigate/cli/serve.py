"""``investigate serve [--host 127.0.0.1] [--port 8765]``: the read-only local web UI."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.workspace.load import Workspace

MISSING = "serve needs the ui extra: pip install 'investigate[ui]'"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="browse initiatives, hypotheses and runs in a local web UI (read-only)",
        description="Serve a read-only web UI over this workspace: initiatives with their decision trees, "
        "hypotheses with rules, verdict, flags and evidence, the runs (filtered, paginated), each run's "
        "params, metrics, log and artifacts, compare and diff. New runs show on the next page load. "
        "Binds to 127.0.0.1 unless --host says otherwise; it never writes.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    try:
        import uvicorn

        from investigate.web.app import create_app
    except ImportError:
        raise InvestigateError(MISSING) from None
    if not 1 <= args.port <= 65535:
        raise InvestigateError(f"--port {args.port}: expected 1-65535")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: anyone who can reach it can read the evidence", file=sys.stderr)
    app = create_app(ws.root)
    print(f"investigate: serving {ws.root.name} on http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        # log_config=None: uvicorn leaves logging alone (its errors reach stderr through logging's last resort)
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level="warning", access_log=False)
    except SystemExit as exc:  # uvicorn exits when it cannot bind, after logging why
        if exc.code:
            raise InvestigateError(f"cannot serve on {args.host}:{args.port} (see the line above)") from None
    return 0
