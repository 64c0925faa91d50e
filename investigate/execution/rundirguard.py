"""A run's directory held open while the run executes, so a run that replaces it cannot redirect its record.

An experiment can delete its run directory and put a symlink in its place. Writing ``run.json``
to the path then wrote it wherever the link pointed (outside the workspace), and listing the
artifacts walked the link's target (143,000 outside files in one run.json). So the directory is
opened when it is made and its descriptor kept: it pins the inode, so no new directory can take
the same (device, inode) while the run executes. Before anything is read from or written to the
path, it must still be that directory (``lstat`` of the path against ``fstat`` of the descriptor),
and the path to it must resolve as it did. If not, the run is an error that says what was found,
nothing the run left there is read, and a symlink in its place is removed (the link only, never
its target) and a fresh directory made for the record.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass
class HeldDir:
    path: Path
    fd: int
    real: str  # what the path resolved to when it was made

    @classmethod
    def open(cls, path: Path) -> HeldDir:
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
        return cls(path, os.open(path, flags), os.path.realpath(path))

    def replaced(self) -> str | None:
        """Why the path is no longer the directory that was made, or None while it is."""
        try:
            now = os.lstat(self.path)
        except OSError as exc:
            return f"the run directory is gone ({exc.strerror})"
        if stat.S_ISLNK(now.st_mode):
            return f"the run directory was replaced by a symlink to {os.readlink(self.path)!r}"
        held = os.fstat(self.fd)
        if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            return "the run directory was replaced by another one"
        resolved = os.path.realpath(self.path)
        if resolved != self.real:
            return f"a directory above the run directory was replaced (it now resolves to {resolved})"
        return None

    def restore(self) -> bool:
        """A fresh directory at the path for the record; False when the path above it is not safe."""
        if os.path.realpath(self.path.parent) != os.path.dirname(self.real):
            return False
        try:
            if self.path.is_symlink() or self.path.is_file():
                self.path.unlink()
            self.path.mkdir(exist_ok=True)
        except OSError:
            return False
        return True

    def close(self) -> None:
        os.close(self.fd)
