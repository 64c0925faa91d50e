"""``reports/.index.sqlite``: one row per run record, written by the writer right after ``run.json``.

The files stay the durable record; the index is what every command reads. Rows are keyed by the
run directory (relative to ``reports/``) and carry the record's bytes, the fields commands select
on, and the file's stat (mtime, ctime, size, inode) when it was read, so a file changed outside
the tool is read again (``sync``). Besides records it holds:

- ``problems``: ``run.json`` files that cannot be read, with the reason;
- ``started``: run directories whose run started (a marker) and that hold no ``run.json`` yet;
- ``dirs``: the stat of the store root, each stamp and each ``<stamp>/<name>`` group when they
  were last listed, so an unchanged directory is not listed again;
- ``yaml``: parsed hypothesis and initiative files under their stat (``workspace.parsecache``);
- ``rows``: what ``status``/``list`` show per hypothesis (``views.statusrows``); a trigger drops a
  hypothesis' row whenever one of its records is written or removed.

``user_version`` is the schema's version: a newer package that keeps the schema keeps the rows;
the derived tables (``yaml``, ``rows``) are emptied when this package's code changes, the records
never are. A file that is not a database is deleted and rebuilt from the files; where the index
cannot be written at all (a read-only store), an in-memory one is built for the command instead:
slower, never wrong.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from investigate.store import files

INDEX_FILE = ".index.sqlite"
SCHEMA_VERSION = 1
LOCK_WAIT_S = 10.0  # writers hold the lock for one short transaction each (a rebuild: one batch)

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE records (run_dir TEXT PRIMARY KEY, grp TEXT NOT NULL, hypothesis TEXT NOT NULL, "
    "status TEXT NOT NULL, started_at TEXT NOT NULL, run_id TEXT NOT NULL, cache_key TEXT NOT NULL, "
    "stat TEXT NOT NULL, data BLOB NOT NULL)",
    "CREATE INDEX records_hypothesis ON records (hypothesis)",
    "CREATE INDEX records_grp ON records (grp)",
    "CREATE INDEX records_key ON records (cache_key)",
    "CREATE TABLE problems (run_dir TEXT PRIMARY KEY, grp TEXT NOT NULL, stat TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE INDEX problems_grp ON problems (grp)",
    "CREATE TABLE started (run_dir TEXT PRIMARY KEY, grp TEXT NOT NULL)",
    "CREATE INDEX started_grp ON started (grp)",
    "CREATE TABLE dirs (path TEXT PRIMARY KEY, stat TEXT NOT NULL)",
    "CREATE TABLE yaml (path TEXT PRIMARY KEY, stat TEXT NOT NULL, data TEXT NOT NULL, "
    "hyp_id TEXT, title TEXT, initiative TEXT)",
    "CREATE TABLE rows (hypothesis TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TRIGGER records_added AFTER INSERT ON records BEGIN "
    "DELETE FROM rows WHERE hypothesis = NEW.hypothesis; END",
    "CREATE TRIGGER records_removed AFTER DELETE ON records BEGIN "
    "DELETE FROM rows WHERE hypothesis = OLD.hypothesis; END",
)
DERIVED = ("yaml", "rows")  # computed by this package's code: emptied when it changes


def stat_text(st: os.stat_result) -> str:
    """What identifies one version of a file: ctime moves on every change, even when mtime is put back.

    File times tick coarsely (a few milliseconds): a file changed within ``files.RACY_NS`` of now may
    change again without its times moving, so its stat is marked to match nothing, and the next
    reader looks again."""
    text = f"{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_size}:{st.st_ino}"
    return text if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > files.RACY_NS else "racy:" + text


# One record row: run_dir, group, hypothesis, status, started_at, run_id, cache_key, raw bytes.
RecordRow = tuple[str, str, str, str, str, str, str, bytes]


class Index:
    """One open index. Reads return rows; writes are one transaction each."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn, self.path = conn, path

    @property
    def in_memory(self) -> bool:
        return self.path is None

    # -- meta ----------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.writing() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- records -------------------------------------------------------------------------------

    def records(self, hypotheses: Iterable[str] | None = None) -> list[tuple[str, bytes]]:
        """(run_dir, raw bytes) of the records of these hypotheses (all when None), oldest first."""
        if hypotheses is None:
            rows = self.conn.execute("SELECT run_dir, data FROM records ORDER BY started_at, run_id").fetchall()
        else:
            sql = "SELECT run_dir, data FROM records WHERE hypothesis IN ({}) ORDER BY started_at, run_id"
            rows = self._in(sql, list(hypotheses))
        return [(str(r[0]), bytes(r[1])) for r in rows]

    def ok_by_keys(self, keys: Iterable[str]) -> list[tuple[str, str, bytes]]:
        """(run_dir, stat, raw bytes) of ``ok`` records with these cache keys, oldest first."""
        sql = (
            "SELECT run_dir, stat, data FROM records WHERE status = 'ok' AND cache_key IN ({}) "
            "ORDER BY started_at, run_id"
        )
        return [(str(r[0]), str(r[1]), bytes(r[2])) for r in self._in(sql, list(keys))]

    def groups_of(self, hypotheses: Iterable[str]) -> set[str]:
        """Groups holding a record of these hypotheses (usually ``<stamp>/<id>``, rarely another)."""
        return {
            str(r[0]) for r in self._in("SELECT DISTINCT grp FROM records WHERE hypothesis IN ({})", list(hypotheses))
        }

    def group_files(self, grp: str) -> dict[str, str]:
        """run_dir -> stat of every run.json (readable or not) the index holds for one group."""
        rows = self.conn.execute(
            "SELECT run_dir, stat FROM records WHERE grp = ? "
            "UNION ALL SELECT run_dir, stat FROM problems WHERE grp = ?",
            (grp, grp),
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def problems(self) -> list[tuple[str, str]]:
        return [
            (str(r[0]), str(r[1])) for r in self.conn.execute("SELECT run_dir, reason FROM problems ORDER BY run_dir")
        ]

    def started(self) -> list[str]:
        return [str(r[0]) for r in self.conn.execute("SELECT run_dir FROM started ORDER BY run_dir")]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])

    def group_records(self, grp: str) -> dict[str, RecordRow]:
        """run_dir -> the indexed row of every readable record of one group."""
        rows = self.conn.execute(
            "SELECT run_dir, grp, hypothesis, status, started_at, run_id, cache_key, data FROM records WHERE grp = ?",
            (grp,),
        ).fetchall()
        return {str(r[0]): (*(str(v) for v in r[:7]), bytes(r[7])) for r in rows}  # type: ignore[misc]

    def restat(self, stats: dict[str, str]) -> None:
        """Files read again whose bytes were the indexed ones: only their stat is new (no trigger fires)."""
        if stats:
            with self.writing() as conn:
                conn.executemany("UPDATE records SET stat = ? WHERE run_dir = ?", [(s, k) for k, s in stats.items()])

    def put_group(
        self,
        grp: str,
        records: list[RecordRow],
        stats: dict[str, str],
        problems: dict[str, tuple[str, str]],
        gone: Iterable[str],
        started: Iterable[str] | None,
    ) -> None:
        """What scanning one group found: new or changed records and problems, run dirs gone, and
        (when given) the group's complete list of started runs without a record."""
        with self.writing() as conn:
            removed = [(run_dir,) for run_dir in gone] + [(r[0],) for r in records] + [(k,) for k in problems]
            conn.executemany("DELETE FROM records WHERE run_dir = ?", removed)
            conn.executemany("DELETE FROM problems WHERE run_dir = ?", removed)
            conn.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(*r[:7], stats[r[0]], r[7]) for r in records]
            )
            conn.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?)", [(k, grp, st, why) for k, (st, why) in problems.items()]
            )
            if started is not None:
                conn.execute("DELETE FROM started WHERE grp = ?", (grp,))
                conn.executemany("INSERT OR IGNORE INTO started VALUES (?, ?)", [(s, grp) for s in started])
            conn.executemany("DELETE FROM started WHERE run_dir = ?", [(r[0],) for r in records])

    def add_started(self, run_dir: str, grp: str) -> None:
        with self.writing() as conn:
            conn.execute("INSERT OR IGNORE INTO started VALUES (?, ?)", (run_dir, grp))

    def forget(self, prefix: str) -> None:
        """Everything at or below one store path (a stamp, a group or a run dir)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        with self.writing() as conn:
            for table in ("records", "problems", "started"):
                conn.execute(f"DELETE FROM {table} WHERE run_dir = ? OR run_dir LIKE ? ESCAPE '\\'", (prefix, like))  # noqa: S608
            conn.execute("DELETE FROM dirs WHERE path = ? OR path LIKE ? ESCAPE '\\'", (prefix, like))

    # -- directories ---------------------------------------------------------------------------

    def dirs(self) -> dict[str, str]:
        return {str(r[0]): str(r[1]) for r in self.conn.execute("SELECT path, stat FROM dirs")}

    def put_dirs(self, stats: dict[str, str]) -> None:
        if stats:
            with self.writing() as conn:
                conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?)", stats.items())

    # -- derived tables ------------------------------------------------------------------------

    def yaml_heads(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        """path -> (stat, id, title, initiative) of every parsed YAML file the index holds."""
        rows = self.conn.execute("SELECT path, stat, hyp_id, title, initiative FROM yaml")
        return {str(r[0]): (str(r[1]), r[2], r[3], r[4]) for r in rows}

    def yaml_data(self, path: str) -> tuple[str, str] | None:
        row = self.conn.execute("SELECT stat, data FROM yaml WHERE path = ?", (path,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def put_yaml(self, entries: list[tuple[str, str, str, str | None, str | None, str | None]]) -> None:
        if entries:
            with self.writing() as conn:
                conn.executemany("INSERT OR REPLACE INTO yaml VALUES (?, ?, ?, ?, ?, ?)", entries)

    def rows(self) -> dict[str, tuple[str, str]]:
        return {
            str(r[0]): (str(r[1]), str(r[2]))
            for r in self.conn.execute("SELECT hypothesis, fingerprint, data FROM rows")
        }

    def put_rows(self, rows: list[tuple[str, str, str]]) -> None:
        if rows:
            with self.writing() as conn:
                conn.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", rows)

    # -- plumbing ------------------------------------------------------------------------------

    def _in(self, sql: str, values: list[str]) -> list[Any]:
        out: list[Any] = []
        for start in range(0, len(values), 500):  # SQLite bounds the number of parameters
            chunk = values[start : start + 500]
            marks = ", ".join("?" * len(chunk))  # placeholders only: the values are bound, never spliced
            out += self.conn.execute(sql.format(marks), chunk).fetchall()
        return out

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it lands, or (on any error) none of it. Inside another one
        (``batch``), part of that one: a rebuild commits once per batch, not once per group."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self.writing():
            yield

    def close(self) -> None:
        self.conn.close()


def open_index(reports_dir: Path) -> Index:
    """The store's index; an empty in-memory one where the file cannot be opened or written."""
    path = reports_dir / INDEX_FILE
    if reports_dir.is_dir() and not path.is_symlink():
        for _attempt in (1, 2):
            try:
                conn = sqlite3.connect(path, timeout=LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
                _prepare(conn)
                return Index(conn, path)
            except sqlite3.OperationalError:
                break  # read-only, locked past the wait, out of space: go without the file
            except sqlite3.DatabaseError:
                remove_index(reports_dir)  # not a database (garbage bytes, a torn write): rebuild
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _prepare(conn)
    return Index(conn, None)


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous = NORMAL")  # a cache of the files: rebuilt if a crash tears it
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')"
        ).fetchall():
            if kind == "table" and not name.startswith("sqlite_"):
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    row = conn.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()
    if row is None or row[0] != code_fingerprint():
        conn.execute("BEGIN IMMEDIATE")
        for table in DERIVED:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - names from DERIVED, not input
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (code_fingerprint(),))
        conn.execute("COMMIT")


def remove_index(reports_dir: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(f"{reports_dir / INDEX_FILE}{suffix}")
        except OSError:
            pass


@cache
def code_fingerprint() -> str:
    """sha256 of this package's Python sources and the Python and pydantic versions: what the
    derived tables (parsed YAML, verdict rows) were computed by."""
    import pydantic

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{sys.version} {pydantic.VERSION}".encode())
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()
