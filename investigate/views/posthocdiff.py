"""The text a post-hoc rules change made: the old file (from git, by the blob id its runs recorded)
against the current one, as a short unified diff."""

from __future__ import annotations

import difflib
from pathlib import Path

from investigate.plan.git import git_output

MAX_LINES = 40


def rules_diff(path: Path, blobs: tuple[str, ...]) -> list[str]:
    """A unified diff from the newest recorded old version still in the repository to the file now."""
    for blob in reversed(blobs):
        old = git_output(path.parent, "cat-file", "blob", blob)
        if old is None:
            continue  # that version was never committed (or was collected): no text to show
        now = path.read_text(encoding="utf-8").splitlines()
        diff = list(
            difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(), now, f"{path.name}@{blob[:10]}", path.name, lineterm=""
            )
        )
        return diff[:MAX_LINES] + ([f"… {len(diff) - MAX_LINES} more lines"] if len(diff) > MAX_LINES else [])
    return []
