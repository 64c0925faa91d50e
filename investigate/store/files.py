"""Reading the store's files as a hostile directory tree allows: regular files only, never a symlink.

Anything can sit where a ``run.json`` belongs: a FIFO (opening it blocks forever), a symlink to
``/dev/zero`` (reading never ends) or to a file outside the workspace, a directory. A record is
read only from a regular file that is no symlink, opened without blocking, up to a size cap; and
the store is walked without following a symlinked directory, so nothing outside ``reports/`` is
ever listed, read or (by ``clean``) removed.
"""

from __future__ import annotations

import os
import stat
import time

from investigate.core.limits import MAX_RECORD_BYTES

# Changed less than this long ago: file times tick coarsely, so a second change within the same
# tick would not move them. Such a stat is never trusted to mean "unchanged".
RACY_NS = 2_000_000_000

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class UnreadableFile(Exception):
    """A path that does not hold a readable regular file; the message says why, in a few words."""


def read_regular(path: str, cap: int = MAX_RECORD_BYTES) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file (at most ``cap``) and its stat; raises UnreadableFile otherwise."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if os.path.islink(path):
            raise UnreadableFile("is a symbolic link: not followed") from None
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile(f"not a regular file ({_kind(st.st_mode)})")
        if st.st_size > cap:
            raise UnreadableFile(f"file is {st.st_size:,} bytes; a run record is at most {cap:,}")
        chunks, total = [], 0
        while total <= cap and (chunk := os.read(fd, 1 << 16)):
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            raise UnreadableFile(f"file grew past {cap:,} bytes while read")
        return b"".join(chunks), st
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def subdirs(path: str) -> list[str]:
    """Names of the real directories in ``path`` (symlinks to directories are not), sorted."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def dir_stat(path: str) -> str | None:
    """The stat text of a real directory (None for a symlink, a file or nothing)."""
    st = lstat_or_none(path)
    if st is None or not stat.S_ISDIR(st.st_mode):
        return None
    text = f"{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"
    # changed just now: an entry added within the same clock tick would not move it again
    return text if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS else "racy:" + text


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")
