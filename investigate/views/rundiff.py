"""Two runs side by side: only what differs in params, metrics, provenance and the record itself.

A run is named by its run id (``2026-01-20T102300Z/H-X/scenario=a/raw-seed0``, as ``show`` and the
records print it) or by its directory (relative to the current directory, the workspace root or
``reports/``). Nested values are compared key by key (``versions.numpy``); a key only one side has
is shown against ``(absent)``. The source files a run's cache key hashed are compared by hash.
When the cache keys differ, ``cache key`` says which part of the key differs, in the words
``run --dry-run`` uses to explain a miss (``plan.cachediff``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.formats.schema import RunRecord
from investigate.plan.cachediff import record_differences
from investigate.rules.conditions import fmt
from investigate.rules.evidence import number
from investigate.store.records import read_records

# Fields that differ between any two runs (or restate the point) and so say nothing.
SKIPPED = {"run_id", "started_at", "duration_s", "original_duration_s", "run_dir", "params", "metrics",
           "provenance", "key_parts", "artifacts", "point"}  # fmt: skip
_ABSENT = object()


@dataclass
class Change:
    key: str
    a: Any = _ABSENT
    b: Any = _ABSENT

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key}
        if self.a is not _ABSENT:
            out["a"] = self.a
        if self.b is not _ABSENT:
            out["b"] = self.b
        return out

    def text(self) -> str:
        line = f"{self.key}: {_shown(self.a)} → {_shown(self.b)}"
        x, y = number(self.a), number(self.b)
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
            line += f"  (Δ {y - x:+.3g})"
        return line


@dataclass
class RunDiff:
    a: RunRecord
    b: RunRecord
    sections: dict[str, list[Change]] = field(default_factory=dict)
    key_reasons: list[str] = field(default_factory=list)  # why the cache keys differ; empty when equal

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": _header(self.a),
            "b": _header(self.b),
            **{name: [c.to_dict() for c in changes] for name, changes in self.sections.items()},
            "cache_key_reasons": self.key_reasons,
        }

    def lines(self) -> list[str]:
        out = [f"A: {_describe(self.a)}", f"B: {_describe(self.b)}"]
        out.append("cache key: " + ("same" if not self.key_reasons else "differs: " + "; ".join(self.key_reasons)))
        for name, changes in self.sections.items():
            out.append(f"{name}: " + ("same" if not changes else f"{len(changes)} differ"))
            out += [f"  {c.text()}" for c in changes]
        return out


def _header(rec: RunRecord) -> dict[str, Any]:
    return {"run_id": rec.run_id, "run_dir": rec.run_dir, "hypothesis": rec.hypothesis, "arm": rec.arm,
            "point": rec.point, "seed": rec.seed, "status": rec.status, "started_at": rec.started_at}  # fmt: skip


def _describe(rec: RunRecord) -> str:
    point = ", ".join(f"{k}={fmt(v)}" for k, v in rec.point.items()) or "no matrix"
    return f"{rec.run_dir or rec.run_id} ({rec.hypothesis}, {rec.arm}, {point}, seed {rec.seed}, {rec.status})"


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    return repr(value) if isinstance(value, str) else fmt(value)


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"versions": {"numpy": "2"}}`` -> ``{"versions.numpy": "2"}``; lists stay values."""
    flat: dict[str, Any] = {}
    todo = [(prefix, data)]
    while todo:
        base, current = todo.pop()
        for key, value in current.items():
            name = f"{base}.{key}" if base else str(key)
            if isinstance(value, dict) and value:
                todo.append((name, value))
            else:
                flat[name] = value
    return dict(sorted(flat.items()))


def changes(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if not _same(x, y):
            out.append(Change(key, x, y))
    return out


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True  # two diverged runs agree
    return type(x) is type(y) and bool(x == y)


def diff_runs(a: RunRecord, b: RunRecord) -> RunDiff:
    fields_a = {k: v for k, v in a.model_dump().items() if k not in SKIPPED}
    fields_b = {k: v for k, v in b.model_dump().items() if k not in SKIPPED}
    source_a = (a.key_parts or {}).get("source") or {}
    source_b = (b.key_parts or {}).get("source") or {}
    return RunDiff(
        a,
        b,
        {
            "record": changes(fields_a, fields_b),
            "params": changes(flatten(a.params), flatten(b.params)),
            "metrics": changes(a.metrics, b.metrics),
            "provenance": changes(flatten(a.provenance), flatten(b.provenance)),
            "source": [_file_change(c) for c in changes(source_a, source_b)],
        },
        record_differences(a, b),
    )


def _file_change(change: Change) -> Change:
    # sha256 digests mean nothing to a reader: say which file changed, was added or is gone
    short = {k: (v[:12] if isinstance(v, str) else v) for k, v in (("a", change.a), ("b", change.b))}
    return Change(change.key, short["a"], short["b"])


def resolve_run(ws: Any, name: str, records: list[RunRecord] | None = None) -> RunRecord:
    """The record a run id or run directory names (see the module doc)."""
    text = name.rstrip("/")
    if text.endswith("run.json"):
        text = text.removesuffix("run.json").rstrip("/")
    for base in (Path.cwd(), ws.root, ws.reports_dir):
        directory = (base / text) if not Path(text).is_absolute() else Path(text)
        if (directory / "run.json").is_file():
            return _read(ws, directory)
    if records is None:  # a run id names its hypothesis second: <stamp>/<hypothesis>/<point>/<run>
        parts = text.split("/")
        records = read_records(ws, parts[1]) if len(parts) > 2 else []
        if not any(r.run_id == text for r in records):
            records = read_records(ws)
    for rec in records:
        if rec.run_id == text:
            return rec
    raise UnknownIdError("run", text, [r.run_id for r in records])


def _read(ws: Any, directory: Path) -> RunRecord:
    path = directory / "run.json"
    try:
        record = RunRecord.model_validate_json(path.read_bytes())
    except (OSError, ValueError, pydantic.ValidationError) as exc:
        raise InvestigateError(f"{path}: not a readable run record ({type(exc).__name__})") from None
    record.run_dir = ws.relative(directory)
    return record
