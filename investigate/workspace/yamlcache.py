"""Parsed YAML files, kept in ``reports/.index.sqlite`` so that loading 10,000 hypotheses is not 10,000 parses.

Loading a workspace asks for one file at a time. The first request primes the cache for the
whole workspace: one query for every cached entry, a stat of every hypothesis and initiative file,
and one transaction for the files that were parsed because their entry was missing or stale.
Each file is then served from memory, once. A file that fails to parse is not cached: the
loader parses it again and reports the error as always. The parsed data is stored as JSON only
when JSON gives back exactly the same data (no dates, no non-string keys, no NaN); other files
are simply parsed every time.

A hypothesis file is also validated where it is parsed (in a forked worker when there are
many); one that validates gets a ``Head`` (id, title, initiative), cached with its data, and the
loader defers building its model until something uses it (``lazymodels``).
"""

from __future__ import annotations

import json
import os
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pydantic

from investigate.formats.schema import Hypothesis
from investigate.formats.yamlio import load_yaml, parse_yaml
from investigate.store.index import Stat, open_index, settled, stat_key
from investigate.views import gcpause, parallel
from investigate.views.firstsurvey import early_parses
from investigate.workspace.dirs import hypothesis_files
from investigate.workspace.lazymodels import Head

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace


@dataclass
class Entry:
    """One primed file: its data (as JSON text, or parsed when JSON cannot hold it) and its head."""

    kind: str  # "json" or "data"
    value: Any  # None: cached, not fetched yet (a deferred hypothesis may never need it)
    head: Head | None  # a hypothesis that validates under this code; None otherwise
    fetch: _Fetch | None = None  # where a cached entry's data is fetched from
    key: str = ""  # its path relative to the workspace root, the index's key
    model: Hypothesis | None = None  # validated where it was parsed, in this process

    def data(self) -> Any:
        if self.value is None and self.fetch is not None:
            self.fetch.fill(self)
        return json.loads(self.value) if self.kind == "json" else self.value


@dataclass
class _Fetch:
    """The cached entries of one load whose data is still in the index, fetched when first needed:
    one by one for the first few (a command that uses a handful of models), then all at once.

    Only a row with the stat the entry was primed under is taken; a file re-cached since (by
    another process, after an edit) is parsed again instead, never mixed with the old stat.
    """

    reports_dir: Path
    pending: dict[str, tuple[Entry, Stat, str]]  # key -> (entry, the stat it was primed under, file)
    fills: int = 0

    ONE_BY_ONE: ClassVar[int] = 16

    def fill(self, entry: Entry) -> None:
        self.fills += 1
        wanted = list(self.pending) if self.fills > self.ONE_BY_ONE else [entry.key]
        with open_index(self.reports_dir) as index:
            rows = index.yaml_data(wanted) if index is not None else {}
        for key in wanted:
            found, stat, path = self.pending.pop(key)
            row = rows.get(key)
            if row is not None and row[0] == stat:
                found.value = row[1]
                continue
            data, keys_are_strings = parse_yaml(path, key)
            text = _as_json(data, exact=keys_are_strings)
            found.kind, found.value = ("data", data) if text is None else ("json", text)


# The workspace being loaded, its primed files (absolute path -> Entry) and the stat each file
# had when it was read.
_current: tuple[weakref.ref[Any], dict[str, Entry], dict[str, Stat]] | None = None
PER_WORKER = 500  # files worth a forked worker


def load(ws: Workspace, path: Path, shown: str) -> Any:
    """What ``load_yaml(path, shown)`` returns, from the cache when the file is unchanged."""
    entry = primed(ws, path)
    return load_yaml(path, shown, ws.max_yaml_bytes) if entry is None else entry.data()


def primed(ws: Workspace, path: str | Path) -> Entry | None:
    """The primed entry of ``path`` (handed out once), or None: then parse it yourself."""
    global _current
    if _current is None or _current[0]() is not ws:
        _current = (weakref.ref(ws), *_prime(ws))
    return _current[1].pop(str(path), None)


def stat_when_read(ws: Workspace, path: str | Path) -> Stat | None:
    """The (mtime_ns, size, inode) ``path`` had just before this workspace read it; None if unknown.

    A cache keyed on what a file held must use this stat, not a later one: a file edited after
    loading would otherwise key a result computed from its old content.
    """
    return stats_when_read(ws).get(str(path))


_priming_pid = 0  # the process that primes; forked workers see its pid and know they are not it


def stats_when_read(ws: Workspace) -> dict[str, Stat]:
    """``stat_when_read`` for every file of this workspace at once (absolute path -> stat)."""
    if _current is None or _current[0]() is not ws:
        return {}
    return _current[2]


def _prime(ws: Workspace) -> tuple[dict[str, Entry], dict[str, Stat]]:
    with gcpause.paused():  # the models kept here made the collector rescan them over and over
        return _prime_paused(ws)


def _prime_paused(ws: Workspace) -> tuple[dict[str, Entry], dict[str, Stat]]:
    global _priming_pid
    _priming_pid = os.getpid()
    with open_index(ws.reports_dir) as index:
        if index is None:
            return {}, {}
        cached = index.yaml_entries()
        fetch = _Fetch(ws.reports_dir, {})
        entries: dict[str, Entry] = {}
        misses: list[tuple[str, str, bool]] = []
        parsed: list[tuple[str, str, Entry | None]] = []
        early = early_parses(str(ws.reports_dir))
        stats: dict[str, Stat] = {}
        root = f"{ws.root}{os.sep}"
        for path, is_hypothesis in _yaml_files(ws):
            key = path.removeprefix(root)
            try:
                stats[path] = stat_key(os.stat(path))
            except OSError:
                continue
            hit = cached.pop(key, None)
            if hit is not None and hit[0] == stats[path]:
                if hit[2] is not None:  # initiatives, and hypotheses that must be validated now
                    entries[path] = Entry("json", hit[2], Head(*hit[1]) if hit[1] else None)
                else:  # a hypothesis known to validate: its data may never be needed
                    entries[path] = Entry("json", None, Head(*hit[1]) if hit[1] else None, fetch, key)
                    fetch.pending[key] = (entries[path], stats[path], path)
            elif path in early and early[path][0] == stats[path]:
                parsed.append((path, key, early[path][1]))  # parsed by a survey started before (``survey``)
            else:
                misses.append((path, key, is_hypothesis))
        chunks = parallel.split(misses, parallel.workers(len(misses), PER_WORKER))
        fresh: list[tuple[str, Stat, str, Head | None]] = []
        now = time.time_ns()
        parsed.extend(item for chunk in parallel.fork_map(_parse, chunks) for item in chunk)
        for path, key, entry in parsed:
            if entry is None:
                continue  # not cached; the loader parses it again and reports the error
            entries[path] = entry
            if entry.kind == "json" and settled(stats[path], now):
                fresh.append((key, stats[path], entry.value, entry.head))
        if fresh or cached:
            index.update_yaml(fresh, gone=list(cached))  # what is left in ``cached`` no longer exists
    return entries, stats


def _parse(files: list[tuple[str, str, bool]]) -> list[tuple[str, str, Entry | None]]:
    """``_parse_files`` in a worker of this load: the models stay here, in the process that primes."""
    out = _parse_files(files)
    if os.getpid() != _priming_pid:  # a worker: the models would only be pickled to no purpose
        for _, _, entry in out:
            if entry is not None:
                entry.model = None
    return out


def parse_early(paths: list[str], root: str) -> tuple[list[tuple[str, Stat, Entry | None]], dict[str, Hypothesis]]:
    """Hypothesis files parsed for a survey started before the workspace loads (``survey``), each
    stat'ed just before it is read: ``(path, stat, entry)`` for the loader (``early_parses``), with no
    model, and the models by path, for the worker's own use. ``root``: the workspace root."""
    found: list[tuple[str, Stat, Entry | None]] = []
    models: dict[str, Hypothesis] = {}
    prefix = f"{root}{os.sep}"
    for path in paths:
        try:
            stat = stat_key(os.stat(path))
        except OSError:
            continue
        ((_, _, entry),) = _parse_files([(path, path.removeprefix(prefix), True)])
        if entry is not None and entry.model is not None:
            models[path], entry.model = entry.model, None
        found.append((path, stat, entry))
    return found, models


def adopt(ws: Workspace, stats: dict[str, Stat]) -> None:
    """Let ``stat_when_read`` answer for a workspace assembled from files parsed elsewhere."""
    global _current
    _current = (weakref.ref(ws), {}, stats)


def _parse_files(files: list[tuple[str, str, bool]]) -> list[tuple[str, str, Entry | None]]:
    """Parse (and validate a hypothesis), keeping the model. JSON text when JSON holds the data exactly."""
    out: list[tuple[str, str, Entry | None]] = []
    for path, key, is_hypothesis in files:
        try:
            data, keys_are_strings = parse_yaml(path, key)
        except Exception:  # noqa: BLE001 - the loader parses it again and reports the error
            out.append((path, key, None))
            continue
        text = _as_json(data, exact=keys_are_strings)
        model = _validated(data) if is_hypothesis else None
        head = Head.of(model) if model is not None else None
        entry = Entry("data", data, head) if text is None else Entry("json", text, head)
        entry.model = model
        out.append((path, key, entry))
    return out


def _validated(data: Any) -> Hypothesis | None:
    try:
        return Hypothesis.model_validate(data)
    except pydantic.ValidationError:
        return None  # the loader validates it again and reports where


def _yaml_files(ws: Workspace) -> list[tuple[str, bool]]:
    """Every file workspace loading may ask for: hypotheses/*.y(a)ml and plans/*/initiative.yaml
    (each with whether it is a hypothesis)."""
    try:
        found = [(path, True) for path in hypothesis_files(ws.hypotheses_dir)]
    except OSError:
        found = []  # the loader lists it again and reports why it cannot
    try:
        with os.scandir(ws.plans_dir) as entries:
            names = [e.name for e in entries]
    except OSError:
        return found
    # f-strings, not os.path.join: this may run for thousands of plans
    found.extend((f"{ws.plans_dir}{os.sep}{name}{os.sep}initiative.yaml", False) for name in names)
    return found


def _as_json(data: Any, *, exact: bool = False) -> str | None:
    """``data`` as JSON, if reading the JSON back gives exactly ``data``; else None.

    ``exact``: the caller knows every mapping key is a string, so only a NaN or infinity (refused
    here) could come back different, and the read-back check is skipped.
    """
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if exact or json.loads(text) == data else None
