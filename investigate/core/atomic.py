"""Atomic file writes: a reader (or a crash) sees the old file or the whole new one, never half.

A new file gets the mode the process' umask allows (``mkstemp`` alone would make every file 0600);
a file written again keeps its mode. ``write_output`` is for files a person asks for (``-o``):
it writes through a symlink to its target instead of replacing the link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(path: Path, data: bytes) -> Path:
    """Write a requested output atomically; a symlink is written through (it stays a link).
    Returns the file written."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    write_atomic(target, data)
    return target


def _mode_for(path: Path) -> int:
    try:
        st = os.stat(path)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)  # read it back: the only portable way to learn it
        return 0o666 & ~umask
    return stat.S_IMODE(st.st_mode)


def output_problem(path: Path) -> str | None:
    """Why ``write_atomic(path, ...)`` cannot work, said before anything is rendered; None when it can.

    A directory, a path under a file, a NUL byte: each was an OSError (exit 3) after the work was done.
    """
    text = str(path)
    if "\0" in text:
        return "holds a NUL byte"
    if path.is_dir():
        return "is a directory; give a file name"
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot be created: {ancestor} is a file, not a directory"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot be created: the directory {ancestor} is not writable"
    return None
