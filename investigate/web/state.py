"""The workspace a server answers from: loaded once, loaded again when a YAML file changes.

Run records need no such care: every page reads them through ``read_records``, so a run recorded
while the server is up shows on the next page load. Hypothesis and initiative files are parsed
once; a cheap listing of their names, sizes and mtimes tells when to parse them again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from investigate.workspace.load import Workspace, load_workspace

Signature = tuple[tuple[str, int, int], ...]


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

    def get(self) -> Workspace:
        """The workspace as the files are now (a broken edit keeps the last good load and raises)."""
        with self._lock:
            now = _signature(self._ws)
            if now != self._signature:
                self._ws = load_workspace(self.root)
                self._signature = now
            return self._ws
