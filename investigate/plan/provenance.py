"""Provenance of a run: package versions, git state, host and command line, and the clock.

Versions come from installed metadata, so nothing is imported and TensorFlow stays unloaded.
"""

from __future__ import annotations

import hashlib
import socket
import sys
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from investigate.plan.git import git_output

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

TRACKED_PACKAGES = (
    "investigate",
    "numpy",
    "pydantic",
    "scipy",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "jax",
    "torch",
)


@cache
def package_versions() -> dict[str, str]:
    """Versions from installed metadata: nothing is imported, so TensorFlow stays unloaded."""
    versions = {"python": sys.version.split()[0]}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def provenance(ws: Workspace, argv: list[str]) -> dict[str, Any]:
    git = _git_state(str(ws.root))
    out = {
        **git,
        "versions": package_versions(),
        "hostname": socket.gethostname(),
        "command": ["investigate", *argv],
    }
    if ws.source_roots:  # [tool.investigate] source_roots: each one's commit, dirty flag and diff hash
        from investigate.plan.sourceroots import provenance as roots

        out["source_roots"] = roots(ws)
    return out


def _git_state(root: str) -> dict[str, Any]:
    return _git_snapshot(root)[0]


def git_diff(ws: Workspace) -> bytes | None:
    """``git diff HEAD`` of the workspace's checkout when it is dirty (what the provenance hashed), else None."""
    state, diff = _git_snapshot(str(ws.root))
    return diff if state["git_dirty"] else None


@cache
def _git_snapshot(root: str) -> tuple[dict[str, Any], bytes]:
    def git(*args: str) -> bytes | None:
        return git_output(root, *args)

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None, "git_diff_sha256": None}, b""
    diff = git("diff", "HEAD") or b""
    status = git("status", "--porcelain", "--untracked-files=no") or b""
    state = {
        "git_commit": commit.decode().strip(),
        "git_dirty": bool(status.strip()),
        "git_diff_sha256": hashlib.sha256(diff).hexdigest(),
    }
    return state, diff


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
