"""The store one group at a time: ``reports/<stamp>/<name>``, the runs one invocation recorded under
one hypothesis directory.

``walk`` stats every directory and every ``run.json`` of a group and reads nothing; the listings
come from the index while the directories' (mtime_ns, inode) are what it holds (adding or removing
an entry moves a directory's mtime). ``recall`` then takes from the index what the group's records
say (which hypothesis each names, which files are unreadable) when every file has the stat the
index remembers; ``read`` reads the records, and learns that, for a group the index did not know.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from investigate.store.index import STAT_TYPE, CachedGroup, packed_stat, settled, subdirs
from investigate.store.layout import RUN_JSON, STARTED, RunFile

if TYPE_CHECKING:  # reading records needs the models; walking does not (``overview.start``)
    from investigate.formats.schema import RunRecord


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
    fresh: bool = False  # not known to the index: read (or to be read) now
    relisted: bool = False  # a directory was listed again: the cached listings are out of date
    dirs: bytes = b""  # what the listings below were read under (CachedGroup.dirs)
    points: str = ""  # the point directories, one per line
    runs: str = ""  # "<point>/<run>" of every run directory, one per line

    @property
    def name(self) -> str:
        """The directory name: the hypothesis its records usually name."""
        return self.path.split("/", 1)[1]

    def files(self, root: str, prefix: str) -> list[RunFile]:
        """Its run files; ``root`` is reports/ (absolute), ``prefix`` reports/ relative to the workspace."""
        names = self.names.split("\n") if self.names else []
        stats = array(STAT_TYPE, self.stats)
        triples = zip(stats[0::3], stats[1::3], stats[2::3], strict=True)
        return [
            RunFile(f"{prefix}/{self.path}/{name}", f"{root}/{self.path}/{name}/{RUN_JSON}", stat)
            for name, stat in zip(names, triples, strict=True)
        ]

    def cache_row(self) -> tuple[str, str, bytes, str, bytes, str, str]:
        owners = CachedGroup.encode(self.name, self.names, self.owners, self.problems)
        return self.path, self.names, self.stats, owners, self.dirs, self.points, self.runs

    def hash_into(self, digest: hashlib._Hash) -> None:
        """Feed what identifies the group's files to a fingerprint."""
        digest.update(f"\0{self.path}\0{self.names}\0".encode())  # no name holds a NUL
        digest.update(self.stats)  # 24 bytes per name: its length follows from the names


def walk(root: str, path: str, cached: CachedGroup | None, now: int) -> Group:
    """The run files of one group, stat'ed; nothing read. The loop every call pays for, kept tight."""
    base = f"{root}/{path}"
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
    group = Group(path, "\n".join(names), stats.tobytes(), settled((newest, 0, 0), now), lost)
    group.relisted = relisted
    group.dirs, group.points, group.runs = dir_stats, "\n".join(points), "\n".join(runs)
    return group


def _add_dir(dirs: array[int], st: os.stat_result) -> None:
    try:
        dirs.extend((st.st_mtime_ns, st.st_ino))
    except OverflowError:  # an inode past 2**63
        del dirs[len(dirs) - len(dirs) % 2 :]
        dirs.extend(packed_stat(st)[::2])


def recall(group: Group, hit: CachedGroup | None) -> bool:
    """Fill in what the index knows of ``group`` if its files are unchanged; whether they were."""
    if hit is None or hit.names != group.names or hit.stats != group.stats:
        group.fresh = True
        return False
    group.owners, group.problems = hit.decode(group.name)
    return True


def read(group: Group, root: str, prefix: str) -> list[RunRecord]:
    """Every readable record of ``group``; for a group the index did not know, also who owns which."""
    from investigate.formats.recordjson import RecordError
    from investigate.store.records import read_file

    out = []
    names = group.names.split("\n") if group.names else []
    for name, file in zip(names, group.files(root, prefix), strict=True):
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


def read_records(groups: list[Group], hyp_id: str, root: str, prefix: str, problems: dict[str, str]) -> list[RunRecord]:
    """The records of ``hyp_id`` in ``groups``; a file that cannot be read is added to ``problems``."""
    from investigate.formats.recordjson import RecordError
    from investigate.store.records import read_file

    out = []
    for group in groups:
        for file in group.files(root, prefix):
            try:
                record = read_file(file)
            except RecordError as exc:  # changed since it was listed: report it like any other
                problems[file.run_dir] = str(exc)
                continue
            if record.hypothesis == hyp_id:
                out.append(record)
    return out


# ---- a cold disk ------------------------------------------------------------------------------

COLD_STAT_S = 20e-6  # a stat served from the kernel's caches takes a few microseconds
PREWARM_THREADS = 16


def prewarm(root: str, cached: dict[str, CachedGroup]) -> bool:
    """After a reboot every stat waits for the disk (~0.1 ms on a virtual disk), one at a time. If a
    sample of the paths ``walk`` will stat is that slow, stat them all now from several threads, so
    the disk serves many at once (4x faster measured: see benchmarks/bench_store.py) and the walk
    finds them cached. Whether it did."""
    groups = list(cached.items())
    picked = groups[:: max(1, len(groups) // 8)][:8]
    sample = [f"{root}/{path}/{_first(group.runs)}/{RUN_JSON}" for path, group in picked if group.runs]
    if not sample:
        return False
    t0 = time.perf_counter()
    for path in sample:
        _stat_quietly(path)
    if (time.perf_counter() - t0) / len(sample) < COLD_STAT_S:
        return False
    everything = [
        target
        for path, group in groups
        for target in (
            f"{root}/{path}",
            *(f"{root}/{path}/{point}" for point in group.points.split("\n") if point),
            *(f"{root}/{path}/{run}/{RUN_JSON}" for run in group.runs.split("\n") if run),
        )
    ]
    threads = [
        threading.Thread(target=_stat_all, args=(everything[i::PREWARM_THREADS],)) for i in range(PREWARM_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return True


def _first(lines: str) -> str:
    return lines.split("\n", 1)[0]


def _stat_all(paths: list[str]) -> None:
    for path in paths:
        _stat_quietly(path)


def _stat_quietly(path: str) -> None:
    try:
        os.stat(path)
    except OSError:
        pass
