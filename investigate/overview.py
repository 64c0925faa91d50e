"""What ``status`` and ``list`` show per hypothesis, computed once and kept in the index.

A hypothesis' row (its verdict, the statuses of the runs that count, failures newer than the ok
runs they follow, or the error its evaluation raised) depends on its YAML file, its run files and
this package's code, nothing else. Its fingerprint covers exactly those, so a hypothesis whose
inputs did not change is neither read nor evaluated again. The store is still walked and every
``run.json`` stat'ed on each call: a new, changed or deleted file is always seen.

Unreadable ``run.json`` files are returned as problems (path + reason), never dropped silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from investigate.commands._common import status_counts
from investigate.errors import InvestigateError
from investigate.index import Index, Stat, code_fingerprint, open_index, settled, stat_key, subdirs
from investigate.recordjson import RecordError
from investigate.schema import RunRecord
from investigate.store import RUN_JSON, Problem, RunFile, list_store, read_file, split_latest
from investigate.verdict import evaluate
from investigate.workspace import Workspace

# Data-dependent failures of one hypothesis' evaluation (a metric no rule can compare, a number too
# large for a float) are shown on its line; the other hypotheses are still evaluated.
EVALUATION_ERRORS = (InvestigateError, ArithmeticError, ValueError, TypeError)


@dataclass
class Overview:
    rows: dict[str, dict[str, Any]]  # hypothesis id -> verdict, runs, newer_failures, error
    problems: list[Problem]  # unreadable run.json files, excluded from every row
    lost: list[str]  # run dirs that were started but hold no run.json
    records: int  # readable run.json files


@dataclass
class _Sorted:
    """The store's files sorted by the hypothesis they belong to, read only where the index did not know."""

    owner: dict[str, list[RunFile]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    parsed: dict[str, RunRecord] = field(default_factory=dict)
    fresh: list[tuple[str, Stat, str | None, str | None]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    def records(self, files: list[RunFile]) -> list[RunRecord]:
        out = []
        for file in files:
            record = self.parsed.get(file.run_dir)
            if record is None:
                try:
                    record = read_file(file)
                except RecordError as exc:  # changed since it was listed: report it, like any other
                    self.problems.append(Problem(f"{file.run_dir}/{RUN_JSON}", str(exc)))
                    continue
            out.append(record)
        return out


def overview(ws: Workspace) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs."""
    with open_index(ws.reports_dir) as index:
        lister = index.lister(str(ws.reports_dir)) if index is not None else None
        listing = list_store(ws, listdir=lister or subdirs)
        found = _sort(listing.files, index)
        cached = index.summaries() if index else {}
        code, now = code_fingerprint(), time.time_ns()
        rows: dict[str, dict[str, Any]] = {}
        fresh: list[tuple[str, str, str]] = []
        for hyp_id in ws.hypotheses:
            files = found.owner.get(hyp_id, [])
            fingerprint = _fingerprint(ws, hyp_id, files, code, now)
            hit = cached.get(hyp_id)
            if hit is not None and fingerprint is not None and hit[0] == fingerprint:
                rows[hyp_id] = json.loads(hit[1])
                continue
            rows[hyp_id] = summarize(ws, hyp_id, found.records(files))
            if fingerprint is not None:
                fresh.append((hyp_id, fingerprint, json.dumps(rows[hyp_id])))
        if index is not None:
            index.update_store(found.fresh, found.gone, fresh, lister)
    count = sum(len(files) for files in found.owner.values())
    return Overview(rows, sorted(found.problems, key=lambda p: p.path), listing.lost, count)


def store_problems(ws: Workspace) -> tuple[list[Problem], int]:
    """Every unreadable run.json (path + reason), and how many were read fine."""
    with open_index(ws.reports_dir) as index:
        lister = index.lister(str(ws.reports_dir)) if index is not None else None
        listing = list_store(ws, listdir=lister or subdirs)
        found = _sort(listing.files, index)
        if index is not None:
            index.update_store(found.fresh, found.gone, [], lister)
    return sorted(found.problems, key=lambda p: p.path), len(listing.files) - len(found.problems)


def summarize(ws: Workspace, hyp_id: str, records: list[RunRecord]) -> dict[str, Any]:
    """One hypothesis' row from its records (any of them; only those that count are used)."""
    latest, newer = split_latest(records)
    row: dict[str, Any] = {
        "verdict": None,
        "runs": status_counts(latest),
        "newer_failures": [{"run_dir": r.run_dir, "status": r.status} for r in newer],
        "error": None,
    }
    try:
        row["verdict"] = evaluate(ws.hypotheses[hyp_id], latest, ws).outcome.value
    except EVALUATION_ERRORS as exc:
        row["verdict"] = "error"
        row["error"] = str(exc) if isinstance(exc, InvestigateError) else f"{type(exc).__name__}: {exc}"
    return row


def _sort(files: list[RunFile], index: Index | None) -> _Sorted:
    known = index.files() if index is not None else {}
    found = _Sorted()
    now = time.time_ns()
    for file in files:
        entry = known.get(file.run_dir)
        if entry is not None and (entry[1], entry[2], entry[3]) == file.stat:
            hypothesis, problem = entry[4], entry[5]
        else:
            try:
                record = read_file(file)
                hypothesis, problem = record.hypothesis, None
                found.parsed[file.run_dir] = record
            except RecordError as exc:
                hypothesis, problem = None, str(exc)
            if settled(file.stat, now):
                found.fresh.append((file.run_dir, file.stat, hypothesis, problem))
        if problem is not None or hypothesis is None:
            found.problems.append(Problem(f"{file.run_dir}/{RUN_JSON}", problem or "no hypothesis"))
        else:
            found.owner.setdefault(hypothesis, []).append(file)
    if known:
        listed = {file.run_dir for file in files}
        found.gone = [run_dir for run_dir in known if run_dir not in listed]
    return found


def _fingerprint(ws: Workspace, hyp_id: str, files: list[RunFile], code: str, now: int) -> str | None:
    """What the row of ``hyp_id`` depends on; None while a file is too fresh to key a cache entry."""
    try:
        source = stat_key(os.stat(ws.source_path(hyp_id)))
    except OSError:
        return None
    if not settled(source, now) or not all(settled(f.stat, now) for f in files):
        return None
    inputs = (code, hyp_id, source, sorted((f.run_dir, f.stat) for f in files))
    return hashlib.sha256(repr(inputs).encode()).hexdigest()
