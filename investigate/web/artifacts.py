"""Serving a run's artifact files, only from inside ``reports/`` and never through a symlink.

A run directory is written by experiments, which may leave a symlink (``data -> /home/...``) or
an artifact list naming ``../../..``. Every component of the requested path below ``reports/`` is
checked with ``lstat`` (no link followed), and the resolved path must still lie inside.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
TEXT_SUFFIXES = {".txt", ".json", ".log", ".csv", ".yaml", ".yml", ".md"}


class Refused(Exception):
    """The path is not a plain file inside the store (the message says why)."""


def safe_file(reports_dir: Path, relative: str) -> Path:
    """``reports_dir / relative`` when it is a regular file reached without links; else ``Refused``."""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts) or parts[0] == "/":
        raise Refused("not a path inside reports/")
    current = reports_dir
    for index, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            raise Refused("no such file") from None
        if stat.S_ISLNK(mode):
            raise Refused("a symbolic link: not followed")
        last = index == len(parts) - 1
        if last and not stat.S_ISREG(mode):
            raise Refused("not a regular file")
        if not last and not stat.S_ISDIR(mode):
            raise Refused("no such file")
    resolved = current.resolve()
    if not resolved.is_relative_to(reports_dir.resolve()):
        raise Refused("outside reports/")
    return resolved


def is_image(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES
