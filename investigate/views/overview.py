"""What ``status`` and ``list`` show per hypothesis, computed once and kept in the index.

The store is surveyed one *group* at a time (``storegroups``): ``reports/<stamp>/<name>``, the
runs one invocation recorded under one hypothesis directory. Every call walks the store and stats
every ``run.json`` (a new, changed or deleted file is always seen); a group whose files all have
the (mtime, size, inode) the index remembers is not read again, because the index also remembers
which hypothesis each of its records names and which of its files are unreadable.

A hypothesis' row (its verdict, the statuses of the runs that count, failures newer than the ok
runs they follow, or the error its evaluation raised) depends on its YAML file, the groups that
hold its records and this package's code, nothing else. Its fingerprint covers exactly those, so
a hypothesis whose inputs did not change is neither read nor evaluated again.

The work splits by directory name over forked workers (``survey``), which can start before the
workspace is loaded. A record filed under another hypothesis' directory is rare; its hypothesis is
then computed here, over all of its groups.

Unreadable ``run.json`` files are returned as problems (path + reason), never dropped silently.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.store.groups import Group, read_records, walk
from investigate.store.index import DirLister, Index, code_fingerprint, open_index
from investigate.store.layout import RUN_JSON, Problem
from investigate.views import gcpause, parallel
from investigate.views.survey import (
    PER_WORKER,
    Job,
    Survey,
    forget,
    register,
    row_fingerprint,
    stamps_of,
    survey_names,
)

# ``overview.start`` is how the command line begins a survey early (see ``survey``).
from investigate.views.survey import Early as Early
from investigate.views.survey import start as start

if TYPE_CHECKING:
    from investigate.formats.schema import RunRecord
    from investigate.workspace.load import Workspace

# Data-dependent failures of one hypothesis' evaluation (a metric no rule can compare, a number too
# large for a float) are shown on its line; the other hypotheses are still evaluated.
EVALUATION_ERRORS = (InvestigateError, ArithmeticError, ValueError, TypeError)


@dataclass
class Overview:
    rows: dict[str, dict[str, Any]]  # hypothesis id -> verdict, runs, newer_failures, error
    problems: list[Problem]  # unreadable run.json files, excluded from every row
    lost: list[str]  # run dirs that were started but hold no run.json
    records: int  # readable run.json files


def overview(ws: Workspace, *, rows: bool = True, early: Early | None = None) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs (without ``rows``: no rows,
    and only the groups the index does not know are read). ``early``: what ``start`` began."""
    with gcpause.paused():
        return _overview(ws, rows, early)


def _overview(ws: Workspace, with_rows: bool, early: Early | None) -> Overview:
    root = str(ws.reports_dir)
    surveys: list[Survey] | None = None
    if early is not None:
        if with_rows and early.job.root == root:
            surveys = early.surveys()
        early.close()
    with open_index(ws.reports_dir) as index:
        if surveys is not None and early is not None:
            lister, stamps = early.lister, early.job.stamps
            todo = [name for survey in surveys for name in survey.stale]
        else:
            lister = index.lister(root) if index is not None else DirLister(root, {})
            stamps = stamps_of(root, lister)
            surveys, todo = [], list(stamps)
        # Each worker fetches the cached groups and rows of its own names: what a forked worker
        # touches of the parent's memory, it copies, and that cost more than the queries.
        job = Job(
            ws, root, ws.relative(ws.reports_dir), str(ws.hypotheses_dir), stamps, index is not None,
            code_fingerprint(), time.time_ns(), with_rows,
        )  # fmt: skip
        key = register(job)
        try:
            workers = parallel.workers(sum(len(stamps[name]) for name in todo), PER_WORKER)
            chunks = parallel.split(todo, workers, lambda name: len(stamps[name]))
            surveys += parallel.fork_map(survey_names, [(key, chunk) for chunk in chunks])
            view, fresh_rows = _merge(job, surveys, index)
        finally:
            forget(key)
        if index is not None:
            walked = {path for survey in surveys for path in survey.walked}
            # Rows of deleted groups and hypotheses are never used again, only kept: pruned when
            # the index holds more of them than there are (a count costs less than the scan).
            gone_groups = (
                [p for p in index.group_paths() if p not in walked] if index.count("groups") > len(walked) else []
            )
            pruning = with_rows and index.count("summaries") > len(ws.hypotheses)
            index.update_store(
                groups=[row for survey in surveys for row in survey.to_cache],
                gone_groups=gone_groups,
                summaries=fresh_rows,
                gone_summaries=[h for h in index.summarized() if h not in ws.hypotheses] if pruning else [],
                listings=lister.fresh,
                gone_dirs=[key for key in lister.cached if key not in lister.seen],  # root and stamps only
            )
    return view


def _merge(job: Job, surveys: list[Survey], index: Index | None) -> tuple[Overview, list[tuple[str, str, str]]]:
    """Rows for every hypothesis from what the workers found; the rows worth caching."""
    from investigate.workspace import yamlcache  # loaded with the workspace: no cost here

    ws = job.ws
    assert ws is not None
    problems = {run_dir: reason for survey in surveys for run_dir, reason in survey.problems.items()}
    foreign: dict[str, list[Group]] = {}
    for survey in surveys:
        for hyp_id, groups in survey.foreign.items():
            foreign.setdefault(hyp_id, []).extend(groups)
    rows: dict[str, dict[str, Any]] = {}
    fresh: list[tuple[str, str, str]] = []
    ahead = {}
    loaded = yamlcache.stats_when_read(ws)
    for survey in surveys:
        for hyp_id, result in survey.rows.items():
            # A row taken before the workspace was loaded counts if its YAML file is the one loaded.
            taken = survey.sources.get(hyp_id)
            if taken is not None and (hyp_id not in ws.hypotheses or taken != loaded.get(ws.source_file(hyp_id))):
                continue
            ahead[hyp_id] = result
    # Decided here: no runs, records filed under another name (over all of its groups, the ones
    # under its own name walked again: a worker returns no files, to keep its answer small), or a
    # YAML file edited while the store was walked.
    here = [h for h in ws.hypotheses if h not in ahead or h in foreign] if job.with_rows else []
    cached = index.summaries(set(here)) if index is not None and here else {}
    for hyp_id in here:
        own = [walk(job.root, f"{stamp}/{hyp_id}", None, job.now) for stamp in job.stamps.get(hyp_id, [])]
        groups = own + foreign.get(hyp_id, [])
        fingerprint, hit = row_fingerprint(job, hyp_id, groups), cached.get(hyp_id)
        if hit is not None and fingerprint is not None and hit[0] == fingerprint:
            ahead[hyp_id] = (fingerprint, hit[1])
        else:
            records = read_records(groups, hyp_id, job.root, job.prefix, problems)
            ahead[hyp_id] = (fingerprint, summarize(ws, hyp_id, records))
    for hyp_id in ws.hypotheses if job.with_rows else ():
        fingerprint, row = ahead[hyp_id]
        if isinstance(row, str):
            rows[hyp_id] = json.loads(row)  # unchanged since it was cached
        else:
            rows[hyp_id] = row
            if fingerprint is not None:
                fresh.append((hyp_id, fingerprint, json.dumps(row)))
    found = [Problem(f"{run_dir}/{RUN_JSON}", reason) for run_dir, reason in sorted(problems.items())]
    lost = sorted(run_dir for survey in surveys for run_dir in survey.lost)
    return Overview(rows, found, lost, sum(survey.records for survey in surveys)), fresh


def store_problems(ws: Workspace) -> tuple[list[Problem], int]:
    """Every unreadable run.json (path + reason), and how many were read fine."""
    view = overview(ws, rows=False)
    return view.problems, view.records


def summarize(ws: Workspace, hyp_id: str, records: list[RunRecord]) -> dict[str, Any]:
    """One hypothesis' row from its records (any of them; only those that count are used)."""
    from investigate.cli.common import status_counts
    from investigate.rules.counting import split_latest
    from investigate.rules.verdict import evaluate

    latest, newer = split_latest(records)
    row: dict[str, Any] = {
        "verdict": None,
        "runs": status_counts(latest),
        "newer_failures": [{"run_dir": r.run_dir, "status": r.status} for r in newer],
        "error": None,
        "flags": [],
    }
    try:
        verdict = evaluate(ws.hypotheses[hyp_id], latest, ws, counted=True)
        row["verdict"] = verdict.outcome.value
        row["flags"] = [f.kind for f in verdict.flags]  # a flagged verdict is inconclusive: `investigate audit`
    except EVALUATION_ERRORS as exc:
        row["verdict"] = "error"
        row["error"] = str(exc) if isinstance(exc, InvestigateError) else f"{type(exc).__name__}: {exc}"
    return row
