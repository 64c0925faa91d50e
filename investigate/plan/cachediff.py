"""Why a planned run is, or is not, a cache hit: the part of its key that differs from the nearest run.

The nearest earlier run is the newest ok record of the same hypothesis, arm and matrix point with
the same seed (else any seed). Its stored key parts are compared with the planned run's, part by
part, the way ``dvc status`` names the changed dependency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from investigate.formats.schema import RunRecord
from investigate.plan.expand import PlannedRun

MAX_ITEMS = 3  # changed files or packages named per line; the rest are counted


@dataclass
class CacheStatus:
    hit: bool
    record: RunRecord | None  # the reused record (hit) or the nearest one (miss)
    reasons: list[str]

    def text(self) -> str:
        if self.hit and self.record is not None:
            return f"hit  {self.record.run_dir or self.record.run_id}"
        return "miss: " + "; ".join(self.reasons)


def _point_key(point: dict[str, Any]) -> str:
    return json.dumps(point, sort_keys=True, default=str)


class CacheExplainer:
    """Answers hit/miss for planned runs against the records already in the store."""

    def __init__(self, records: list[RunRecord], by_key: dict[str, RunRecord]) -> None:
        """``records``: those of the planned hypotheses; ``by_key``: the ok record the runner would
        reuse per cache key (``store.records.ok_records``)."""
        self.by_key = by_key
        self.by_point: dict[tuple[str, str, str], list[RunRecord]] = {}
        for record in records:  # oldest first, so the nearest candidate is the last
            if record.status != "ok":
                continue
            self.by_point.setdefault((record.hypothesis, record.arm, _point_key(record.point)), []).append(record)

    def status(self, run: PlannedRun) -> CacheStatus:
        if run.cache_key in self.by_key:
            return CacheStatus(True, self.by_key[run.cache_key], [])
        same_point = self.by_point.get((run.hypothesis, run.arm, _point_key(run.point)), [])
        nearest = next((r for r in reversed(same_point) if r.seed == run.seed), None)
        nearest = nearest or (same_point[-1] if same_point else None)
        if nearest is None:
            return CacheStatus(False, None, ["no earlier ok run of this hypothesis, arm and point"])
        return CacheStatus(False, nearest, differences(run, nearest) or ["key differs (unknown part)"])


def differences(run: PlannedRun, record: RunRecord) -> list[str]:
    """Each key part of ``run`` that differs from ``record``'s, as a short phrase."""
    return _compared(record, run.seed, run.entry, run.params, run.key_parts)


def record_differences(a: RunRecord, b: RunRecord) -> list[str]:
    """Why two recorded runs have different cache keys, in the phrases ``run --dry-run`` uses (A → B)."""
    if a.cache_key == b.cache_key:
        return []
    parts = b.key_parts if isinstance(b.key_parts, dict) else None
    if parts is None:
        return ["run B was recorded without key parts (an older format), so it cannot be compared"]
    reasons = _compared(a, b.seed, b.entry, b.params, parts)
    return [r.replace(" (nearest run: seed", " (A: seed") for r in reasons] or ["key differs (unknown part)"]


def _compared(record: RunRecord, seed: int, entry: str, params: dict[str, Any], parts: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    if record.seed != seed:
        reasons.append(f"seed {seed} (nearest run: seed {record.seed})")
    if record.entry != entry:
        reasons.append(f"entry {record.entry} → {entry}")
    changed = sorted(k for k in set(params) | set(record.params) if params.get(k) != record.params.get(k))
    if changed:
        shown = ", ".join(f"{k}: {record.params.get(k)!r} → {params.get(k)!r}" for k in changed[:MAX_ITEMS])
        reasons.append("params " + shown + _more(changed))
    old = getattr(record, "key_parts", None)
    if not isinstance(old, dict):
        reasons.append("the nearest run was recorded without key parts (an older format), so it cannot be compared")
        return reasons
    reasons += _source_changes(old.get("source") or {}, parts.get("source") or {})
    reasons += _version_changes(old.get("versions") or {}, parts.get("versions") or {})
    reasons += _runtime_changes(old.get("runtime") or {}, parts.get("runtime") or {})
    reasons += _root_changes(old.get("source_roots") or {}, parts.get("source_roots") or {})
    return reasons


def _runtime_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """experiment.shell / python / env / cwd, and the interpreter behind python."""
    names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return [f"experiment.{k}: {_shown(old.get(k))} → {_shown(new.get(k))}" for k in names]


def _root_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for entry in sorted(set(old) | set(new)):
        before, after = old.get(entry) or {}, new.get(entry) or {}
        if before.get("git_commit") != after.get("git_commit"):
            out.append(
                f"source root {entry}: commit {_shown(before.get('git_commit'))} → {_shown(after.get('git_commit'))}"
            )
        out += [
            f"source root {entry}: {line}"
            for line in _source_changes(before.get("files") or {}, after.get("files") or {})
        ]
    return out


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str) and len(value) == 40:  # a commit
        return value[:10]
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)


def _source_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    edited = sorted(f for f in set(old) & set(new) if old[f] != new[f])
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    out = []
    for label, files in (("source changed", edited), ("source added", added), ("source removed", removed)):
        if files:
            out.append(f"{label}: {', '.join(files[:MAX_ITEMS])}{_more(files)}")
    return out


def _version_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not names:
        return []
    shown = ", ".join(f"{k} {old.get(k, 'absent')} → {new.get(k, 'absent')}" for k in names[:MAX_ITEMS])
    return [f"package {shown}{_more(names)}"]


def _more(items: list[str]) -> str:
    return f" (+{len(items) - MAX_ITEMS} more)" if len(items) > MAX_ITEMS else ""
