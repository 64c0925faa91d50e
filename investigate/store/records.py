"""The evidence store: ``reports/<stamp>/<HYPOTHESIS>/<point>/<arm>-seed<k>/run.json``, and its index.

A record is written to its file first (atomically; ``recordjson`` says how NaN, huge ints and deep
nesting stay readable), then to ``reports/.index.sqlite`` by the same call. Every reader answers
from the index after ``sync`` has checked it against the files: a command that shows one
hypothesis walks that hypothesis' own groups down to their files, one over the whole workspace
only the directories whose stat moved. Each invocation owns a fresh stamp directory, so
concurrent runs never share files.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from investigate.core.atomic import write_atomic
from investigate.core.errors import InvestigateError
from investigate.formats.recordjson import RecordError, decode, encode
from investigate.formats.schema import RunRecord
from investigate.store.files import UnreadableFile, read_regular
from investigate.store.index import Index, open_index, stat_text
from investigate.store.layout import RUN_JSON, STAMP, STARTED, Problem, Site, group_of
from investigate.store.sync import mark_stale, refresh

__all__ = ["RUN_JSON", "STAMP", "STARTED", "Problem", "StoreScan", "index_of", "lost_runs", "new_stamp_dir",
           "note_started", "ok_records", "point_slug", "read_records", "scan_store", "store_problems",
           "write_record"]  # fmt: skip

_ALL = "*"  # the memo's name for "the whole store was synced"
_DIRECTORIES = "(directories)"  # ... for "the root and the stamps were" (no hypothesis has this id)


def new_stamp_dir(site: Site) -> Path:
    """Create this invocation's directory exclusively; a second invocation in the same second gets ``-2``."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    site.reports_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        path = site.reports_dir / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a fresh run directory under {site.reports_dir}")


def point_slug(point: dict[str, Any]) -> str:
    """``scenario=gs1_custom`` (several keys joined by ``,``); ``all`` without a matrix."""
    if not point:
        return "all"
    parts = [f"{key}={value}" for key, value in point.items()]
    return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", ",".join(parts))


# ---- writing ---------------------------------------------------------------------------------


# Optional RunRecord fields left out of run.json when unset, so records without them stay as they were.
SET_ONLY = ("error_line", "peak_rss_mb", "cpu_s", "overrides", "diff_file")


def write_record(site: Site, run_dir: Path, record: RunRecord) -> None:
    """Write ``run.json`` atomically, then its index row; raises RecordError (nothing written) if it
    would not read back. An index that cannot take the row is marked stale, never the record lost."""
    # Python mode, not "json": pydantic's JSON mode would turn NaN metrics into null.
    data = record.model_dump(exclude={"run_dir"})
    for key in SET_ONLY:  # optional fields added later: written when they hold something
        if data.get(key) is None:
            data.pop(key, None)
    raw = encode(data)
    path = run_dir / RUN_JSON
    write_atomic(path, raw)
    record.run_dir = site.relative(run_dir)
    rel = _store_path(site, run_dir)
    try:
        index = index_of(site)
        if rel is None or index.in_memory:  # the file could not be opened (locked, read-only)
            raise sqlite3.OperationalError("the index is not written")
        row = (rel, group_of(rel), record.hypothesis, record.status, record.started_at, record.run_id,
               record.cache_key, raw)  # fmt: skip
        index.put_group(group_of(rel), [row], {rel: stat_text(os.lstat(path))}, {}, [], None)
    except (sqlite3.Error, OSError):
        mark_stale(site.reports_dir)


def note_started(site: Site, run_dir: Path) -> None:
    """Index a run directory whose run has started (its marker is written): lost if it never records."""
    rel = _store_path(site, run_dir)
    try:
        index = index_of(site)
        if rel is None or index.in_memory:
            raise sqlite3.OperationalError("the index is not written")
        index.add_started(rel, group_of(rel))
    except sqlite3.Error:
        mark_stale(site.reports_dir)


def _store_path(site: Site, run_dir: Path) -> str | None:
    try:
        return run_dir.relative_to(site.reports_dir).as_posix()
    except ValueError:
        return None


def check_output(site: Site, path: Path) -> None:
    """Refuse an output (``summary -o``, ``--html``) that would land on the store's own files: a
    record, a run directory's contents, the index. Symlinks are followed, as the write will."""
    target = Path(os.path.realpath(path))
    store = Path(os.path.realpath(site.reports_dir))
    try:
        inside = target.relative_to(store).parts
    except ValueError:
        return
    if inside and (STAMP.match(inside[0]) or inside[0].startswith(".index")):
        raise InvestigateError(f"{path}: refusing to write into the evidence store ({site.relative(target)})")


# ---- reading ---------------------------------------------------------------------------------


@dataclass
class StoreScan:
    """Every readable record (oldest first) and every unreadable one, never silently dropped."""

    records: list[RunRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def index_of(site: Site) -> Index:
    """This process' open index of the site's store, reopened when the file was replaced or deleted."""
    handles: dict[str, tuple[Index, int | None]] = site.memo.setdefault("store.index", {})
    key = str(site.reports_dir)
    held = handles.get(key)
    if held is not None:
        index, ino = held
        current = _inode(site.reports_dir / ".index.sqlite")
        if current == ino and not (index.in_memory and site.reports_dir.is_dir()):
            return index
        index.close()
        site.memo.pop("store.synced", None)
    index = open_index(site.reports_dir)
    handles[key] = (index, None if index.in_memory else _inode(site.reports_dir / ".index.sqlite"))
    return index


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def synced(site: Site, hypotheses: Iterable[str] | None = None, *, deep: bool = False) -> Index:
    """The index, checked against the files: every moved directory; also, for ``hypotheses``, their
    own groups down to each file. Once per process for the same question."""
    index = index_of(site)
    done: set[str] = site.memo.setdefault("store.synced", set())
    ids = None if hypotheses is None else set(hypotheses) or {_DIRECTORIES}
    wanted = None if ids is None else sorted(ids - done)
    if deep or (_ALL not in done if wanted is None else wanted):
        git_root = site.root if (site.root / ".git").exists() or _in_git(site) else None
        scope = None if wanted is None else [w for w in wanted if w != _DIRECTORIES]
        refresh(index, site.reports_dir, scope=scope, deep=deep, git_root=git_root)
        done.add(_ALL) if wanted is None else done.update(wanted)
    return index


def _in_git(site: Site) -> bool:
    """Whether the workspace lies in a git work tree (found once, by walking up for ``.git``)."""
    found = site.memo.get("store.in_git")
    if found is None:
        found = any((parent / ".git").exists() for parent in site.root.resolve().parents)
        site.memo["store.in_git"] = found
    return bool(found)


def scan_store(site: Site, hypothesis: str | Iterable[str] | None = None, *, exact: bool = True) -> StoreScan:
    """Every record of these hypotheses (all when None), oldest first, and every unreadable
    ``run.json`` of the store as a Problem (path + reason). ``exact``: their groups are checked
    down to each file first (else only the store's directories, as ``status`` does)."""
    ids = [hypothesis] if isinstance(hypothesis, str) else None if hypothesis is None else list(hypothesis)
    index = synced(site, ids if exact else None)
    prefix = site.relative(site.reports_dir)
    scan = StoreScan()
    for run_dir, raw in index.records(ids):
        try:
            record = decode(raw)
        except RecordError as exc:  # the file was fine when indexed; a newer package may disagree
            scan.problems.append(Problem(f"{prefix}/{run_dir}/{RUN_JSON}", str(exc)))
            continue
        record.run_dir = f"{prefix}/{run_dir}"
        scan.records.append(record)
    scan.problems += [Problem(f"{prefix}/{run_dir}/{RUN_JSON}", why) for run_dir, why in index.problems()]
    return scan


def read_records(site: Site, hypothesis: str | Iterable[str] | None = None, *, exact: bool = True) -> list[RunRecord]:
    """Every readable run record of these hypotheses (all when None), oldest first;
    ``record.run_dir`` is relative to the workspace root. ``scan_store`` also says what is unreadable."""
    return scan_store(site, hypothesis, exact=exact).records


def store_problems(site: Site, *, deep: bool = False) -> tuple[list[Problem], int]:
    """Every unreadable run.json (path + reason), and how many records read fine; ``deep`` re-reads
    every file and repairs the index (``validate``)."""
    index = synced(site, deep=deep)
    prefix = site.relative(site.reports_dir)
    return [Problem(f"{prefix}/{p}/{RUN_JSON}", why) for p, why in index.problems()], index.count()


def lost_runs(site: Site) -> list[str]:
    """Run dirs that were started (``_started.json``) but hold no ``run.json``: lost, or still running."""
    prefix = site.relative(site.reports_dir)
    return [f"{prefix}/{run_dir}" for run_dir in synced(site).started()]


def ok_records(site: Site, keys: Iterable[str]) -> dict[str, RunRecord]:
    """The newest ``ok`` record of each cache key, across hypotheses; each one's file is checked to
    be the one indexed, so a record removed or changed outside the tool is never reused."""
    wanted = set(keys)
    # The root and the stamps only: a record a moved group holds is missed at worst, and a miss only
    # runs again; every hit is read from its file before it is reused.
    index = synced(site, ())
    prefix = site.relative(site.reports_dir)
    found: dict[str, RunRecord] = {}
    for run_dir, _stat, _raw in index.ok_by_keys(wanted):
        try:
            record = decode(read_regular(str(site.reports_dir / run_dir / RUN_JSON))[0])
        except (UnreadableFile, RecordError):
            continue
        record.run_dir = f"{prefix}/{run_dir}"
        if record.status == "ok" and record.cache_key in wanted:
            found[record.cache_key] = record  # oldest first: the newest wins
    return found
