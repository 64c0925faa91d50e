"""What ``status`` and ``list`` show per hypothesis, computed once and kept in the index.

A hypothesis' row (its verdict, the statuses of the runs that count, failures newer than the ok
runs they follow, or the error its evaluation raised) depends on its YAML file, its run files and
this package's code, nothing else. Its fingerprint covers exactly those, so a hypothesis whose
inputs did not change is neither read nor evaluated again. The store is still walked and every
``run.json`` stat'ed on each call: a new, changed or deleted file is always seen.

Which hypothesis a file belongs to is what its record says, which the index remembers. A file
the index does not know is first assumed to belong to the hypothesis its directory is named
after, so that the work splits by directory and runs on several cores (``parallel``); a file
whose record names another hypothesis is rare, and makes that hypothesis be computed again here.

Unreadable ``run.json`` files are returned as problems (path + reason), never dropped silently.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from investigate import parallel, yamlcache
from investigate.commands._common import status_counts
from investigate.errors import InvestigateError
from investigate.index import code_fingerprint, open_index, settled, subdirs
from investigate.recordjson import RecordError
from investigate.schema import RunRecord
from investigate.store import RUN_JSON, Problem, RunFile, list_store, read_file, split_latest
from investigate.verdict import evaluate
from investigate.workspace import Workspace

# Data-dependent failures of one hypothesis' evaluation (a metric no rule can compare, a number too
# large for a float) are shown on its line; the other hypotheses are still evaluated.
EVALUATION_ERRORS = (InvestigateError, ArithmeticError, ValueError, TypeError)
PER_WORKER = 2000  # run files worth a forked worker

FileRow = tuple[str, tuple[int, int, int], "str | None", "str | None"]  # run_dir, stat, hypothesis, problem


@dataclass
class Overview:
    rows: dict[str, dict[str, Any]]  # hypothesis id -> verdict, runs, newer_failures, error
    problems: list[Problem]  # unreadable run.json files, excluded from every row
    lost: list[str]  # run dirs that were started but hold no run.json
    records: int  # readable run.json files


@dataclass
class _Unit:
    """What one group of files (one directory name) gave: file rows and rows of the hypotheses in it."""

    files: list[FileRow]
    rows: dict[str, tuple[dict[str, Any], list[str]]]  # hypothesis -> (row, the run_dirs it rests on)


# The work of one call, shared with forked workers (set before they start).
_shared: tuple[Workspace, dict[str, list[RunFile]], set[str], bool] | None = None


def overview(ws: Workspace, *, rows: bool = True) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs (without ``rows``: no rows,
    and only the files the index does not know are read)."""
    # 100,000 records allocate millions of small acyclic objects; the cyclic collector scanning
    # them again and again cost a quarter of the time. Nothing made here forms a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _overview(ws, rows)
    finally:
        if enabled:
            gc.enable()


def _overview(ws: Workspace, with_rows: bool) -> Overview:
    global _shared
    with open_index(ws.reports_dir) as index:
        lister = index.lister(str(ws.reports_dir)) if index is not None else None
        listing = list_store(ws, listdir=lister or subdirs)
        known = index.files() if index else {}
        cached = index.summaries() if index else {}
        now = time.time_ns()
        owner: dict[str, str] = {}  # run_dir -> hypothesis, where the index knows it
        problems: dict[str, str] = {}  # run_dir -> reason
        groups: dict[str, list[RunFile]] = {}  # by known hypothesis, else by directory name
        unknown: set[str] = set()
        for file in listing.files:
            entry = known.get(file.run_dir)
            if entry is not None and (entry[1], entry[2], entry[3]) == file.stat:
                if entry[5] is not None or entry[4] is None:
                    problems[file.run_dir] = entry[5] or "no hypothesis"
                    continue
                owner[file.run_dir] = entry[4]
                groups.setdefault(entry[4], []).append(file)
            else:
                unknown.add(file.run_dir)
                groups.setdefault(file.run_dir.split("/")[-3], []).append(file)
        code = code_fingerprint()
        # Computed ahead: every group holding a file the index does not know, and every hypothesis
        # whose cached row is stale. The rest is decided below, once every file's owner is known.
        planned: dict[str, str | None] = {}
        todo = []
        for name, files in groups.items():
            if any(f.run_dir in unknown for f in files):
                todo.append(name)
            elif with_rows and name in ws.hypotheses:
                planned[name] = _fingerprint(ws, name, files, code, now)
                if planned[name] is None or cached.get(name, ("",))[0] != planned[name]:
                    todo.append(name)
        _shared = (ws, groups, unknown, with_rows)
        try:
            chunks = parallel.split(
                todo, parallel.workers(sum(len(groups.get(n, [])) for n in todo), PER_WORKER), _size
            )
            units = [u for chunk in parallel.fork_map(_compute, chunks) for u in chunk]
        finally:
            _shared = None
        fresh_files: list[FileRow] = []
        computed: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for unit in units:
            computed.update(unit.rows)
            for run_dir, stat, hypothesis, problem in unit.files:
                if problem is not None or hypothesis is None:
                    problems[run_dir] = problem or "no hypothesis"
                else:
                    owner[run_dir] = hypothesis
                if run_dir in unknown and settled(stat, now):
                    fresh_files.append((run_dir, stat, hypothesis, problem))
        mine: dict[str, list[RunFile]] = {}
        for file in listing.files:
            if file.run_dir in owner:
                mine.setdefault(owner[file.run_dir], []).append(file)
        rows: dict[str, dict[str, Any]] = {}
        fresh: list[tuple[str, str, str]] = []
        for hyp_id in ws.hypotheses if with_rows else ():
            files = mine.get(hyp_id, [])
            if hyp_id in planned and files == groups.get(hyp_id):
                fingerprint = planned[hyp_id]
            else:
                fingerprint = _fingerprint(ws, hyp_id, files, code, now)
            hit, ahead = cached.get(hyp_id), computed.get(hyp_id)
            if hit is not None and fingerprint is not None and hit[0] == fingerprint:
                rows[hyp_id] = json.loads(hit[1])
                continue
            if ahead is not None and ahead[1] == sorted(f.run_dir for f in files):
                rows[hyp_id] = ahead[0]
            else:  # no runs, or computed ahead from other files (a record filed under another name)
                rows[hyp_id] = summarize(ws, hyp_id, _read(files, problems))
            if fingerprint is not None:
                fresh.append((hyp_id, fingerprint, json.dumps(rows[hyp_id])))
        if index is not None:
            listed = {file.run_dir for file in listing.files}
            gone = [run_dir for run_dir in known if run_dir not in listed]
            dropped = [h for h in cached if h not in ws.hypotheses] if with_rows else []
            index.update_store(fresh_files, gone, fresh, lister, dropped)
    found = [Problem(f"{run_dir}/{RUN_JSON}", reason) for run_dir, reason in sorted(problems.items())]
    return Overview(rows, found, listing.lost, len(owner))


def store_problems(ws: Workspace) -> tuple[list[Problem], int]:
    """Every unreadable run.json (path + reason), and how many were read fine."""
    view = overview(ws, rows=False)
    return view.problems, view.records


def summarize(ws: Workspace, hyp_id: str, records: list[RunRecord]) -> dict[str, Any]:
    """One hypothesis' row from its records (any of them; only those that count are used)."""
    latest, newer = split_latest(records)
    row: dict[str, Any] = {
        "verdict": None,
        "runs": status_counts(latest),
        "newer_failures": [{"run_dir": r.run_dir, "status": r.status} for r in newer],
        "error": None,
        "flags": [],
    }
    try:
        verdict = evaluate(ws.hypotheses[hyp_id], latest, ws)
        row["verdict"] = verdict.outcome.value
        row["flags"] = [f.kind for f in verdict.flags]  # a flagged verdict is inconclusive: `investigate audit`
    except EVALUATION_ERRORS as exc:
        row["verdict"] = "error"
        row["error"] = str(exc) if isinstance(exc, InvestigateError) else f"{type(exc).__name__}: {exc}"
    return row


def _compute(names: list[str]) -> list[_Unit]:
    """Read the files of each group and summarise the hypotheses their records name (in a worker, too)."""
    assert _shared is not None
    ws, groups, unknown, with_rows = _shared
    units = []
    for name in names:
        unit = _Unit([], {})
        records: dict[str, list[RunRecord]] = {}
        for file in groups.get(name, []):
            if not with_rows and file.run_dir not in unknown:
                continue
            try:
                record = read_file(file)
            except RecordError as exc:
                unit.files.append((file.run_dir, file.stat, None, str(exc)))
                continue
            unit.files.append((file.run_dir, file.stat, record.hypothesis, None))
            records.setdefault(record.hypothesis, []).append(record)
        # The group's own hypothesis (even with no readable record here) and any its records name.
        for hyp_id in dict.fromkeys([name, *records]) if with_rows else ():
            if hyp_id in ws.hypotheses:
                mine = records.get(hyp_id, [])
                unit.rows[hyp_id] = (summarize(ws, hyp_id, mine), sorted(r.run_dir for r in mine))
        units.append(unit)
    return units


def _read(files: list[RunFile], problems: dict[str, str]) -> list[RunRecord]:
    out = []
    for file in files:
        try:
            out.append(read_file(file))
        except RecordError as exc:  # changed since it was listed: report it like any other
            problems[file.run_dir] = str(exc)
    return out


def _size(name: str) -> int:
    assert _shared is not None
    return len(_shared[1].get(name, [])) + 1


def _fingerprint(ws: Workspace, hyp_id: str, files: list[RunFile], code: str, now: int) -> str | None:
    """What the row of ``hyp_id`` depends on; None while a file is too fresh to key a cache entry."""
    source = yamlcache.stat_when_read(ws, ws.source_path(hyp_id))
    if source is None or not settled(source, now) or not all(settled(f.stat, now) for f in files):
        return None
    inputs = (code, hyp_id, source, sorted((f.run_dir, f.stat) for f in files))
    return hashlib.sha256(repr(inputs).encode()).hexdigest()
