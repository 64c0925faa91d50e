"""Running git for the provenance of the workspace and of each source root."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_output(cwd: str | Path, *args: str) -> bytes | None:
    """What ``git ARGS`` run in ``cwd`` prints; None if git is missing, fails or hangs."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
