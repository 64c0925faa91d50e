"""Advisory file locks (``flock``) that the kernel releases when their holder dies, ``kill -9`` included.

Two uses: ``reports/.locks/<cache key>.lock`` makes concurrent invocations execute a cache key once
(the holder writes the run dir of its ok record into the file; a waiter that gets the lock reads
it and reuses that run), and ``reports/<stamp>/.lock`` tells live invocations from dead ones.
Lock files are never deleted while in use: a waiter holding the old inode would lock nothing.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from investigate.core.errors import InvestigateError

LOCKS_DIR = ".locks"
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class FileLock:
    """A non-blocking exclusive (or shared) lock on ``path``; the caller polls, so it stays interruptible."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path, self.shared = path, shared
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        # Never through a symlink: the holder writes into its lock file, and a link would make it
        # truncate whatever the link points to.
        try:
            if self.shared:  # only ever a probe of a lock someone else made: read-only, never created
                fd = os.open(self.path, os.O_RDONLY | _NO_FOLLOW)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NO_FOLLOW, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InvestigateError(f"{self.path}: is a symbolic link; a lock file must be a plain file") from None
            raise
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def read(self) -> str:
        """The text the last holder left (the lock must be held)."""
        assert self._fd is not None
        os.lseek(self._fd, 0, os.SEEK_SET)
        return os.read(self._fd, 4096).decode(errors="replace").strip()

    def write(self, text: str) -> None:
        """Leave ``text`` for the next holder (the lock must be held)."""
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor drops the flock


def key_lock(reports_dir: Path, cache_key: str) -> FileLock:
    return FileLock(reports_dir / LOCKS_DIR / f"{cache_key}.lock")


def is_locked(path: Path) -> bool:
    """Whether a live process holds ``path`` exclusively (a missing file is not locked)."""
    probe = FileLock(path, shared=True)
    try:
        if probe.try_acquire():
            return False
    except (OSError, InvestigateError):  # missing, unreadable, a symlink: held by no one we know
        return False
    finally:
        probe.release()
    return True
