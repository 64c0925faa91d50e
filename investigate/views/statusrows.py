"""What ``status`` and ``list`` show per hypothesis, kept in the index as one row each.

A row (the verdict, the statuses of the runs that count, failures newer than the ok runs they
follow, or the error its evaluation raised) depends on the hypothesis' records, its YAML file, the
workspace settings and this package's code. The index drops a row whenever one of its records is
written or removed (a trigger), and the row carries a fingerprint of the rest, so an unchanged
hypothesis is neither read nor evaluated again: ``status`` over 10,000 hypotheses is one SELECT
and a stat per file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.formats.schema import RunRecord
from investigate.rules.counting import split_latest
from investigate.rules.multiplicity import bh_qvalues
from investigate.rules.verdict import evaluate
from investigate.store.index import stat_text
from investigate.store.layout import Problem
from investigate.store.records import lost_runs, read_records, store_problems, synced
from investigate.workspace import parsecache
from investigate.workspace.load import Workspace

STATUSES = ("ok", "error", "timeout", "interrupted")

# Data-dependent failures of one hypothesis' evaluation (a metric no rule can compare, a number too
# large for a float) are shown on its line; the other hypotheses are still evaluated.
EVALUATION_ERRORS = (InvestigateError, ArithmeticError, ValueError, TypeError)


@dataclass
class Overview:
    rows: dict[str, dict[str, Any]]  # hypothesis id -> verdict, runs, newer_failures, error, flags
    problems: list[Problem]  # unreadable run.json files, excluded from every row
    lost: list[str]  # run dirs that were started but hold no run.json
    records: int  # readable run.json files


def overview(ws: Workspace) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs."""
    index = synced(ws)
    cached = index.rows()
    settings = _settings_stat(ws)
    rows: dict[str, dict[str, Any]] = {}
    fresh: list[tuple[str, str, str]] = []
    for hyp_id in ws.hypotheses:
        fingerprint = _fingerprint(ws, hyp_id, settings)
        hit = cached.get(hyp_id)
        if hit is not None and hit[0] == fingerprint:
            rows[hyp_id] = json.loads(hit[1])
            continue
        row = summarize(ws, hyp_id, read_records(ws, hyp_id, exact=False))  # the store was just synced
        rows[hyp_id] = row
        if fingerprint is not None:
            fresh.append((hyp_id, fingerprint, json.dumps(row)))
    try:
        index.put_rows(fresh)
    except sqlite3.Error:
        pass  # rows are a cache: one that cannot be written (locked, read-only) is only slower
    problems, count = store_problems(ws)
    return Overview(rows, problems, lost_runs(ws), count)


def summarize(ws: Workspace, hyp_id: str, records: list[RunRecord]) -> dict[str, Any]:
    """One hypothesis' row from its records (any of them; only those that count are used)."""
    latest, newer = split_latest(records)
    row: dict[str, Any] = {
        "verdict": None,
        "runs": status_counts(latest),
        "newer_failures": [{"run_dir": r.run_dir, "status": r.status} for r in newer],
        "error": None,
        "flags": [],
        "contrasts": [],
    }
    try:
        verdict = evaluate(ws.hypotheses[hyp_id], latest, ws, counted=True)
        row["verdict"] = verdict.outcome.value
        row["flags"] = [f.kind for f in verdict.flags]  # a flagged verdict is inconclusive: `investigate audit`
        # what the initiative's BH q-values are computed from (``status --json``), kept with the row
        row["contrasts"] = [
            {"condition": cond.claim_text, "p": cond.contrast.p_claim}
            for cond in verdict.deciding_conditions()
            if cond.contrast is not None and cond.contrast.p_claim is not None
        ]
    except EVALUATION_ERRORS as exc:
        row["verdict"] = "error"
        row["error"] = str(exc) if isinstance(exc, InvestigateError) else f"{type(exc).__name__}: {exc}"
    return row


def initiative_qvalues(rows: dict[str, dict[str, Any]], hypotheses: list[str]) -> list[dict[str, Any]]:
    """Benjamini–Hochberg q-values across the deciding contrasts of an initiative's hypotheses."""
    found = [(h, c["condition"], c["p"]) for h in hypotheses if h in rows for c in rows[h].get("contrasts", [])]
    q = bh_qvalues([p for _, _, p in found])
    return [{"hypothesis": h, "condition": c, "p": p, "q": qv} for (h, c, p), qv in zip(found, q, strict=True)]


def status_counts(records: list[RunRecord]) -> dict[str, int]:
    counts = Counter[str](r.status for r in records)
    return {s: counts[s] for s in STATUSES}


def _fingerprint(ws: Workspace, hyp_id: str, settings: str) -> str | None:
    """What a row depends on besides its records; None while its file cannot be stat'ed."""
    path = ws.source_file(hyp_id)
    stat = parsecache.stat_of(ws, path)  # the file as loaded: a later edit keys another row
    if stat is None:
        return None
    if stat.startswith("racy:") or settings.startswith("racy:"):
        return None  # just edited: it may change again unseen
    return hashlib.sha256(f"{stat}\0{settings}\0{path}".encode()).hexdigest()


def _settings_stat(ws: Workspace) -> str:
    """The workspace settings a verdict may read live in pyproject.toml: its stat joins every row's key."""
    try:
        return stat_text(os.stat(ws.root / "pyproject.toml"))
    except OSError:
        return ""
