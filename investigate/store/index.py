"""``reports/.index.sqlite``: a cache of what reading the store and the YAML files found.

The files stay the source of truth. Each cached entry is keyed by the file's path and its
(mtime_ns, size, inode); any change to a file, and the atomic rewrite every writer here does
(a new inode), makes the entry stale, and it is read from the file again. Entries hold:

- ``groups``: per ``reports/<stamp>/<name>`` directory, the (mtime_ns, size, inode) of every
  ``run.json`` in it, how many of their records name each hypothesis, and which files are
  unreadable and why (``overview``);
- ``dirs``: for the store root and each stamp directory, its sub-directories, keyed by
  (mtime_ns, inode): adding or removing an entry moves a directory's mtime, and a stat costs a
  fraction of a listing (the directories below a stamp are listed in their group's row);
- ``summaries``: per hypothesis, what ``status`` and ``list`` show, under a fingerprint of its
  YAML file, of its groups and of this package's code;
- ``yaml``: per YAML file, the parsed data and, for a hypothesis that validated, the few fields
  every command shows (``yamlcache``).

The index rebuilds itself: a missing file is created, one that is not a database (garbage bytes,
a torn write) is deleted and created again, and a change of this package's code empties it.
While another process holds the lock (``database is locked``), or where it cannot be written at
all, callers get ``None`` or an empty answer and read the files instead: slower, never wrong.

A file modified within ``RACY_NS`` of the moment it is read is not cached: its mtime may not
move again if it is modified a second time within the file system's timestamp granularity.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from investigate.store.layout import Stat as Stat

INDEX_FILE = ".index.sqlite"
RACY_NS = 2_000_000_000
LOCK_WAIT_S = 2.0  # a writer holds the lock for one short transaction; wait that long, then go on without

STAT_TYPE = "q"  # array type code of packed stats
GroupRow = tuple[str, str, bytes, str, bytes, str, str]  # path, names, stats, owners, dirs, points, runs

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE groups (path TEXT PRIMARY KEY, names TEXT NOT NULL, stats BLOB NOT NULL, owners TEXT NOT NULL, "
    "dirs BLOB NOT NULL, points TEXT NOT NULL, runs TEXT NOT NULL)",
    "CREATE TABLE dirs (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, "
    "children TEXT NOT NULL)",
    "CREATE TABLE summaries (hypothesis TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE yaml (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, "
    "ino INTEGER NOT NULL, data TEXT NOT NULL, hyp_id TEXT, title TEXT, initiative TEXT)",
)
_TABLES = ("meta", "groups", "dirs", "summaries", "yaml")


class Index:
    """One open index. Every method answers from the cache or says nothing; none raises sqlite errors."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn, self.path = conn, path
        self.usable = True

    # -- the store ----------------------------------------------------------------------------

    def groups(self, names: set[str]) -> dict[str, CachedGroup]:
        """'<stamp>/<name>' -> what the index knows of that directory and its run files, for these names."""
        rows = self._select("SELECT path, names, stats, owners, dirs, points, runs FROM groups")
        return {r[0]: CachedGroup(*r[1:]) for r in rows if r[0].split("/", 1)[1] in names}

    def count(self, table: str) -> int:
        assert table in _TABLES  # a name from the schema, never input
        rows = self._select(f"SELECT count(*) FROM {table}")  # noqa: S608
        return int(rows[0][0]) if rows else 0

    def has_groups(self) -> bool:
        return bool(self._select("SELECT 1 FROM groups LIMIT 1"))

    def group_paths(self) -> list[str]:
        return [r[0] for r in self._select("SELECT path FROM groups")]

    def lister(self, reports_dir: str) -> DirLister:
        """Lists the store root and its stamps, re-reading only directories whose mtime moved."""
        rows = self._select("SELECT path, mtime_ns, ino, children FROM dirs")
        return DirLister(reports_dir, {r[0]: (r[1], r[2], r[3]) for r in rows})

    def summaries(self, hypotheses: set[str]) -> dict[str, tuple[str, str]]:
        """hypothesis -> (fingerprint, JSON data), for these hypotheses."""
        rows = self._select("SELECT hypothesis, fingerprint, data FROM summaries")
        return {r[0]: (r[1], r[2]) for r in rows if r[0] in hypotheses}

    def summarized(self) -> list[str]:
        return [r[0] for r in self._select("SELECT hypothesis FROM summaries")]

    def update_store(
        self,
        *,
        groups: list[GroupRow],
        gone_groups: list[str],
        summaries: list[tuple[str, str, str]],
        gone_summaries: list[str],
        listings: list[tuple[str, int, int, str]],
        gone_dirs: list[str],
    ) -> None:
        """Cache (path, names, stats, owners, dirs, points, runs) groups, (hypothesis, fingerprint, data) summaries
        and (path, mtime_ns, inode, children) listings of the store root and stamps; forget the ones
        that are gone."""
        if not (groups or gone_groups or summaries or gone_summaries or listings or gone_dirs):
            return  # no write transaction, no lock taken
        with self._writing() as conn:
            conn.executemany("DELETE FROM summaries WHERE hypothesis = ?", ((g,) for g in gone_summaries))
            conn.executemany("DELETE FROM dirs WHERE path = ?", ((g,) for g in gone_dirs))
            conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?)", listings)
            conn.executemany("DELETE FROM groups WHERE path = ?", ((g,) for g in gone_groups))
            conn.executemany("INSERT OR REPLACE INTO groups VALUES (?, ?, ?, ?, ?, ?, ?)", groups)
            conn.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?)", summaries)

    # -- YAML -------------------------------------------------------------------------------

    def yaml_entries(self) -> dict[str, tuple[Stat, tuple[str, str, str | None] | None, str | None]]:
        """path -> (stat, (id, title, initiative) of a hypothesis that validated or None, parsed data
        as JSON: only for files without that head; ``yaml_data`` has the rest)."""
        rows = self._select(
            "SELECT path, mtime_ns, size, ino, hyp_id, title, initiative, "
            "CASE WHEN hyp_id IS NULL THEN data END FROM yaml"
        )
        return {r[0]: ((r[1], r[2], r[3]), (r[4], r[5], r[6]) if r[4] is not None else None, r[7]) for r in rows}

    def yaml_data(self, paths: list[str]) -> dict[str, tuple[Stat, str]]:
        """path -> (stat, parsed data as JSON), for these paths."""
        if len(paths) > 500:  # many: one scan beats many lookups
            wanted = set(paths)
            rows = self._select("SELECT path, mtime_ns, size, ino, data FROM yaml")
            return {r[0]: ((r[1], r[2], r[3]), r[4]) for r in rows if r[0] in wanted}
        marks = ", ".join("?" * len(paths))
        query = f"SELECT path, mtime_ns, size, ino, data FROM yaml WHERE path IN ({marks})"  # noqa: S608 - only ?s
        rows = self._select_with(query, paths)
        return {r[0]: ((r[1], r[2], r[3]), r[4]) for r in rows}

    def update_yaml(
        self, entries: Iterable[tuple[str, Stat, str, tuple[str, str, str | None] | None]], gone: Iterable[str]
    ) -> None:
        with self._writing() as conn:
            conn.executemany("DELETE FROM yaml WHERE path = ?", ((g,) for g in gone))
            conn.executemany(
                "INSERT OR REPLACE INTO yaml VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((path, *stat, data, *(head or (None, None, None))) for path, stat, data, head in entries),
            )

    # -- plumbing ---------------------------------------------------------------------------

    def _select(self, sql: str) -> list[Any]:
        return self._select_with(sql, ())

    def _select_with(self, sql: str, parameters: Iterable[Any]) -> list[Any]:
        if not self.usable:
            return []
        try:
            return self.conn.execute(sql, tuple(parameters)).fetchall()
        except sqlite3.DatabaseError as exc:
            self._failed(exc)
            return []

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction; on any sqlite error it is rolled back and the cache simply stays behind."""
        if not self.usable:
            yield _DISCARD
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass
            self._failed(exc)

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        # Locked, read-only, disk full: leave the file alone and read the files this time.
        # Anything else means the file is damaged: delete it, the next command rebuilds it.
        self.usable = False
        if not isinstance(exc, sqlite3.OperationalError):
            self.close()
            _remove(self.path)

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass


class DirLister:
    """Lists the sub-directories of a store directory, from the cache while its (mtime_ns, inode) holds.

    Adding or removing an entry changes a directory's mtime, so a cached listing with the same
    mtime is the listing; a stat costs a fraction of reading the directory. Keys are paths
    relative to the store root ("." for the root itself).
    """

    def __init__(self, root: str, cached: dict[str, tuple[int, int, str]]) -> None:
        self.prefix = len(root) + 1
        self.cached = cached
        self.seen: list[str] = []  # keys listed, in order
        self.fresh: list[tuple[str, int, int, str]] = []
        self.now = time.time_ns()

    def __call__(self, path: str) -> list[str]:
        try:
            st = os.stat(path)
        except OSError:
            return []
        key = path[self.prefix :] or "."
        self.seen.append(key)
        hit = self.cached.get(key)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_ino:
            return hit[2].split("/") if hit[2] else []
        names = subdirs(path)
        if settled((st.st_mtime_ns, 0, 0), self.now):
            self.fresh.append((key, st.st_mtime_ns, st.st_ino, "/".join(names)))  # "/" never occurs in a name
        return names


class CachedGroup(NamedTuple):
    """What the index knows of one ``<stamp>/<name>`` directory of the store (see ``overview.Group``)."""

    names: str
    stats: bytes
    owners: str  # "" when every file is a readable record of the hypothesis the directory is named after
    dirs: bytes  # (mtime_ns, inode) of the group's directory, then of each point directory (STAT_TYPE)
    points: str  # the point directories when ``dirs`` was taken, one per line
    runs: str  # "<point>/<run>" of every run directory then, one per line (with or without a run.json)

    def decode(self, name: str) -> tuple[dict[str, int], dict[str, str]]:
        """(hypothesis -> how many records name it, file name -> why it is unreadable)."""
        if not self.owners:
            return ({name: self.names.count("\n") + 1} if self.names else {}), {}
        data = json.loads(self.owners)
        return data["owners"], data["problems"]

    @staticmethod
    def encode(name: str, names: str, owners: dict[str, int], problems: dict[str, str]) -> str:
        usual = ({name: names.count("\n") + 1} if names else {}) == owners and not problems
        return "" if usual else json.dumps({"owners": owners, "problems": problems})


def packed_stat(st: os.stat_result) -> tuple[int, int, int]:
    """(mtime_ns, size, inode) as three signed 64-bit integers (``STAT_TYPE``): an inode past 2**63
    wraps around, one to one."""
    ino = st.st_ino
    return st.st_mtime_ns, st.st_size, ino if ino < 1 << 63 else ino - (1 << 64)


def subdirs(path: str) -> list[str]:
    """Names of the directories in ``path``, sorted (none if it cannot be read)."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_dir())
    except OSError:
        return []


class _Discard:
    """Stands in for a connection when the index is unusable: writes go nowhere."""

    def executemany(self, sql: str, rows: Iterable[Any]) -> None:
        pass


_DISCARD: Any = _Discard()


@contextmanager
def open_index(reports_dir: Path) -> Iterator[Index | None]:
    """The index of a workspace whose ``reports/`` exists (None otherwise, or if it cannot be opened)."""
    index = _open(reports_dir)
    try:
        yield index
    finally:
        if index is not None:
            index.close()


def _open(reports_dir: Path) -> Index | None:
    if not reports_dir.is_dir():
        return None  # nothing recorded yet; do not create reports/ just for a cache
    path = reports_dir / INDEX_FILE
    for attempt in (1, 2):
        try:
            conn = sqlite3.connect(path, timeout=LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return None
        try:
            _prepare(conn)
            return Index(conn, path)
        except sqlite3.OperationalError:
            conn.close()
            return None  # locked or read-only: go without
        except sqlite3.DatabaseError:
            conn.close()
            if attempt == 2:
                return None
            _remove(path)  # not a database (garbage, torn write): start over
    return None


def _prepare(conn: sqlite3.Connection) -> None:
    """Create the tables on a new file, rebuild them on a schema change, empty them on a code change."""
    tables = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'").fetchall()
    if sorted(t[0] for t in tables) != sorted(_SCHEMA):
        conn.execute("BEGIN IMMEDIATE")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            conn.execute(f'DROP TABLE "{name}"')
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("COMMIT")
    row = conn.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()
    if row is None or row[0] != code_fingerprint():
        # Parsing, checking and verdict rules live in this package: what it cached is void when it changes.
        conn.execute("BEGIN IMMEDIATE")
        for table in _TABLES:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - names from _TABLES, not input
        conn.execute("INSERT INTO meta VALUES ('code', ?)", (code_fingerprint(),))
        conn.execute("COMMIT")


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(f"{path}{suffix}")
        except OSError:
            pass


@cache
def code_fingerprint() -> str:
    """sha256 of every Python source of this package, its version, and the Python and pydantic versions."""
    import pydantic

    from investigate import __version__

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{__version__} {sys.version} {pydantic.VERSION}".encode())
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def stat_key(st: os.stat_result) -> Stat:
    return st.st_mtime_ns, st.st_size, st.st_ino


def settled(stat: Stat, now_ns: int | None = None) -> bool:
    """Whether a file's stat can key a cache entry: not modified within RACY_NS of now (or in the future)."""
    now = time.time_ns() if now_ns is None else now_ns
    return now - stat[0] > RACY_NS
