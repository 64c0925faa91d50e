"""Parsed YAML files kept in the store's index, so loading 10,000 hypotheses is not 10,000 parses.

The first file a load asks for primes the cache for the whole workspace: one query for every
cached head, a stat of every hypothesis file. A file whose stat (mtime, ctime, size, inode) is the
one it was cached under is served from the index; any other is parsed, and cached when the load
ends. A file that fails to parse or validate is never cached: it is parsed again and reported as
always. Data is cached only when JSON gives it back exactly (string keys, plain scalars).

A hypothesis that validated when it was cached keeps a ``Head`` (id, title, initiative), and the
loader builds its model only when something uses it (``lazymodels``): ``status`` and ``list`` need
no model for a hypothesis whose row is cached.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from investigate.formats.yamlio import load_yaml
from investigate.store.index import Index, stat_text
from investigate.store.records import index_of
from investigate.workspace.dirs import hypothesis_files
from investigate.workspace.lazymodels import Head


class Workspace(Protocol):
    """What the cache needs of the workspace being loaded (``load.Workspace``, which imports this)."""

    root: Path
    hypotheses_dir: Path
    reports_dir: Path
    max_yaml_bytes: int
    memo: dict[str, Any]

    def relative(self, path: Path) -> str: ...

    def relative_file(self, path: str) -> str: ...


@dataclass
class Cache:
    """One load's view of the cache: what the index holds, and what this load parsed."""

    index: Index | None
    stats: dict[str, str]  # path as listed (absolute) -> stat text, for every hypothesis file
    heads: dict[str, Head]  # by path as listed: cached, valid under this code and the file's current stat
    fresh: dict[str, tuple[str, str, Head | None]] = field(default_factory=dict)  # path -> (stat, JSON, head)


def cache_of(ws: Workspace) -> Cache:
    cache: Cache | None = ws.memo.get("parsecache")
    if cache is None:
        cache = ws.memo["parsecache"] = _prime(ws)
    return cache


def _prime(ws: Workspace) -> Cache:
    if not ws.reports_dir.is_dir():
        return Cache(None, {}, {})  # nothing recorded yet: no reports/ made just for a cache
    index = index_of(ws)
    stats: dict[str, str] = {}
    for path in listed_hypotheses(ws):
        try:
            stats[path] = stat_text(os.stat(path))
        except OSError:
            continue
    # The index keys files by their workspace-relative path; this load by the path it listed.
    listed = {ws.relative_file(path): path for path in stats}
    heads: dict[str, Head] = {}
    for key, (stat, hyp_id, title, initiative) in index.yaml_heads().items():
        where = listed.get(key)
        if where is not None and hyp_id is not None and title is not None and stats[where] == stat:
            heads[where] = Head(hyp_id, title, initiative)
    return Cache(index, stats, heads)


def listed_hypotheses(ws: Workspace) -> list[str]:
    """The hypothesis files, listed once per load (the cache and the loader walk the same list)."""
    listed: list[str] | None = ws.memo.get("hypothesis_files")
    if listed is None:
        listed = ws.memo["hypothesis_files"] = hypothesis_files(ws.hypotheses_dir)
    return listed


def stat_of(ws: Workspace, path: str) -> str | None:
    """The stat text of a hypothesis file when this load read it (None if it has none)."""
    return cache_of(ws).stats.get(path)


def load(ws: Workspace, path: str, shown: str) -> Any:
    """The parsed data of one YAML file, from the index when its stat is the cached one."""
    cache = cache_of(ws)
    key = ws.relative_file(path)
    stat = cache.stats.get(path) or _stat(path)
    if cache.index is not None and stat is not None:
        row = cache.index.yaml_data(key)
        if row is not None and row[0] == stat:
            return json.loads(row[1])
    data = load_yaml(path, shown, ws.max_yaml_bytes)
    if cache.index is not None and stat is not None and _exact_in_json(data):
        cache.fresh[key] = (stat, json.dumps(data, allow_nan=True), None)
    return data


def validated(ws: Workspace, path: str, hyp_head: Head) -> None:
    """Mark a freshly parsed hypothesis as valid: cached with its head when the load ends."""
    cache = cache_of(ws)
    key = ws.relative_file(path)
    if key in cache.fresh:
        stat, text, _ = cache.fresh[key]
        cache.fresh[key] = (stat, text, hyp_head)


def save(ws: Workspace) -> None:
    """Write what this load parsed; a file that changed since it was stat'ed is left uncached."""
    cache: Cache | None = ws.memo.get("parsecache")
    if cache is None or cache.index is None or not cache.fresh:
        return
    rows = []
    for key, (stat, text, hyp_head) in cache.fresh.items():
        if stat.startswith("racy:") or _stat(str(ws.root / key)) != stat:
            continue  # just written, or edited while loading: its next load parses it again
        hyp_id, title, initiative = hyp_head if hyp_head is not None else (None, None, None)
        rows.append((key, stat, text, hyp_id, title, initiative))
    try:
        cache.index.put_yaml(rows)
    except sqlite3.Error:
        pass  # a cache that cannot be written (locked, read-only) is only slower
    cache.fresh.clear()


def _stat(path: str) -> str | None:
    try:
        return stat_text(os.stat(path))
    except OSError:
        return None


def _exact_in_json(value: Any) -> bool:
    """Whether JSON gives ``value`` back exactly: string keys and plain scalars only (no dates,
    bytes or sets, which an explicit YAML tag can make). Iterative: nesting is bounded, but deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(k) is str for k in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in (str, int, float, bool, type(None)):
            return False
    return True
