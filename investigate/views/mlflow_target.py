"""Where an MLflow export goes: refuse a store that cannot work before MLflow is asked, and bound a server.

MLflow's own answers to a bad target read as bugs or never come: a file that is not an SQLite
database, or a read-only one, raises SQLAlchemy's error; a directory given as the database is
retried for minutes; a server that does not answer is retried 7 times with a 120 s timeout each.
So an ``sqlite:`` path is checked here (a directory, not an SQLite file, not writable, no place
to create it), and an ``http(s):`` server gets MLflow's documented request limits
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``) for the export's duration unless the user set them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from investigate.core.errors import InvestigateError

SQLITE_HEADER = b"SQLite format 3\x00"
HTTP_RETRIES = 1  # one retry, one second apart: a refused or silent server fails in seconds
HTTP_BACKOFF = 1


def sqlite_path(uri: str) -> Path | None:
    """The database file of an ``sqlite:///FILE`` URI (``sqlite:////abs``, ``sqlite:///rel``); None otherwise."""
    if not uri.startswith("sqlite:///"):
        return None
    text = uri[len("sqlite:///") :].split("?", 1)[0]
    return None if text in ("", ":memory:") else Path(text)


def check_target(uri: str) -> None:
    """Raise a one-line error for a target MLflow could not use."""
    if "\0" in uri:
        raise InvestigateError(f"mlflow tracking URI {uri!r}: holds a NUL byte")
    path = sqlite_path(uri)
    if path is not None:
        _check_sqlite(uri, path)
    elif uri.startswith("file:") or "://" not in uri:
        local = Path(urlsplit(uri).path) if uri.startswith("file:") else Path(uri)
        if local.exists() and not local.is_dir():
            raise InvestigateError(f"mlflow ({uri}): {local} is a file, a file store is a directory")


def _check_sqlite(uri: str, path: Path) -> None:
    where = f"mlflow ({uri}): {path}"
    if path.is_dir():
        raise InvestigateError(f"{where} is a directory, not an SQLite database file")
    if path.exists():
        try:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise InvestigateError(f"{where}: cannot be read ({exc.strerror})") from None
        if head and head != SQLITE_HEADER:
            raise InvestigateError(f"{where} is not an SQLite database (it does not start with 'SQLite format 3')")
        # Tried, not inferred from the mode bits: root ignores them, a read-only mount does not.
        if not _writable(path) or not _can_create_in(path.parent):
            raise InvestigateError(f"{where} is read-only (SQLite needs to write the file and its directory)")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InvestigateError(f"{where} cannot be created: {ancestor} is a file, not a directory")
    if not _can_create_in(ancestor):
        raise InvestigateError(f"{where} cannot be created: the directory {ancestor} is read-only")


def _writable(path: Path) -> bool:
    try:
        with path.open("ab"):  # opened for appending, nothing written
            return True
    except OSError:
        return False


def _can_create_in(directory: Path) -> bool:
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=".investigate-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


@contextmanager
def bounded_http(timeout_s: float) -> Iterator[None]:
    """MLflow's HTTP limits set to ``timeout_s`` a request and one retry, unless already set in the environment."""
    wanted = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, round(timeout_s))),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(HTTP_RETRIES),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(HTTP_BACKOFF),
    }
    added = [name for name in wanted if name not in os.environ]
    os.environ.update({name: wanted[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
