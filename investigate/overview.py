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

The work splits by directory name (every stamp's ``<name>`` goes to one worker), so a worker sees
all of a hypothesis' usual groups and evaluates it where it read them (``parallel``). A record
filed under another hypothesis' directory is rare; its hypothesis is then computed again here,
over all of its groups.

Walking is most of a call over a large, unchanged store, and needs no workspace: ``start`` begins
it in forked workers before the workspace is loaded, which then happens meanwhile. Those workers
take each row they can from the index and leave the rest (a changed hypothesis, changed runs) to
be evaluated once the workspace is there.

Unreadable ``run.json`` files are returned as problems (path + reason), never dropped silently.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate import parallel
from investigate.errors import InvestigateError
from investigate.index import (
    CachedGroup,
    DirLister,
    GroupRow,
    Index,
    Stat,
    code_fingerprint,
    open_index,
    settled,
    stat_key,
)
from investigate.layout import RUN_JSON, STAMP, Problem
from investigate.storegroups import Group, prewarm, read, read_records, recall, walk
from investigate.wsdirs import workspace_dirs

# Walking the store needs none of these; ``start`` forks its workers before they are imported.
if TYPE_CHECKING:
    from investigate.schema import RunRecord
    from investigate.workspace import Workspace

# Data-dependent failures of one hypothesis' evaluation (a metric no rule can compare, a number too
# large for a float) are shown on its line; the other hypotheses are still evaluated.
EVALUATION_ERRORS = (InvestigateError, ArithmeticError, ValueError, TypeError)
PER_WORKER = 4000  # groups worth a forked worker


@dataclass
class Overview:
    rows: dict[str, dict[str, Any]]  # hypothesis id -> verdict, runs, newer_failures, error
    problems: list[Problem]  # unreadable run.json files, excluded from every row
    lost: list[str]  # run dirs that were started but hold no run.json
    records: int  # readable run.json files


@dataclass
class _Survey:
    """What a worker found for a share of the directory names: only what the caller needs, since
    everything a forked worker returns is pickled."""

    # id -> (fingerprint, the row or its cached JSON)
    rows: dict[str, tuple[str | None, dict[str, Any] | str]] = field(default_factory=dict)
    sources: dict[str, Stat] = field(default_factory=dict)  # id -> the YAML stat a row was taken under (no workspace)
    stale: list[str] = field(default_factory=list)  # names left to evaluate where the workspace is (none)
    walked: list[str] = field(default_factory=list)  # every group's path
    to_cache: list[GroupRow] = field(default_factory=list)  # index rows of groups read or listed again
    records: int = 0  # readable records
    problems: dict[str, str] = field(default_factory=dict)  # run_dir -> why its run.json cannot be read
    lost: list[str] = field(default_factory=list)  # run dirs started without a run.json
    foreign: dict[str, list[Group]] = field(default_factory=dict)  # id -> groups under another name holding its records


@dataclass
class _Job:
    """The work of one call, shared with forked workers (set before they start)."""

    ws: Workspace | None  # None: started before the workspace was loaded
    root: str  # reports/, absolute
    prefix: str  # reports/, relative to the workspace root
    hypotheses_dir: str
    stamps: dict[str, list[str]]  # name -> the stamps that have a directory of that name
    indexed: bool  # whether there is an index to ask
    code: str
    now: int
    with_rows: bool


# Jobs in progress by key, read by the workers (forked ones inherit it). A key per call, not one
# global: threads may survey the same store at once.
_jobs: dict[int, _Job] = {}
_next_key = itertools.count()


@dataclass
class Early:
    """A survey started before the workspace was loaded (``start``)."""

    job: _Job
    key: int
    lister: DirLister
    started: parallel.Started

    def close(self) -> None:
        self.started.close()
        _jobs.pop(self.key, None)


def start(where: Path | None) -> Early | None:
    """Start walking the store of the workspace at (or above) ``where`` in forked workers, or None
    where that does not pay: no index yet (a first survey reads everything, and is fastest where
    it can evaluate what it reads), a small store, or no safe fork."""
    try:
        dirs = workspace_dirs(where)
    except InvestigateError:
        return None  # loading the workspace says what is wrong
    root = str(dirs.reports)
    with open_index(dirs.reports) as index:
        if index is None or not index.has_groups() or not parallel.can_fork():
            return None
        lister = index.lister(root)
    stamps = _stamps(root, lister)
    workers = parallel.workers(sum(len(found) for found in stamps.values()), PER_WORKER)
    if workers < 2:
        return None
    prefix = dirs.reports.relative_to(dirs.root).as_posix()
    job = _Job(None, root, prefix, str(dirs.hypotheses), stamps, True, code_fingerprint(), time.time_ns(), True)
    key = next(_next_key)
    _jobs[key] = job
    chunks = parallel.split(list(stamps), workers, lambda name: len(stamps[name]))
    started = parallel.start(_survey, [(key, chunk) for chunk in chunks])
    if started is None:
        del _jobs[key]
        return None
    return Early(job, key, lister, started)


def overview(ws: Workspace, *, rows: bool = True, early: Early | None = None) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs (without ``rows``: no rows,
    and only the groups the index does not know are read). ``early``: what ``start`` began."""
    # 100,000 records allocate millions of small acyclic objects; the cyclic collector scanning
    # them again and again cost a quarter of the time. Nothing made here forms a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _overview(ws, rows, early)
    finally:
        if enabled:
            gc.enable()


def _overview(ws: Workspace, with_rows: bool, early: Early | None) -> Overview:
    root = str(ws.reports_dir)
    surveys: list[_Survey] | None = None
    if early is not None:
        if with_rows and early.job.root == root:
            surveys = early.started.collect()
        early.close()
    with open_index(ws.reports_dir) as index:
        if surveys is not None and early is not None:
            lister, stamps = early.lister, early.job.stamps
            todo = [name for survey in surveys for name in survey.stale]
        else:
            lister = index.lister(root) if index is not None else DirLister(root, {})
            stamps = _stamps(root, lister)
            surveys, todo = [], list(stamps)
        # Each worker fetches the cached groups and rows of its own names: what a forked worker
        # touches of the parent's memory, it copies, and that cost more than the queries.
        job = _Job(
            ws, root, ws.relative(ws.reports_dir), str(ws.hypotheses_dir), stamps, index is not None,
            code_fingerprint(), time.time_ns(), with_rows,
        )  # fmt: skip
        key = next(_next_key)
        _jobs[key] = job
        try:
            workers = parallel.workers(sum(len(stamps[name]) for name in todo), PER_WORKER)
            chunks = parallel.split(todo, workers, lambda name: len(stamps[name]))
            surveys += parallel.fork_map(_survey, [(key, chunk) for chunk in chunks])
            view, fresh_rows = _merge(job, surveys, index)
        finally:
            del _jobs[key]
        if index is not None:
            walked = {path for survey in surveys for path in survey.walked}
            index.update_store(
                groups=[row for survey in surveys for row in survey.to_cache],
                gone_groups=[path for path in index.group_paths() if path not in walked],
                summaries=fresh_rows,
                gone_summaries=[h for h in index.summarized() if h not in ws.hypotheses] if with_rows else [],
                listings=lister.fresh,
                gone_dirs=[key for key in lister.cached if key not in lister.seen],  # root and stamps only
            )
    return view


def _stamps(root: str, lister: DirLister) -> dict[str, list[str]]:
    """name -> the stamps that have a directory of that name."""
    stamps: dict[str, list[str]] = {}
    for stamp in sorted(lister(root)) if os.path.isdir(root) else ():
        if STAMP.match(stamp):
            for name in lister(f"{root}/{stamp}"):
                stamps.setdefault(name, []).append(stamp)
    return stamps


def _merge(job: _Job, surveys: list[_Survey], index: Index | None) -> tuple[Overview, list[tuple[str, str, str]]]:
    """Rows for every hypothesis from what the workers found; the rows worth caching."""
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
    for survey in surveys:
        for hyp_id, result in survey.rows.items():
            # A row taken before the workspace was loaded counts if its YAML file is the one loaded.
            if hyp_id in survey.sources and survey.sources[hyp_id] != _source_stat(job, hyp_id):
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
        fingerprint, hit = _fingerprint(job, hyp_id, groups), cached.get(hyp_id)
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
    from investigate.commands._common import status_counts
    from investigate.store import split_latest
    from investigate.verdict import evaluate

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


# ---- in the workers -------------------------------------------------------------------------


def _survey(task: tuple[int, list[str]]) -> _Survey:
    """Walk the groups of each directory name, read what changed, and evaluate the hypothesis named so.

    Without a workspace (``start``), a hypothesis whose row is not in the index is left in
    ``stale``, its groups unaccounted: the caller surveys that name again with the workspace.
    """
    job, names = _jobs[task[0]], task[1]
    out = _Survey()
    cached_groups: dict[str, CachedGroup] = {}
    summaries: dict[str, tuple[str, str]] = {}
    if job.indexed:
        with open_index(Path(job.root)) as index:
            if index is not None:
                mine = set(names)
                cached_groups = index.groups(mine)
                summaries = index.summaries(mine) if job.with_rows else {}
    prewarm(job.root, cached_groups)  # only where the disk is cold: after a reboot
    for name in names:
        groups = [walk(job.root, path, cached_groups.get(path), job.now) for path in _paths(job, name)]
        known = [recall(group, cached_groups.get(group.path)) for group in groups]
        if job.ws is not None:
            source, is_hypothesis = None, name in job.ws.hypotheses
        else:  # what the workspace will be: the file the hypothesis is loaded from
            source = _source_stat(job, name)
            is_hypothesis = source is not None
        if job.with_rows and is_hypothesis:
            fingerprint = _fingerprint(job, name, groups, source)
            cached = summaries.get(name)
            if all(known) and cached is not None and fingerprint is not None and cached[0] == fingerprint:
                out.rows[name] = cached
                if source is not None:
                    out.sources[name] = source
            elif job.ws is None:
                out.stale.append(name)
                continue
            else:
                records = [r for group in groups for r in read(group, job.root, job.prefix) if r.hypothesis == name]
                out.rows[name] = (fingerprint, summarize(job.ws, name, records))
        for group in groups:
            if group.fresh and not group.owners and not group.problems:
                read(group, job.root, job.prefix)  # not read above: learn who owns its records
            _account(job, group, out)
    return out


def _paths(job: _Job, name: str) -> list[str]:
    return [f"{stamp}/{name}" for stamp in job.stamps[name]]


def _account(job: _Job, group: Group, out: _Survey) -> None:
    """Add what the caller needs to know of one walked group to ``out``."""
    out.walked.append(group.path)
    if (group.fresh or group.relisted) and group.settled:
        out.to_cache.append(group.cache_row())
    for hyp_id, count in group.owners.items():
        out.records += count
        if hyp_id != group.name:
            out.foreign.setdefault(hyp_id, []).append(group)
    out.problems.update((f"{job.prefix}/{group.path}/{n}", reason) for n, reason in group.problems.items())
    out.lost.extend(f"{job.prefix}/{group.path}/{n}" for n in group.lost)


def _source_stat(job: _Job, hyp_id: str) -> Stat | None:
    """The stat of the YAML file of ``hyp_id`` as loaded; without a workspace, as it is now (None: no
    such hypothesis)."""
    if job.ws is not None:
        if hyp_id not in job.ws.hypotheses:
            return None
        from investigate import yamlcache

        return yamlcache.stat_when_read(job.ws, job.ws.source_file(hyp_id))
    for suffix in (".yaml", ".yml"):
        try:
            return stat_key(os.stat(f"{job.hypotheses_dir}/{hyp_id}{suffix}"))
        except OSError:
            continue
    return None


def _fingerprint(job: _Job, hyp_id: str, groups: list[Group], source: Stat | None = None) -> str | None:
    """What the row of ``hyp_id`` depends on; None while a file is too fresh to key a cache entry."""
    source = source or _source_stat(job, hyp_id)
    if source is None or not settled(source, job.now) or not all(g.settled for g in groups):
        return None
    digest = hashlib.sha256(f"{job.code} {hyp_id} {source}".encode())
    for group in sorted(groups, key=lambda g: g.path):
        group.hash_into(digest)
    return digest.hexdigest()
