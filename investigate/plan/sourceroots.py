"""Code outside the workspace that runs depend on: ``[tool.investigate] source_roots``.

A user's original project often lives beside the workspace (``../original``) or is installed
(``pip install -e``). Each entry is either a directory, relative to the workspace root, or the
name of an importable top-level package (an identifier such as ``legacy_sim``; write
``./legacy_sim`` for a directory of that name). Its Python files are hashed like workspace files,
and when it is a git checkout its commit is taken too: both enter every run's cache key (only when
the setting exists, so other workspaces' keys do not change), and the commit, dirty flag and diff
hash enter the provenance of every record.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.plan.fingerprint import digest, file_hashes, installed_module_files, python_files
from investigate.plan.git import git_output

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

PACKAGE_NAME = re.compile(r"\A[A-Za-z_]\w*\Z")
MEMO = "source_roots"


def locate(ws: Workspace, entry: str) -> tuple[Path, list[Path]]:
    """(the directory files are relative to, the Python files) of one ``source_roots`` entry."""
    where = f"pyproject.toml: tool.investigate.source_roots: {entry!r}"
    if PACKAGE_NAME.fullmatch(entry):
        found = installed_module_files(entry)
        if found is None:
            raise InvestigateError(f"{where} is not an importable package (write ./{entry} for a directory)")
        files, base = found
        return base, files
    base = (ws.root / entry).resolve()
    if not base.is_dir():
        raise InvestigateError(f"{where} is not a directory (relative to the workspace root)")
    return base, python_files(base, skip=ws.reports_dir)


def states(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Per entry: ``files`` (sha256 per Python file), ``git_commit``, ``git_dirty``, ``git_diff_sha256``.

    Computed once per loaded workspace (one invocation): every run of it shares the answer.
    """
    if MEMO not in ws.memo:
        out: dict[str, dict[str, Any]] = {}
        for entry in ws.source_roots:
            base, files = locate(ws, entry)
            out[entry] = {"files": file_hashes(files, base), **git_state(base)}
        ws.memo[MEMO] = out
    memo: dict[str, dict[str, Any]] = ws.memo[MEMO]
    return memo


def key_parts(ws: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the record keeps: every file's hash, what the key hashes: one digest per root)."""
    recorded = {entry: {"files": s["files"], "git_commit": s["git_commit"]} for entry, s in states(ws).items()}
    hashed = {entry: {"files": digest(p["files"]), "git_commit": p["git_commit"]} for entry, p in recorded.items()}
    return recorded, hashed


def provenance(ws: Workspace) -> dict[str, Any]:
    return {entry: {k: v for k, v in s.items() if k != "files"} for entry, s in states(ws).items()}


def git_state(base: Path) -> dict[str, Any]:
    """The commit of the git checkout holding ``base``; None when ``base`` holds no tracked file.

    (A package installed into a virtual environment that sits inside some repository is not that
    repository's code: its files are not tracked there.)
    """

    def git(*args: str) -> bytes | None:
        return git_output(base, *args)

    tracked = git("ls-files", "--", ".")
    commit = git("rev-parse", "HEAD") if tracked else None
    if commit is None:
        return {"git_commit": None, "git_dirty": None, "git_diff_sha256": None}
    diff = git("diff", "HEAD", "--", ".") or b""
    return {
        "git_commit": commit.decode().strip(),
        "git_dirty": bool(diff.strip()),
        "git_diff_sha256": hashlib.sha256(diff).hexdigest(),
    }
