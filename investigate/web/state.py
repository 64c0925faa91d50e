"""The workspace a server answers from: loaded once, loaded again when a YAML file changes.

Run records need no such care: every page reads them through ``read_records`` with a workspace
whose memo is fresh, so a run recorded while the server is up (by ``investigate run`` or by
anything else that writes into ``reports/``) shows on the next page load. Hypothesis and initiative files are parsed
once; a listing of their names, sizes and mtimes tells when to parse them again. That listing
costs about 0.1 s for 10,000 files, so it is taken at most every ``RECHECK_S`` seconds: an edited
file shows within that, a new record at once.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

from investigate.core.errors import InvestigateError
from investigate.workspace.load import Workspace, load_workspace

Signature = tuple[tuple[str, int, int], ...]
RECHECK_S = 2.0


def _signature(ws: Workspace) -> Signature:
    entries: list[tuple[str, int, int]] = []
    for directory in (ws.root, ws.hypotheses_dir, ws.plans_dir):
        try:
            with os.scandir(directory) as it:
                for entry in it:
                    if entry.name.endswith((".yaml", ".yml", ".toml")) or entry.is_dir(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        entries.append((entry.path, st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    for ini in sorted(ws.plans_dir.glob("*/initiative.y*ml")):
        st = ini.stat()
        entries.append((str(ini), st.st_mtime_ns, st.st_size))
    return tuple(sorted(entries))


class LiveWorkspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._ws = load_workspace(root)
        self._signature = _signature(self._ws)
        self._checked = time.monotonic()
        self._error: InvestigateError | None = None  # the last reload's, until the files load again

    def get(self) -> Workspace:
        """The workspace as the files were at most RECHECK_S ago (a broken edit raises until fixed)."""
        with self._lock:
            if time.monotonic() - self._checked >= RECHECK_S:
                now = _signature(self._ws)
                self._checked = time.monotonic()
                if now != self._signature:
                    try:
                        self._ws, self._error = load_workspace(self.root), None
                    except InvestigateError as exc:
                        self._error = exc
                    self._signature = now
            if self._error is not None:
                raise self._error
            # a fresh memo: the store checks its index against the files once per workspace object,
            # and this one lives as long as the server
            return dataclasses.replace(self._ws, memo={})
