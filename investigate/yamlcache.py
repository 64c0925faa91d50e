"""Parsed YAML files, kept in ``reports/.index.sqlite`` so that loading 10,000 hypotheses is not 10,000 parses.

Loading a workspace asks for one file at a time. The first request primes the cache for the
whole workspace: one query for every cached entry, a stat of every hypothesis and initiative file,
and one transaction for the files that were parsed because their entry was missing or stale.
Each file is then served from memory, once. A file that fails to parse is not cached: the
loader parses it again and reports the error as always. The parsed data is stored as JSON only
when JSON gives back exactly the same data (no dates, no non-string keys, no NaN); other files
are simply parsed every time.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate import parallel
from investigate.index import Stat, open_index, settled, stat_key
from investigate.yamlio import load_yaml

if TYPE_CHECKING:
    from investigate.workspace import Workspace

# The workspace being loaded, its primed files (absolute path -> ("json", text) or ("data", parsed))
# and the stat each file had when it was read.
_current: tuple[weakref.ref[Any], dict[str, tuple[str, Any]], dict[str, Stat]] | None = None
PER_WORKER = 500  # files worth a forked worker


def load(ws: Workspace, path: Path, shown: str) -> Any:
    """What ``load_yaml(path, shown)`` returns, from the cache when the file is unchanged."""
    global _current
    if _current is None or _current[0]() is not ws:
        _current = (weakref.ref(ws), *_prime(ws))
    primed = _current[1].pop(str(path), None)
    if primed is None:
        return load_yaml(path, shown, ws.max_yaml_bytes)
    kind, value = primed
    return json.loads(value) if kind == "json" else value


def stat_when_read(ws: Workspace, path: Path) -> Stat | None:
    """The (mtime_ns, size, inode) ``path`` had just before this workspace read it; None if unknown.

    A cache keyed on what a file held must use this stat, not a later one: a file edited after
    loading would otherwise key a result computed from its old content.
    """
    if _current is None or _current[0]() is not ws:
        return None
    return _current[2].get(str(path))


def _prime(ws: Workspace) -> tuple[dict[str, tuple[str, Any]], dict[str, Stat]]:
    with open_index(ws.reports_dir) as index:
        if index is None:
            return {}, {}
        cached = index.yaml_entries()
        primed: dict[str, tuple[str, Any]] = {}
        misses: list[tuple[str, str]] = []
        stats: dict[str, Stat] = {}
        root = f"{ws.root}{os.sep}"
        for path in _yaml_files(ws):
            key = path.removeprefix(root)
            try:
                stats[path] = stat_key(os.stat(path))
            except OSError:
                continue
            entry = cached.pop(key, None)
            if entry is not None and entry[0] == stats[path]:
                primed[path] = ("json", entry[1])
            else:
                misses.append((path, key))
        chunks = parallel.split(misses, parallel.workers(len(misses), PER_WORKER))
        fresh: list[tuple[str, Stat, str]] = []
        now = time.time_ns()
        for path, key, kind, value in (item for chunk in parallel.fork_map(_parse, chunks) for item in chunk):
            if kind == "error":
                continue  # not cached; the loader parses it again and reports the error
            primed[path] = (kind, value)
            if kind == "json" and settled(stats[path], now):
                fresh.append((key, stats[path], value))
        if fresh or cached:
            index.update_yaml(fresh, gone=list(cached))  # what is left in ``cached`` no longer exists
    return primed, stats


def _parse(files: list[tuple[str, str]]) -> list[tuple[str, str, str, Any]]:
    """(path, key, "json", text) when JSON holds the data exactly, else "data" (or "error"): also in a worker."""
    out: list[tuple[str, str, str, Any]] = []
    for path, key in files:
        try:
            data = load_yaml(Path(path), key)
        except Exception:  # noqa: BLE001 - the loader parses it again and reports the error
            out.append((path, key, "error", None))
            continue
        text = _as_json(data)
        out.append((path, key, "data", data) if text is None else (path, key, "json", text))
    return out


def _yaml_files(ws: Workspace) -> list[str]:
    """Every file workspace loading may ask for: hypotheses/*.y(a)ml and plans/*/initiative.yaml."""
    found = []
    for directory, nested in ((ws.hypotheses_dir, False), (ws.plans_dir, True)):
        try:
            with os.scandir(directory) as entries:
                names = [e.name for e in entries]
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            if nested:
                found.append(os.path.join(path, "initiative.yaml"))
            elif name.endswith((".yaml", ".yml")):
                found.append(path)
    return found


def _as_json(data: Any) -> str | None:
    """``data`` as JSON, if reading the JSON back gives exactly ``data``; else None."""
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if json.loads(text) == data else None
