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
import itertools
import json
import os
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from investigate import parallel, yamlcache
from investigate.commands._common import status_counts
from investigate.errors import InvestigateError
from investigate.index import (
    STAT_TYPE,
    CachedGroup,
    DirLister,
    GroupRow,
    Index,
    code_fingerprint,
    open_index,
    packed_stat,
    settled,
    subdirs,
)
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
    relisted: bool = False  # a directory was listed again: the cached listings are out of date
    dirs: bytes = b""  # what the listings below were read under (CachedGroup.dirs)
    points: str = ""  # the point directories, one per line
    runs: str = ""  # "<point>/<run>" of every run directory, one per line

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
    """What a worker found for a share of the directory names: only what the caller needs, since
    everything a forked worker returns is pickled."""

    rows: dict[str, tuple[str | None, dict[str, Any] | str]]  # hypothesis -> (fingerprint, row, or its cached JSON)
    walked: list[str]  # every group's path
    to_cache: list[GroupRow]  # index rows of groups read or listed again
    records: int  # readable records
    problems: dict[str, str]  # run_dir -> why its run.json cannot be read
    lost: list[str]  # run dirs started without a run.json
    foreign: dict[str, list[Group]]  # hypothesis -> groups under another name holding its records


@dataclass
class _Job:
    """The work of one call, shared with forked workers (set before they start)."""

    ws: Workspace
    root: str  # reports/, absolute
    prefix: str  # reports/, relative to the workspace root
    stamps: dict[str, list[str]]  # name -> the stamps that have a directory of that name
    indexed: bool  # whether there is an index to ask
    code: str
    now: int
    with_rows: bool


# Jobs in progress by key, read by the workers (forked ones inherit it). A key per call, not one
# global: threads may survey the same store at once.
_jobs: dict[int, _Job] = {}
_next_key = itertools.count()


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
    with open_index(ws.reports_dir) as index:
        root = str(ws.reports_dir)
        lister = index.lister(root) if index is not None else DirLister(root, {})
        stamps: dict[str, list[str]] = {}
        for stamp in sorted(lister(root)) if os.path.isdir(root) else ():
            if STAMP.match(stamp):
                for name in lister(f"{root}/{stamp}"):
                    stamps.setdefault(name, []).append(stamp)
        # Each worker fetches the cached groups and rows of its own names: what a forked worker
        # touches of the parent's memory, it copies, and that cost more than the queries.
        job = _Job(
            ws, root, ws.relative(ws.reports_dir), stamps, index is not None, code_fingerprint(), time.time_ns(),
            with_rows,
        )  # fmt: skip
        key = next(_next_key)
        _jobs[key] = job
        try:
            workers = parallel.workers(sum(len(found) for found in stamps.values()), PER_WORKER)
            chunks = parallel.split(list(stamps), workers, lambda name: len(stamps[name]))
            surveys = parallel.fork_map(_survey, [(key, chunk) for chunk in chunks])
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


def _merge(job: _Job, surveys: list[_Survey], index: Index | None) -> tuple[Overview, list[tuple[str, str, str]]]:
    """Rows for every hypothesis from what the workers found; the rows worth caching."""
    ws = job.ws
    problems = {run_dir: reason for survey in surveys for run_dir, reason in survey.problems.items()}
    foreign: dict[str, list[Group]] = {}
    for survey in surveys:
        for hyp_id, groups in survey.foreign.items():
            foreign.setdefault(hyp_id, []).extend(groups)
    rows: dict[str, dict[str, Any]] = {}
    fresh: list[tuple[str, str, str]] = []
    ahead = {hyp: result for survey in surveys for hyp, result in survey.rows.items()}
    # Decided here: no runs, or records filed under another name (over all of its groups, the
    # ones under its own name walked again: a worker returns no files, to keep its answer small).
    here = [h for h in ws.hypotheses if h not in ahead or h in foreign] if job.with_rows else []
    cached = index.summaries(set(here)) if index is not None and here else {}
    for hyp_id in here:
        own = [_walk(job, f"{stamp}/{hyp_id}", None) for stamp in job.stamps.get(hyp_id, [])]
        groups = own + foreign.get(hyp_id, [])
        fingerprint, hit = _fingerprint(job, hyp_id, groups), cached.get(hyp_id)
        if hit is not None and fingerprint is not None and hit[0] == fingerprint:
            ahead[hyp_id] = (fingerprint, hit[1])
        else:
            ahead[hyp_id] = (fingerprint, summarize(ws, hyp_id, _read_records(job, hyp_id, groups, problems)))
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
    """Walk the groups of each directory name, read what changed, and evaluate the hypothesis named so."""
    job, names = _jobs[task[0]], task[1]
    out = _Survey({}, [], [], 0, {}, [], {})
    cached_groups: dict[str, CachedGroup] = {}
    summaries: dict[str, tuple[str, str]] = {}
    if job.indexed:
        with open_index(job.ws.reports_dir) as index:
            if index is not None:
                mine = set(names)
                cached_groups = index.groups(mine)
                summaries = index.summaries(mine) if job.with_rows else {}
    for name in names:
        groups = [_walk(job, f"{stamp}/{name}", cached_groups.get(f"{stamp}/{name}")) for stamp in job.stamps[name]]
        known = [_recall(group, cached_groups.get(group.path)) for group in groups]
        if job.with_rows and name in job.ws.hypotheses:
            fingerprint = _fingerprint(job, name, groups)
            cached = summaries.get(name)
            if all(known) and cached is not None and fingerprint is not None and cached[0] == fingerprint:
                out.rows[name] = cached
            else:
                records = [r for group in groups for r in _read_group(job, group) if r.hypothesis == name]
                out.rows[name] = (fingerprint, summarize(job.ws, name, records))
        for group in groups:
            if group.fresh and not group.owners and not group.problems:
                _read_group(job, group)  # not read above: learn who owns its records
            _account(job, group, out)
    return out


def _account(job: _Job, group: Group, out: _Survey) -> None:
    """Add what the caller needs to know of one walked group to ``out``."""
    out.walked.append(group.path)
    if (group.fresh or group.relisted) and group.settled:
        owners = CachedGroup.encode(_name(group), group.names, group.owners, group.problems)
        out.to_cache.append((group.path, group.names, group.stats, owners, group.dirs, group.points, group.runs))
    name = _name(group)
    for hyp_id, count in group.owners.items():
        out.records += count
        if hyp_id != name:
            out.foreign.setdefault(hyp_id, []).append(group)
    out.problems.update((f"{job.prefix}/{group.path}/{n}", reason) for n, reason in group.problems.items())
    out.lost.extend(f"{job.prefix}/{group.path}/{n}" for n in group.lost)


def _walk(job: _Job, path: str, cached: CachedGroup | None) -> Group:
    """The run files of one group, stat'ed; nothing read. The loop every call pays for, kept tight.

    Every directory is stat'ed: while the (mtime_ns, inode) of the group's directory and of each
    of its point directories are what the index holds, so are their listings (adding or removing
    an entry moves a directory's mtime), and the run directories come from the index; else they
    are listed again. Then every ``run.json`` is stat'ed.
    """
    base = f"{job.root}/{path}"
    stat = os.stat
    try:
        st = stat(base)
    except OSError:
        return Group(path, "", b"", True)
    dirs = array(STAT_TYPE)
    _add_dir(dirs, st)
    if cached is not None and cached.dirs[: dirs.itemsize * 2] == dirs.tobytes():
        points = cached.points.split("\n") if cached.points else []
    else:
        points = subdirs(base)
    for point in points:
        try:
            _add_dir(dirs, stat(f"{base}/{point}"))
        except OSError:
            continue  # gone since it was listed: the stats differ from any listing that had it
    dir_stats = dirs.tobytes()
    relisted = cached is None or dir_stats != cached.dirs
    if relisted:
        runs = [f"{point}/{run}" for point in points for run in subdirs(f"{base}/{point}")]
    else:
        runs = cached.runs.split("\n") if cached.runs else []  # type: ignore[union-attr]
    names: list[str] = []
    stats = array(STAT_TYPE)
    lost: list[str] = []
    for run in runs:
        try:
            rst = stat(f"{base}/{run}/{RUN_JSON}")
        except FileNotFoundError:
            if os.path.exists(f"{base}/{run}/{STARTED}"):
                lost.append(run)
            continue
        except OSError:
            continue
        names.append(run)
        try:
            stats.extend((rst.st_mtime_ns, rst.st_size, rst.st_ino))
        except OverflowError:  # an inode past 2**63; extend() had appended the fields before it
            del stats[3 * (len(names) - 1) :]
            stats.extend(packed_stat(rst))
    newest = max(max(dirs[0::2]), max(stats[0::3]) if stats else 0)
    group = Group(path, "\n".join(names), stats.tobytes(), settled((newest, 0, 0), job.now), lost)
    group.relisted = relisted
    group.dirs, group.points, group.runs = dir_stats, "\n".join(points), "\n".join(runs)
    return group


def _add_dir(dirs: array[int], st: os.stat_result) -> None:
    try:
        dirs.extend((st.st_mtime_ns, st.st_ino))
    except OverflowError:  # an inode past 2**63
        del dirs[len(dirs) - len(dirs) % 2 :]
        dirs.extend(packed_stat(st)[::2])


def _recall(group: Group, hit: CachedGroup | None) -> bool:
    """Fill in what the index knows of ``group`` if its files are unchanged; whether they were."""
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
    source = yamlcache.stat_when_read(job.ws, job.ws.source_file(hyp_id))
    if source is None or not settled(source, job.now) or not all(g.settled for g in groups):
        return None
    digest = hashlib.sha256(f"{job.code} {hyp_id} {source}".encode())
    for group in sorted(groups, key=lambda g: g.path):
        digest.update(f"\0{group.path}\0{group.names}\0".encode())  # no name holds a NUL
        digest.update(group.stats)  # 24 bytes per name: its length follows from the names
    return digest.hexdigest()


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
