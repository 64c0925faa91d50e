"""Surveying the store for ``overview``: the part that runs in forked workers.

The work splits by directory name (every stamp's ``<name>`` goes to one worker), so a worker sees
all of a hypothesis' usual groups and evaluates it where it read them. Each worker fetches from the
index only the groups and rows of its own names: what a forked worker touches of its parent's
memory it copies, and that cost more than the queries.

Walking is most of a call over a large, unchanged store, and needs no workspace: ``start`` begins
it before the workspace (even before the models) is loaded. Such workers take each row they can
from the index and leave the rest (a changed hypothesis, changed runs) in ``Survey.stale``, to be
surveyed again once the workspace is there.

Without an index (the first call, or the first after this package changed) there is nothing to
take: ``firstsurvey`` then parses, validates and evaluates in the same workers.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.store.groups import Group, prewarm, read, recall, walk
from investigate.store.index import (
    CachedGroup,
    DirLister,
    GroupRow,
    Stat,
    code_fingerprint,
    open_index,
    settled,
    stat_key,
)
from investigate.store.layout import STAMP
from investigate.views import parallel
from investigate.workspace.dirs import Dirs, workspace_dirs

# Walking the store needs none of these; ``start`` forks its workers before they are imported.
if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

PER_WORKER = 4000  # groups worth a forked worker


@dataclass
class Survey:
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
class Job:
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
    dirs: Dirs | None = None  # the workspace's directories (a first survey assembles its models)


# Jobs in progress by key, read by the workers (forked ones inherit it). A key per call, not one
# global: threads may survey the same store at once.
_jobs: dict[int, Job] = {}
_next_key = itertools.count()


def register(job: Job) -> int:
    key = next(_next_key)
    _jobs[key] = job
    return key


def forget(key: int) -> None:
    _jobs.pop(key, None)


def job_of(key: int) -> Job:
    return _jobs[key]


@dataclass
class Early:
    """A survey started before the workspace was loaded (``start``)."""

    job: Job
    key: int
    lister: DirLister
    started: parallel.Started

    def surveys(self) -> list[Survey] | None:
        """What the workers found in the store; None if they failed (then the caller surveys it)."""
        return self.started.collect()

    def close(self) -> None:
        self.started.close()
        forget(self.key)


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
        if index is None or not parallel.can_fork():
            return None
        if not index.has_groups():  # a first survey, unless the files are parsed already
            from investigate.views.firstsurvey import start_first  # it builds on this module

            return start_first(dirs) if index.count("yaml") == 0 else None
        lister = index.lister(root)
    stamps = stamps_of(root, lister)
    workers = parallel.workers(sum(len(found) for found in stamps.values()), PER_WORKER)
    if workers < 2:
        return None
    prefix = dirs.reports.relative_to(dirs.root).as_posix()
    job = Job(None, root, prefix, str(dirs.hypotheses), stamps, True, code_fingerprint(), time.time_ns(), True)
    key = register(job)
    chunks = parallel.split(list(stamps), workers, lambda name: len(stamps[name]))
    started = parallel.start(survey_names, [(key, chunk) for chunk in chunks])
    if started is None:
        forget(key)
        return None
    return Early(job, key, lister, started)


def stamps_of(root: str, lister: DirLister) -> dict[str, list[str]]:
    """name -> the stamps that have a directory of that name."""
    stamps: dict[str, list[str]] = {}
    for stamp in sorted(lister(root)) if os.path.isdir(root) else ():
        if STAMP.match(stamp):
            for name in lister(f"{root}/{stamp}"):
                stamps.setdefault(name, []).append(stamp)
    return stamps


# ---- in the workers -------------------------------------------------------------------------


def survey_names(task: tuple[int, list[str]]) -> Survey:
    """Walk the groups of each directory name, read what changed, and evaluate the hypothesis named so.

    Without a workspace (``start``), a hypothesis whose row is not in the index is left in
    ``stale``, its groups unaccounted: the caller surveys that name again with the workspace.
    """
    job, names = _jobs[task[0]], task[1]
    out = Survey()
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
            source = source_stat(job, name)
            is_hypothesis = source is not None
        if job.with_rows and is_hypothesis:
            fingerprint = row_fingerprint(job, name, groups, source)
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
                from investigate.views.overview import summarize  # here: overview imports this module

                out.rows[name] = (fingerprint, summarize(job.ws, name, records))
        for group in groups:
            if group.fresh and not group.owners and not group.problems:
                read(group, job.root, job.prefix)  # not read above: learn who owns its records
            _account(job, group, out)
    return out


def _paths(job: Job, name: str) -> list[str]:
    return [f"{stamp}/{name}" for stamp in job.stamps.get(name, ())]


def _account(job: Job, group: Group, out: Survey) -> None:
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


def source_stat(job: Job, hyp_id: str) -> Stat | None:
    """The stat of the YAML file of ``hyp_id`` as loaded; without a workspace, as it is now (None: no
    such hypothesis)."""
    if job.ws is not None:
        if hyp_id not in job.ws.hypotheses:
            return None
        from investigate.workspace import yamlcache

        return yamlcache.stat_when_read(job.ws, job.ws.source_file(hyp_id))
    for suffix in (".yaml", ".yml"):
        try:
            return stat_key(os.stat(f"{job.hypotheses_dir}/{hyp_id}{suffix}"))
        except OSError:
            continue
    return None


def row_fingerprint(job: Job, hyp_id: str, groups: list[Group], source: Stat | None = None) -> str | None:
    """What the row of ``hyp_id`` depends on; None while a file is too fresh to key a cache entry."""
    source = source or source_stat(job, hyp_id)
    if source is None or not settled(source, job.now) or not all(g.settled for g in groups):
        return None
    digest = hashlib.sha256(f"{job.code} {hyp_id} {source}".encode())
    for group in sorted(groups, key=lambda g: g.path):
        group.hash_into(digest)
    return digest.hexdigest()
