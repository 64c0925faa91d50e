"""What ``status`` and ``list`` show per hypothesis, computed once and kept in the index.

The store is surveyed one *group* at a time: ``reports/<stamp>/<name>``, the runs one invocation
recorded under one hypothesis directory. Every call walks the store and stats every ``run.json``
(a new, changed or deleted file is always seen); a group whose files all have the (mtime, size,
inode) the index remembers is not read again, because the index also remembers which hypothesis
each of its records names and which of its files are unreadable.

A hypothesis' row (its verdict, the statuses of the runs that count, failures newer than the ok
runs they follow, or the error its evaluation raised) depends on its YAML file, the groups that
hold its records and this package's code, nothing else. Its fingerprint covers exactly those, so
a hypothesis whose inputs did not change is neither read nor evaluated again.

The work splits by directory name (every stamp's ``<name>`` goes to one worker), so a worker sees
all of a hypothesis' usual groups and evaluates it where it read them (``parallel``). A record
filed under another hypothesis' directory is rare; its hypothesis is then computed again here,
over all of its groups.

Unreadable ``run.json`` files are returned as problems (path + reason), never dropped silently.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from investigate import parallel, yamlcache
from investigate.commands._common import status_counts
from investigate.errors import InvestigateError
from investigate.index import STAT_TYPE, CachedGroup, DirLister, code_fingerprint, open_index, packed_stat, settled
from investigate.recordjson import RecordError
from investigate.schema import RunRecord
from investigate.store import RUN_JSON, STAMP, STARTED, Problem, RunFile, read_file, split_latest
from investigate.verdict import evaluate
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
class Group:
    """One ``<stamp>/<name>`` directory: its run files, and what their records say."""

    path: str  # "<stamp>/<name>", relative to reports/
    names: str  # "<point>/<run>" of every run.json, sorted, one per line
    stats: bytes  # (mtime_ns, size, inode) of each, packed as STAT_TYPE
    settled: bool  # no file modified within index.RACY_NS: safe to key a cache entry
    lost: list[str] = field(default_factory=list)  # "<point>/<run>" started without a run.json
    owners: dict[str, int] = field(default_factory=dict)  # hypothesis -> how many records name it
    problems: dict[str, str] = field(default_factory=dict)  # name -> why it cannot be read
    fresh: bool = False  # read now, not known to the index

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.names.encode() + self.stats, usedforsecurity=False).hexdigest()

    def files(self, root: str, prefix: str) -> list[RunFile]:
        names = self.names.split("\n") if self.names else []
        stats = array(STAT_TYPE, self.stats)
        triples = zip(stats[0::3], stats[1::3], stats[2::3], strict=True)
        return [
            RunFile(f"{prefix}/{self.path}/{name}", f"{root}/{self.path}/{name}/{RUN_JSON}", stat)
            for name, stat in zip(names, triples, strict=True)
        ]


@dataclass
class _Survey:
    """What a worker found for a share of the directory names."""

    groups: list[Group]
    rows: dict[str, tuple[str | None, dict[str, Any] | None]]  # hypothesis -> (fingerprint, row; None: cached)
    listings: list[tuple[str, int, int, str]]  # directory listings read (index.DirLister.fresh)
    seen: list[str]  # directories listed under groups that changed (the rest keep their listings)


@dataclass
class _Job:
    """The work of one call, shared with forked workers (set before they start)."""

    ws: Workspace
    root: str  # reports/, absolute
    prefix: str  # reports/, relative to the workspace root
    stamps: dict[str, list[str]]  # name -> the stamps that have a directory of that name
    dirs: dict[str, tuple[int, int, str]]  # the index's directory listings
    groups: dict[str, CachedGroup]  # the index's groups
    summaries: dict[str, tuple[str, str]]  # the index's rows: hypothesis -> (fingerprint, JSON)
    code: str
    now: int
    with_rows: bool


_job: _Job | None = None


def overview(ws: Workspace, *, rows: bool = True) -> Overview:
    """Every hypothesis' row, the store's problems and its lost runs (without ``rows``: no rows,
    and only the groups the index does not know are read)."""
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
    global _job
    with open_index(ws.reports_dir) as index:
        root = str(ws.reports_dir)
        lister = index.lister(root) if index is not None else DirLister(root, {})
        stamps: dict[str, list[str]] = {}
        for stamp in sorted(lister(root)) if os.path.isdir(root) else ():
            if STAMP.match(stamp):
                for name in lister(f"{root}/{stamp}"):
                    stamps.setdefault(name, []).append(stamp)
        cached_groups = index.groups() if index is not None else {}
        summaries = index.summaries() if index is not None and with_rows else {}
        _job = _Job(
            ws, root, ws.relative(ws.reports_dir), stamps, lister.cached, cached_groups, summaries,
            code_fingerprint(), time.time_ns(), with_rows,
        )  # fmt: skip
        try:
            names = list(stamps)
            workers = parallel.workers(sum(len(found) for found in stamps.values()), PER_WORKER)
            chunks = parallel.split(names, workers, lambda name: len(stamps[name]))
            surveys = parallel.fork_map(_survey, chunks)
            view, fresh_rows = _merge(_job, surveys)
        finally:
            _job = None
        if index is not None:
            fresh_groups = [g for survey in surveys for g in survey.groups if g.fresh]
            walked = {g.path for survey in surveys for g in survey.groups}
            lister.fresh.extend(listing for survey in surveys for listing in survey.listings)
            seen = {*lister.seen, *(key for survey in surveys for key in survey.seen)}
            changed = {g.path for g in fresh_groups}
            index.update_store(
                groups=[_cache_row(g) for g in fresh_groups if g.settled],
                gone_groups=[path for path in cached_groups if path not in walked],
                summaries=fresh_rows,
                gone_summaries=[h for h in summaries if h not in ws.hypotheses] if with_rows else [],
                listings=lister.fresh,
                gone_dirs=[key for key in lister.cached if _gone(key, seen, walked, changed)],
            )
    return view


def _merge(job: _Job, surveys: list[_Survey]) -> tuple[Overview, list[tuple[str, str, str]]]:
    """Rows for every hypothesis from what the workers found; the rows worth caching."""
    ws = job.ws
    problems: dict[str, str] = {}
    lost: list[str] = []
    records = 0
    holding: dict[str, list[Group]] = {}  # hypothesis -> groups named after it or holding its records
    for group in (g for survey in surveys for g in survey.groups):
        name = _name(group)
        holding.setdefault(name, []).append(group)
        for hyp, count in group.owners.items():
            records += count
            if hyp != name:
                holding.setdefault(hyp, []).append(group)
        problems.update((f"{job.prefix}/{group.path}/{n}", reason) for n, reason in group.problems.items())
        lost.extend(f"{job.prefix}/{group.path}/{n}" for n in group.lost)
    rows: dict[str, dict[str, Any]] = {}
    fresh: list[tuple[str, str, str]] = []
    ahead = {hyp: result for survey in surveys for hyp, result in survey.rows.items()}
    for hyp_id in ws.hypotheses if job.with_rows else ():
        groups = holding.get(hyp_id, [])
        if hyp_id in ahead and all(_name(g) == hyp_id for g in groups):
            fingerprint, row = ahead[hyp_id]  # the worker saw every group it depends on
        else:  # no runs, or records filed under another name: decided here, over all its groups
            fingerprint, row = _fingerprint(job, hyp_id, groups), None
            hit = job.summaries.get(hyp_id)
            if hit is None or fingerprint is None or hit[0] != fingerprint:
                row = summarize(ws, hyp_id, _read_records(job, hyp_id, groups, problems))
        if row is None:
            rows[hyp_id] = json.loads(job.summaries[hyp_id][1])  # unchanged since it was cached
            continue
        rows[hyp_id] = row
        if fingerprint is not None:
            fresh.append((hyp_id, fingerprint, json.dumps(row)))
    found = [Problem(f"{run_dir}/{RUN_JSON}", reason) for run_dir, reason in sorted(problems.items())]
    return Overview(rows, found, sorted(lost), records), fresh


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


# ---- in the workers -------------------------------------------------------------------------


def _survey(names: list[str]) -> _Survey:
    """Walk the groups of each directory name, read what changed, and evaluate the hypothesis named so."""
    job = _job
    assert job is not None
    lister = DirLister(job.root, job.dirs)
    out = _Survey([], {}, [], [])
    for name in names:
        groups, known = [], []
        for stamp in job.stamps[name]:
            start = len(lister.seen)
            group = _walk(job, lister, f"{stamp}/{name}")
            known.append(_recall(job, group))
            if group.fresh:
                out.seen.extend(lister.seen[start:])
            groups.append(group)
        out.groups.extend(groups)
        if not (job.with_rows and name in job.ws.hypotheses):
            for group in groups:
                if group.fresh:
                    _read_group(job, group)
            continue
        fingerprint = _fingerprint(job, name, groups)
        cached = job.summaries.get(name)
        if all(known) and cached is not None and fingerprint is not None and cached[0] == fingerprint:
            out.rows[name] = (fingerprint, None)
            continue
        records = [r for group in groups for r in _read_group(job, group) if r.hypothesis == name]
        out.rows[name] = (fingerprint, summarize(job.ws, name, records))
    out.listings = lister.fresh
    return out


def _walk(job: _Job, lister: DirLister, path: str) -> Group:
    """The run files of one group, stat'ed; nothing read."""
    names: list[str] = []
    stats = array(STAT_TYPE)
    lost: list[str] = []
    newest = 0
    base = f"{job.root}/{path}"
    for point in sorted(lister(base)):
        point_path = f"{base}/{point}"
        for run in sorted(lister(point_path)):
            run_path = f"{point_path}/{run}"
            try:
                st = os.stat(f"{run_path}/{RUN_JSON}")
            except FileNotFoundError:
                if os.path.exists(f"{run_path}/{STARTED}"):
                    lost.append(f"{point}/{run}")
                continue
            except OSError:
                continue
            names.append(f"{point}/{run}")
            stats.extend(packed_stat(st))
            newest = max(newest, st.st_mtime_ns)
    return Group(path, "\n".join(names), stats.tobytes(), settled((newest, 0, 0), job.now), lost)


def _recall(job: _Job, group: Group) -> bool:
    """Fill in what the index knows of ``group`` if its files are unchanged; whether they were."""
    hit = job.groups.get(group.path)
    if hit is None or hit.names != group.names or hit.stats != group.stats:
        group.fresh = True
        return False
    group.owners, group.problems = hit.decode(_name(group))
    return True


def _read_group(job: _Job, group: Group) -> list[RunRecord]:
    """Every readable record of ``group``; for a group the index did not know, also who owns which."""
    out = []
    names = group.names.split("\n") if group.names else []
    for name, file in zip(names, group.files(job.root, job.prefix), strict=True):
        try:
            record = read_file(file)
        except RecordError as exc:
            if group.fresh:
                group.problems[name] = str(exc)
            continue
        if group.fresh:
            group.owners[record.hypothesis] = group.owners.get(record.hypothesis, 0) + 1
        out.append(record)
    return out


def _fingerprint(job: _Job, hyp_id: str, groups: list[Group]) -> str | None:
    """What the row of ``hyp_id`` depends on; None while a file is too fresh to key a cache entry."""
    source = yamlcache.stat_when_read(job.ws, job.ws.source_path(hyp_id))
    if source is None or not settled(source, job.now) or not all(g.settled for g in groups):
        return None
    digests = sorted(f"{g.path} {g.digest}" for g in groups)
    return hashlib.sha256(repr((job.code, hyp_id, source, digests)).encode()).hexdigest()


# ---- back here -------------------------------------------------------------------------------


def _name(group: Group) -> str:
    """The directory name of a group: the hypothesis its records usually name."""
    return group.path.split("/", 1)[1]


def _read_records(job: _Job, hyp_id: str, groups: list[Group], problems: dict[str, str]) -> list[RunRecord]:
    out = []
    for group in groups:
        for file in group.files(job.root, job.prefix):
            try:
                record = read_file(file)
            except RecordError as exc:  # changed since it was listed: report it like any other
                problems[file.run_dir] = str(exc)
                continue
            if record.hypothesis == hyp_id:
                out.append(record)
    return out


def _cache_row(group: Group) -> tuple[str, str, bytes, str]:
    return (
        group.path,
        group.names,
        group.stats,
        CachedGroup.encode(_name(group), group.names, group.owners, group.problems),
    )


def _gone(key: str, seen: set[str], walked: set[str], changed: set[str]) -> bool:
    """Whether a cached directory listing is for a directory that is no longer there."""
    if key == ".":
        return False
    parts = key.split("/", 2)
    if len(parts) == 1:  # a stamp: the parent listed every stamp
        return key not in seen
    group = f"{parts[0]}/{parts[1]}"
    return group not in walked or (group in changed and key not in seen)
