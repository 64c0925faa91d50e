"""``investigate export mlflow [--tracking-uri URI] [--experiment NAME] [--initiative X] [--all] [--artifacts]``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from investigate.workspace.load import Workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="copy run records into another tool (MLflow)",
        description="Copy the run records into another tracking tool. Nothing is re-run.",
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    mlflow = targets.add_parser(
        "mlflow",
        help="one MLflow experiment per initiative, one MLflow run per record",
        description="Log each record as an MLflow run: params, numeric metrics (text metrics as tags), "
        "tags (hypothesis, arm, point, seed, status, verdict, cache key, git commit), start and end "
        "time. Runs already exported (tag investigate.run_id) are skipped, so exporting again adds "
        "only new records; a run an earlier export broke off is written again. Names MLflow refuses "
        "are renamed (tag investigate.renamed keeps the originals). Needs the mlflow extra.",
    )
    mlflow.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="where to log (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db at the workspace root)",
    )
    mlflow.add_argument("--experiment", metavar="NAME", help="one experiment for everything (default: per initiative)")
    mlflow.add_argument("--initiative", metavar="ID", help="only this initiative's hypotheses")
    mlflow.add_argument("--all", action="store_true", help="every record, not only the latest per run")
    mlflow.add_argument("--artifacts", action="store_true", help="also upload each run directory's files")
    mlflow.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a tracking server's time to answer one request (one retry; default 10; "
        "MLFLOW_HTTP_REQUEST_TIMEOUT and MLFLOW_HTTP_REQUEST_MAX_RETRIES win when set)",
    )
    mlflow.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.rules.counting import latest_records
    from investigate.rules.verdict import evaluate_workspace
    from investigate.store.records import read_records
    from investigate.views.mlflow_export import export

    records = read_records(ws)
    wanted = set(ws.initiative(args.initiative).hypotheses) if args.initiative else set(ws.hypotheses)
    chosen = [r for r in (records if args.all else latest_records(records)) if r.hypothesis in wanted]
    verdicts = {h: v.outcome.value for h, v in evaluate_workspace(ws, records).items()}
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{ws.root / 'mlflow.db'}"
    result = export(ws, chosen, verdicts, uri, args.experiment, args.artifacts, args.timeout)
    names = ", ".join(result.experiments) or "none"
    redone = f" ({result.redone} redone after an interrupted export)" if result.redone else ""
    print(
        f"exported {result.created} run(s){redone}, {result.skipped} already there; experiments: {names}; store: {uri}"
    )
    return 0
