"""Keeping the index true to the files when something other than this tool changed them.

The writer indexes what it writes. What a ``git pull``, a copy, a hand edit or a deleted stamp
changes is found from stats, cheapest first:

- the store root, each stamp and each ``<stamp>/<name>`` group are listed again only when their
  directory stat (mtime, ctime, inode) moved: adding, removing or renaming an entry moves it;
- a group whose stat moved, or that a command asks about (one-hypothesis commands ask about
  their own groups: ``exact``), is walked down to its files, and a ``run.json`` is read again only
  when its stat (mtime, ctime, size, inode) differs from the one it was read under. ctime moves
  on every write, so an edit of the same size with its mtime put back is seen too;
- in a git work tree, a moved ``HEAD`` (pull, checkout, merge) re-walks the groups that ``git
  diff`` names between the commit the index last saw and the new one;
- a writer that could not update the index leaves ``.index-stale``, and the next command walks
  everything once.

An in-place edit deep inside a group that touches no directory, outside git, is therefore seen by
the commands that show that hypothesis (and by ``validate``, which re-reads every file), not by a
bare ``status``: the price of ``status`` not stat-ing 100,000 files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from investigate.formats.recordjson import RecordError, decode
from investigate.store.files import UnreadableFile, dir_stat, lstat_or_none, read_regular, subdirs
from investigate.store.index import Index, RecordRow, stat_text
from investigate.store.layout import RUN_JSON, STAMP

STALE_MARK = ".index-stale"
ROOT = "."  # the store root's key in the dirs table
BATCH = 500  # groups read per transaction while walking everything: short enough for writers to wait


@dataclass
class Sync:
    """One pass over (part of) the store: what changed, to be written to the index."""

    index: Index
    root: str  # reports/, absolute
    deep: bool = False  # read every file again, whatever its stat
    dirs: dict[str, str] = field(default_factory=dict)  # fresh directory stats, written at the end
    walked: int = 0  # groups walked down to their files
    progress: Callable[[int], None] | None = None


def refresh(index: Index, reports_dir: Path, *, scope: Iterable[str] | None = None, deep: bool = False,
            git_root: Path | None = None) -> None:  # fmt: skip
    """Bring the index up to date. ``scope``: hypothesis ids whose groups are walked down to their
    files whatever their stats (the rest only where a directory moved); None walks only what moved,
    ``deep`` re-reads everything."""
    root = str(reports_dir)
    sync = Sync(index, root, deep)
    marker = os.path.join(root, STALE_MARK)
    built = index.meta("built") == "1"
    stale = os.path.exists(marker)
    if not built or deep or stale:
        _walk_all(sync, reports_dir, announce=not built)
        _git_changed(index, reports_dir, git_root)  # notes HEAD: what was just read is what it holds
    else:
        known = index.dirs()
        ids = None if scope is None else set(scope)
        # Scoped: the root, the stamps and these hypotheses' own groups; the rest waits for a
        # command that shows it.
        mine = None if ids is None else {g for g in known if "/" in g and g.split("/", 1)[1] in ids}
        groups = _changed_groups(sync, known, mine)
        if ids is not None and mine is not None:
            groups |= mine | index.groups_of(ids)
        groups |= _git_changed(index, reports_dir, git_root)
        for grp in sorted(groups):
            _walk_group(sync, grp)
    index.put_dirs(sync.dirs)
    if not built:
        index.set_meta("built", "1")
    if stale:
        try:
            os.unlink(marker)
        except OSError:
            pass


def mark_stale(reports_dir: Path) -> None:
    """Say that the index missed a write: the next command walks the whole store once."""
    try:
        Path(reports_dir, STALE_MARK).touch()
    except OSError:
        pass  # nothing more to do: a later `validate` re-reads every file


def _walk_all(sync: Sync, reports_dir: Path, announce: bool) -> None:
    stamps = _listed(sync, ROOT, sync.root)
    groups = [f"{s}/{g}" for s in stamps for g in _listed(sync, s, f"{sync.root}/{s}")]
    gone = {g for g in sync.index.dirs() if g != ROOT} - set(stamps) - set(groups)
    for path in sorted(gone, key=len):
        sync.index.forget(path)
    bar = _Bar(len(groups)) if announce and len(groups) >= 200 else None
    for start in range(0, len(groups), BATCH):
        with sync.index.batch():  # one commit (one fsync) per batch of groups
            for n, grp in enumerate(groups[start : start + BATCH], start + 1):
                _walk_group(sync, grp)
                if bar is not None:
                    bar.show(n)
    if bar is not None:
        bar.done()


def _changed_groups(sync: Sync, known: dict[str, str], only: set[str] | None = None) -> set[str]:
    """Groups under a directory whose stat moved (new ones included); what vanished is forgotten.
    ``only``: of the known groups, check just these."""
    changed: set[str] = set()
    stamps = [p for p in known if "/" not in p and p != ROOT]
    if not _same(dir_stat(sync.root), known.get(ROOT)):
        now = _listed(sync, ROOT, sync.root)
        for gone in set(stamps) - set(now):
            sync.index.forget(gone)
        stamps = now
    for stamp in stamps:
        path = f"{sync.root}/{stamp}"
        if _same(dir_stat(path), known.get(stamp)):
            continue
        before = {g for g in known if g.startswith(stamp + "/")}
        listed = {f"{stamp}/{g}" for g in _listed(sync, stamp, path)}
        for gone in before - listed:
            sync.index.forget(gone)
        changed |= listed - before
    for grp in known if only is None else only:
        if "/" in grp and not _same(dir_stat(f"{sync.root}/{grp}"), known[grp]):
            changed.add(grp)
    return changed


def _same(now: str | None, seen: str | None) -> bool:
    return now is not None and now == seen and not now.startswith("racy:")


def _listed(sync: Sync, key: str, path: str) -> list[str]:
    """Sub-directories of the root (stamps only) or of a stamp, and the directory's stat noted."""
    stat = dir_stat(path)
    if stat is None:
        sync.index.forget(key) if key != ROOT else None
        return []
    sync.dirs[key] = stat
    names = subdirs(path)
    return [n for n in names if STAMP.match(n)] if key == ROOT else names


def _walk_group(sync: Sync, grp: str) -> None:
    """Read the group's new and changed run.json files, forget the ones gone, note its stat."""
    base = f"{sync.root}/{grp}"
    stat = dir_stat(base)
    if stat is None:
        sync.index.forget(grp)
        return
    known = sync.index.group_files(grp)
    indexed = sync.index.group_records(grp) if sync.deep or known else {}
    found: list[RecordRow] = []
    stats: dict[str, str] = {}
    problems: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    started: list[str] = []
    same: dict[str, str] = {}
    for point in subdirs(base):
        for run in subdirs(f"{base}/{point}"):
            run_dir = f"{grp}/{point}/{run}"
            path = f"{base}/{point}/{run}/{RUN_JSON}"
            st = lstat_or_none(path)
            if st is None:  # started and never recorded, or left behind by an interrupted removal
                if _has_entries(f"{base}/{point}/{run}"):  # an empty directory is no run yet
                    started.append(run_dir)
                continue
            seen.add(run_dir)
            text = stat_text(st)
            if known.get(run_dir) == text and not text.startswith("racy:") and not sync.deep:
                continue
            try:
                raw, st = read_regular(path)
                record = decode(raw)
            except (UnreadableFile, RecordError) as exc:
                problems[run_dir] = (text, str(exc))
                continue
            row = (run_dir, grp, record.hypothesis, record.status, record.started_at, record.run_id,
                   record.cache_key, raw)  # fmt: skip
            if indexed.get(run_dir) == row:
                same[run_dir] = stat_text(st)  # touched, not changed: the rows derived from it stay valid
                continue
            stats[run_dir] = stat_text(st)
            found.append(row)
    gone = [run_dir for run_dir in known if run_dir not in seen]
    sync.index.put_group(grp, found, stats, problems, gone, started)
    sync.index.restat(same)
    sync.dirs[grp] = stat
    sync.walked += 1


def _has_entries(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def _git_changed(index: Index, reports_dir: Path, git_root: Path | None) -> set[str]:
    """Groups that files changed in between the commit the index last saw and HEAD (``git_root``: the
    workspace root, inside a git work tree or not)."""
    if git_root is None:
        return set()
    head = _git(git_root, "rev-parse", "--verify", "-q", "HEAD")
    seen = index.meta("git_head")
    if head is None or head == seen:
        return set()
    changed: set[str] = set()
    try:
        prefix = reports_dir.resolve().relative_to(git_root.resolve()).as_posix()
    except ValueError:
        return set()
    # --relative: names relative to the workspace root, as the prefix is
    diff = ("diff", "--name-only", "--relative", "--no-renames", seen or "", head, "--", prefix)
    names = _git(git_root, *diff) if seen else None
    if names is None:  # no earlier commit to compare with: every known group once
        changed = {g for g in index.dirs() if "/" in g}
    else:
        for name in names.splitlines():
            parts = name[len(prefix) + 1 :].split("/") if prefix != "." else name.split("/")
            if len(parts) >= 2 and STAMP.match(parts[0]):
                changed.add(f"{parts[0]}/{parts[1]}")
    index.set_meta("git_head", head)
    return changed


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


class _Bar:
    """``indexing the store: 4,100/11,000 groups``, redrawn at most ten times a second on a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.last = total, 0.0
        self.tty = sys.stderr.isatty()
        if not self.tty:
            print(f"indexing the store: {total:,} groups (once; later commands read the index)", file=sys.stderr)

    def show(self, n: int) -> None:
        now = time.monotonic()
        if self.tty and (now - self.last > 0.1 or n == self.total):
            self.last = now
            print(f"\rindexing the store: {n:,}/{self.total:,} groups", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)
