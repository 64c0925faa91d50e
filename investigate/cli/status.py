"""``investigate status``: runs by status per hypothesis, grouped by initiative, and the store's problems."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from investigate.cli.common import STATUSES, add_stale_option, counts_text
from investigate.core.jsonout import dumps
from investigate.store.lost import in_flight_line
from investigate.views.statusrows import Overview, initiative_qvalues, overview
from investigate.workspace.load import Workspace

# Keys of the JSON output that are not initiatives (initiative ids cannot contain parentheses).
LOOSE = "(no initiative)"
STORE = "(store)"
QVALUES = "(q-values)"  # per initiative: BH q-values across its deciding contrasts (--json only)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="summarise runs and verdicts per initiative",
        description="For each initiative (and hypotheses outside any), count the runs that count for "
        "each hypothesis by status (ok / error / timeout / interrupted), show verdicts, failures newer "
        "than the ok runs they follow, unreadable run records and runs that never recorded a result.",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_stale_option(parser)
    parser.set_defaults(func=run)


def collect(ws: Workspace, stale: bool = False) -> dict[str, Any]:
    return _collect(ws, overview(ws), stale)


def _collect(ws: Workspace, view: Overview, with_stale: bool = False) -> dict[str, Any]:
    groups: dict[str, list[str]] = {ini.id: list(ini.hypotheses) for ini in ws.initiatives.values()}
    listed = {h for ids in groups.values() for h in ids}
    loose = sorted(h for h in ws.hypotheses if h not in listed)
    if loose:
        groups[LOOSE] = loose
    # Staleness re-plans every hypothesis (its cache keys against the code now): asked for, not paid
    # by every status over a large workspace.
    stale: dict[str, str | None] = {}
    if with_stale:
        from investigate.plan.staleness import stale_reasons

        stale = stale_reasons(ws, sorted(ws.hypotheses))
    rows = {h: {**view.rows[h], "stale": stale.get(h)} for h in ws.hypotheses}
    out: dict[str, Any] = {group: {h: rows[h] for h in ids} for group, ids in groups.items()}
    qvalues = {i.id: initiative_qvalues(view.rows, list(i.hypotheses)) for i in ws.initiatives.values()}
    if any(qvalues.values()):
        out[QVALUES] = {ini: rows for ini, rows in qvalues.items() if rows}
    if view.problems or view.lost:  # present only when there is something to look at, like LOOSE
        out[STORE] = {
            "unreadable": [{"path": p.path, "reason": p.reason} for p in view.problems],
            "lost": lost_runs(view),
        }
    return out


def lost_runs(view: Overview) -> list[str]:
    """Hook: run dirs that were started (a ``_started.json`` marker) but never wrote ``run.json``.

    A run still in progress looks the same; ``investigate run`` is what can tell them apart.
    """
    return view.lost


def run(args: argparse.Namespace, ws: Workspace) -> int:
    data = collect(ws, args.stale)
    if args.json:
        print(dumps(data))
        return 0
    store = data.pop(STORE, None)
    data.pop(QVALUES, None)
    lines = []  # printed at once: 10,000 print calls cost more than building the text
    for group, hyps in data.items():
        totals = {s: sum(h["runs"][s] for h in hyps.values()) for s in STATUSES}
        lines.append(f"{group}: {len(hyps)} hypotheses, runs {counts_text(totals)}")
        for hyp_id, row in hyps.items():
            verdict = row["verdict"] + ("⚑" if row.get("flags") else "")
            lines.append(f"  {hyp_id:<28} {verdict:<12} {counts_text(row['runs'])}{row_notes(row)}")
        if group in ws.initiatives:
            lines.append(f"  {_tree_line(ws, group, hyps)}")
    if lines:
        print("\n".join(lines))
    if store is not None:
        _print_store(store)
    in_flight = in_flight_line(ws)  # runs of live invocations, here or on a cluster
    if in_flight:
        print(in_flight)
    return 0


def row_notes(row: dict[str, Any]) -> str:
    """What follows the counts on a hypothesis' line: newer failures, the evaluation's error."""
    notes = ""
    if row["newer_failures"]:
        counts = Counter(f["status"] for f in row["newer_failures"])
        notes += f"  (newer failed runs, not counted: {' '.join(f'{s}={n}' for s, n in sorted(counts.items()))})"
    if row["error"]:
        notes += f"  error: {row['error']}"
    if row.get("stale"):
        notes += f"  stale: {row['stale']}"
    return notes


def _print_store(store: dict[str, Any]) -> None:
    unreadable, lost = store["unreadable"], store["lost"]
    print(f"store: unreadable run records: {len(unreadable)} (left out above); runs without a record: {len(lost)}")
    for problem in unreadable:
        print(f"  unreadable {problem['path']}: {problem['reason']}")
    for run_dir in lost:
        print(f"  no record  {run_dir}: no run.json (lost, still running, or left by an interrupted removal)")


def _tree_line(ws: Workspace, ini_id: str, hyps: dict[str, Any]) -> str:
    """Where the decision tree stands, so status says what to run next."""
    from investigate.formats.schema import Outcome
    from investigate.views.tree import walk

    outcomes = {h: Outcome(row["verdict"]) for h, row in hyps.items() if row["verdict"] in Outcome._value2member_map_}
    walked = walk(ws.initiatives[ini_id], outcomes)
    if walked is None:
        return "tree: none"
    if walked.next_command:
        return f"tree: {' → '.join(walked.path)}; next: {walked.next_command}"
    return f"tree: {' → '.join(walked.path)} ({walked.note})"
