"""Prune the evidence store: superseded records, empty stamp directories, and (``--lost``) leftovers.

Records are grouped by (hypothesis, arm, matrix point, seed), the identity ``store.latest_records``
keeps the newest of. Against the newest **ok** record R of its group, an older record is

- ``failed``: an error, timeout or interrupted run that R superseded;
- ``pointer``: a cache hit (``reused_from``) that R superseded;
- ``old-key``: an executed ok run whose cache key differs from R's (the code, params or packages
  changed since; a run with R's own key is a replicate and stays).

Any other older record stays (a failure followed only by failures, an ok run followed by a
failure). Never removed: the newest record of each group (what every verdict reads), a record a
verdict cites, a record that a kept record reuses (``reused_from``), and any record a committed
summary or initiative file links (``reports/*/*.md``, ``reports/*/*.html``, ``plans/*/initiative.yaml``
are scanned for ``<stamp>/...`` paths; a link to a directory keeps everything under it).

With ``--lost``: run directories that started and were never recorded (``lost.find_lost``: their
invocation died), run directories of finished invocations that hold neither a record nor a start
marker (what an interrupted removal of an older version left), what an interrupted ``clean`` left
in ``reports/.trash``, the stamp ``.lock`` files of dead invocations, and the per-key lock files in
``reports/.locks`` (only while no invocation is alive). Directories left empty go as well.

A directory is removed by first renaming it into ``reports/.trash`` (one atomic step: the record is
in the store or out of it, and its index row goes with it), then deleting it there; a ``clean``
killed in between leaves only trash. Nothing is followed through a symlink: a stamp or run
directory that is a link is never entered, and a link is removed as a link.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from investigate.core.errors import InvestigateError
from investigate.core.locks import LOCKS_DIR, is_locked
from investigate.formats.schema import RunRecord
from investigate.rules.counting import by_hypothesis, latest_records, record_key
from investigate.rules.verdict import evaluate
from investigate.store.files import subdirs
from investigate.store.layout import STARTED, Site
from investigate.store.lost import STAMP_LOCK, find_lost
from investigate.store.records import RUN_JSON, STAMP, index_of, read_records

TRASH = ".trash"


class Workspace(Site, Protocol):
    """What cleaning needs of a workspace: its store, plans and hypotheses (to keep what verdicts cite)."""

    plans_dir: Path

    @property
    def hypotheses(self) -> Mapping[str, Any]: ...


RECORD_KINDS = ("failed", "pointer", "old-key")
LEFTOVER_KINDS = ("lost", "orphan", "trash", "lock", "empty-dir")
LINK = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?)((?:/[^/\s)\]\"'<>`|#?\\]+)*)")


@dataclass
class Removal:
    path: str  # relative to the workspace root
    kind: str  # failed | pointer | old-key | lost | lock | empty-dir
    reason: str
    bytes: int = 0


@dataclass
class CleanPlan:
    removals: list[Removal] = field(default_factory=list)
    kept_linked: int = 0  # superseded records kept because a summary or initiative file links them
    kept_reused: int = 0  # superseded records kept because a kept record reuses them
    live: list[str] = field(default_factory=list)  # stamps whose invocation is running

    def counts(self) -> dict[str, int]:
        kinds = (*RECORD_KINDS, *LEFTOVER_KINDS)
        return {kind: sum(r.kind == kind for r in self.removals) for kind in kinds}

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.removals)


def plan_clean(ws: Workspace, lost: bool = False) -> CleanPlan:
    plan = CleanPlan(live=_live_stamps(ws))
    records = read_records(ws)
    candidates = _superseded(records)
    keep = _protected(ws, records, candidates, plan)
    for record in records:
        if record.run_dir in candidates and record.run_dir not in keep:
            kind, reason = candidates[record.run_dir]
            plan.removals.append(Removal(record.run_dir, kind, reason, _size(ws.root / record.run_dir)))
    if lost:
        _plan_lost(ws, plan)
    _plan_empty_dirs(ws, plan)
    return plan


def apply(ws: Workspace, plan: CleanPlan) -> None:
    """Remove what ``plan`` lists; directories last, deepest first, and only if still empty."""
    if plan.live:
        raise InvestigateError(
            f"an investigate run is in progress ({plan.live[0]}); clean when it ends (--dry-run works now)"
        )
    index = index_of(ws)
    prefix = ws.relative(ws.reports_dir) + "/"
    for removal in plan.removals:
        path = ws.root / removal.path
        if removal.kind == "empty-dir":
            continue
        if not _inside(ws, path):
            continue  # reached through a symlink: not the store's to remove
        if path.is_dir() and not path.is_symlink():
            _retire(ws, path)
            index.forget(removal.path.removeprefix(prefix))
        else:
            path.unlink(missing_ok=True)
    for removal in plan.removals:
        if removal.kind == "empty-dir":
            _remove_empty_tree(ws.root / removal.path)


def _inside(ws: Workspace, path: Path) -> bool:
    """Whether ``path`` lies in the store with no symlink on the way (the last part may be one)."""
    try:
        parent = path.parent.resolve(strict=True)
        return parent == ws.reports_dir.resolve() or parent.is_relative_to(ws.reports_dir.resolve())
    except OSError:
        return False


def _retire(ws: Workspace, path: Path) -> None:
    """Move a directory out of the store in one rename, then delete it."""
    trash = ws.reports_dir / TRASH
    trash.mkdir(exist_ok=True)
    target = trash / f"{path.name}-{uuid.uuid4().hex[:12]}"
    try:
        os.rename(path, target)
    except OSError:
        return  # gone already, or on another file system: leave it for the next clean
    shutil.rmtree(target, ignore_errors=True)


def _remove_empty_tree(top: Path) -> None:
    for dirpath, _dirs, _files in os.walk(top, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass  # something was written there meanwhile: it stays


def _superseded(records: list[RunRecord]) -> dict[str, tuple[str, str]]:
    """run_dir -> (kind, reason) of every record a newer ok record of its group supersedes."""
    groups: dict[tuple[str, str, str, int], list[RunRecord]] = {}
    for record in records:
        groups.setdefault(record_key(record), []).append(record)
    out: dict[str, tuple[str, str]] = {}
    for group in groups.values():
        group.sort(key=lambda r: (r.started_at, r.run_id))
        newest_ok: RunRecord | None = None
        for record in reversed(group):  # newest first, so newest_ok is the newest ok *newer* than record
            if newest_ok is not None:
                found = _supersession(record, newest_ok)
                if found is not None:
                    out[record.run_dir] = found
            if record.status == "ok" and newest_ok is None:
                newest_ok = record
    return out


def _supersession(record: RunRecord, newer: RunRecord) -> tuple[str, str] | None:
    by = f"superseded by ok run {newer.run_id}"
    if record.status != "ok":
        return "failed", f"{record.status}, {by}"
    if record.reused_from:
        return "pointer", f"cache hit of {record.reused_from}, {by}"
    if record.cache_key != newer.cache_key:
        return "old-key", f"key {record.cache_key[:12]}, {by} (key {newer.cache_key[:12]})"
    return None


def _protected(
    ws: Workspace, records: list[RunRecord], candidates: dict[str, tuple[str, str]], plan: CleanPlan
) -> set[str]:
    keep = {r.run_dir for r in latest_records(records)}
    cited = _cited(ws, records)
    keep |= {r.run_dir for r in records if r.run_id in cited}
    linked = _linked(ws)
    reports = ws.relative(ws.reports_dir) + "/"
    by_link = {
        r.run_dir for r in records if r.run_dir in candidates and _is_linked(r.run_dir.removeprefix(reports), linked)
    }
    plan.kept_linked = len(by_link - keep)
    keep |= by_link
    # What a kept record reuses stays, whichever record keeps it (pointers point at the executed run).
    reused = {r.reused_from for r in records if r.reused_from and (r.run_dir in keep or r.run_dir not in candidates)}
    plan.kept_reused = len({d for d in reused if d in candidates} - keep)
    return keep | {d for d in reused if d is not None}


def _cited(ws: Workspace, records: list[RunRecord]) -> set[str]:
    """Run ids the verdicts cite (a subset of the newest records; checked anyway, it is cheap)."""
    grouped = by_hypothesis(records)
    cited: set[str] = set()
    for hyp_id, hyp in ws.hypotheses.items():
        try:
            cited |= set(evaluate(hyp, grouped.get(hyp_id, []), ws).run_ids)
        except InvestigateError:
            continue  # a hypothesis its runs cannot judge (e.g. a metric they lack) cites nothing
    return cited


def _linked(ws: Workspace) -> set[str]:
    """``<stamp>/...`` paths named in the committed summaries, pages and initiative files."""
    files: list[Path] = []
    if ws.reports_dir.is_dir():
        for sub in ws.reports_dir.iterdir():
            if sub.is_dir() and not STAMP.match(sub.name):
                files += [p for p in sub.iterdir() if p.suffix in (".md", ".html") and p.is_file()]
    if ws.plans_dir.is_dir():
        files += [p for p in ws.plans_dir.glob("*/initiative.yaml") if p.is_file()]
    found: set[str] = set()
    for path in files:
        text = unquote(path.read_text(encoding="utf-8", errors="replace"))
        found |= {(stamp + rest).rstrip("/.") for stamp, rest in LINK.findall(text)}
    return found


def _is_linked(run_id: str, linked: set[str]) -> bool:
    parts = run_id.split("/")
    # a link to the run, to a directory above it, or to a file inside it
    return any("/".join(parts[:n]) in linked for n in range(1, len(parts) + 1)) or any(
        link.startswith(run_id + "/") for link in linked
    )


def _live_stamps(ws: Workspace) -> list[str]:
    return [ws.relative(stamp) for stamp in _stamps(ws) if is_locked(stamp / STAMP_LOCK)]


def _plan_lost(ws: Workspace, plan: CleanPlan) -> None:
    lost = find_lost(ws)
    for run in lost:
        reason = f"started {run.started_at} by pid {run.pid} on {run.host}, never recorded"
        plan.removals.append(Removal(run.run_dir, "lost", reason, _size(ws.root / run.run_dir)))
    listed = {run.run_dir for run in lost}
    for stamp in _stamps(ws):
        if ws.relative(stamp) in plan.live or (stamp / STAMP_LOCK).exists():
            continue  # a live or dead invocation's runs: find_lost decides about those
        for run_dir in _run_dirs(stamp):
            if not (run_dir / RUN_JSON).exists() and not (run_dir / STARTED).exists():
                rel = ws.relative(run_dir)
                if rel not in listed:
                    plan.removals.append(Removal(rel, "orphan", "no record and no start marker", _size(run_dir)))
    trash = ws.reports_dir / TRASH
    if trash.is_dir() and not trash.is_symlink():
        for left in sorted(trash.iterdir()):
            plan.removals.append(Removal(ws.relative(left), "trash", "left by an interrupted clean", _size(left)))
    for stamp in _stamps(ws):
        lock = stamp / STAMP_LOCK
        if lock.exists() and not is_locked(lock):
            plan.removals.append(Removal(ws.relative(lock), "lock", "lock file of an invocation that ended"))
    if plan.live:
        return  # a live invocation may be about to take a key lock: leave them all
    locks_dir = ws.reports_dir / LOCKS_DIR
    for lock in sorted(locks_dir.glob("*.lock")) if locks_dir.is_dir() else []:
        if not is_locked(lock):
            plan.removals.append(Removal(ws.relative(lock), "lock", "cache-key lock held by no one"))


def _plan_empty_dirs(ws: Workspace, plan: CleanPlan) -> None:
    """Stamp directories (and the directories inside them) that the removals leave empty."""
    gone = {str(ws.root / r.path) for r in plan.removals}
    empty: list[str] = []

    def empty_after(path: str) -> bool:
        try:
            entries = list(os.scandir(path))
        except OSError:
            return False
        result = True
        for entry in entries:
            if entry.path in gone:
                continue
            if not (entry.is_dir(follow_symlinks=False) and empty_after(entry.path)):
                result = False
        if result:
            empty.append(path)
        return result

    for stamp in _stamps(ws):
        if ws.relative(stamp) not in plan.live:
            empty_after(str(stamp))
    inner = set(empty)
    outermost = [p for p in empty if os.path.dirname(p) not in inner]
    for path in outermost:
        kind_of = "stamp directory" if STAMP.match(os.path.basename(path)) else "directory"
        plan.removals.append(Removal(ws.relative(Path(path)), "empty-dir", f"empty {kind_of}"))


def _stamps(ws: Workspace) -> list[Path]:
    if not ws.reports_dir.is_dir():
        return []
    return [ws.reports_dir / name for name in subdirs(str(ws.reports_dir)) if STAMP.match(name)]


def _run_dirs(stamp: Path) -> list[Path]:
    """``<stamp>/<name>/<point>/<run>`` directories, symlinks not followed."""
    return [
        stamp / name / point / run
        for name in subdirs(str(stamp))
        for point in subdirs(str(stamp / name))
        for run in subdirs(str(stamp / name / point))
    ]


def _size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
