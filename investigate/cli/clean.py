"""``investigate clean [--dry-run] [--lost] [--json]``: prune superseded records and empty stamp directories."""

from __future__ import annotations

import argparse
from typing import Any

from investigate.workspace.load import Workspace

LABELS = {
    "failed": "failed runs",
    "pointer": "cache-hit pointers",
    "old-key": "old-key runs",
    "lost": "lost runs",
    "orphan": "run directories without record or start marker",
    "trash": "leftovers of an interrupted clean",
    "lock": "lock files",
    "empty-dir": "empty directories",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "clean",
        help="remove superseded run records and empty stamp directories",
        description="Remove records that a newer ok run of the same hypothesis, arm, point and seed "
        "supersedes: failed runs, cache-hit pointers, and executed runs whose cache key differs from the "
        "newest ok run's. Never removes the newest record of a run (what verdicts read), a record a verdict "
        "cites or a kept record reuses, or one that a summary in reports/*/ or an initiative file links. "
        "Directories left empty go too. Refuses while an `investigate run` is in progress.",
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be removed, remove nothing")
    parser.add_argument(
        "--lost",
        action="store_true",
        help="also remove lost runs (started, never recorded: their investigate process died), run "
        "directories left without a record, leftovers of an interrupted clean, and stale lock files",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.store.clean import apply, plan_clean

    plan = plan_clean(ws, lost=args.lost)
    if not args.dry_run:
        apply(ws, plan)
    if args.json:
        from investigate.core.jsonout import dumps

        print(dumps(_as_json(plan, args.dry_run)))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for removal in plan.removals:
        print(f"{verb} {removal.path}  ({removal.kind}: {removal.reason})")
    counts = plan.counts()
    shown = ", ".join(f"{n} {LABELS[k]}" for k, n in counts.items() if n) or "nothing"
    stamps = sum(1 for r in plan.removals if r.kind == "empty-dir" and r.reason == "empty stamp directory")
    stamp_note = f" ({stamps} stamp directories)" if stamps else ""
    print(f"{verb}: {shown}{stamp_note}; {_size(plan.bytes)}")
    kept = [(plan.kept_linked, "a summary or initiative file links"), (plan.kept_reused, "a kept record reuses")]
    for count, why in kept:
        if count:
            print(f"kept {count} superseded records that {why}")
    if plan.live and args.dry_run:
        print(
            f"note: an investigate run is in progress ({plan.live[0]}); clean without --dry-run refuses until it ends"
        )
    return 0


def _as_json(plan: Any, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "removed": [{"path": r.path, "kind": r.kind, "reason": r.reason, "bytes": r.bytes} for r in plan.removals],
        "counts": plan.counts(),
        "bytes": plan.bytes,
        "kept": {"linked": plan.kept_linked, "reused": plan.kept_reused},
        "live": plan.live,
    }


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    value = float(n)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
