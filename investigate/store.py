"""The evidence store: ``reports/<stamp>/<HYPOTHESIS>/<point>/<arm>-seed<k>/run.json``.

Records are JSON written atomically. Non-finite metrics are observations, so records are written
with Python's ``allow_nan`` tokens (``NaN``, ``Infinity``, ``-Infinity``); ``json.loads`` reads them
back as floats. Each invocation owns a fresh stamp directory, so concurrent runs never share files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.atomic import write_atomic
from investigate.schema import RunRecord

if TYPE_CHECKING:
    from investigate.workspace import Workspace

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?$")
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


def new_stamp_dir(ws: Workspace) -> Path:
    """Create this invocation's directory exclusively; a second invocation in the same second gets ``-2``."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        path = ws.reports_dir / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a fresh run directory under {ws.reports_dir}")


def point_slug(point: dict[str, Any]) -> str:
    """``scenario=gs1_custom`` (several keys joined by ``,``); ``all`` without a matrix."""
    if not point:
        return "all"
    parts = [f"{key}={value}" for key, value in point.items()]
    return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", ",".join(parts))


def write_record(ws: Workspace, run_dir: Path, record: RunRecord) -> None:
    # Python mode, not "json": pydantic's JSON mode would turn NaN metrics into null.
    data = record.model_dump(exclude={"run_dir"})
    write_atomic(run_dir / "run.json", dumps(data).encode())
    record.run_dir = ws.relative(run_dir)


def dumps(obj: Any) -> str:
    # allow_nan: a diverged metric is stored as the NaN/Infinity token, which Python reads back.
    return json.dumps(obj, indent=2, allow_nan=True, sort_keys=False)


def read_records(ws: Workspace, hypothesis: str | None = None) -> list[RunRecord]:
    """Every run record, oldest first; ``record.run_dir`` is relative to the workspace root.

    The layout has a fixed depth, so a few ``os.scandir`` levels find every ``run.json`` without
    walking artifacts. Unreadable or partial files are skipped: a crashed writer leaves only a temp file.
    """
    records: list[RunRecord] = []
    root = str(ws.reports_dir)
    if not os.path.isdir(root):
        return records
    # Plain strings and scandir: at 10,000 records, pathlib object creation dominated the cost.
    prefix = ws.relative(ws.reports_dir)
    for stamp in _dirs(root):
        if not STAMP.match(stamp.name):
            continue
        if hypothesis:
            hyp_dirs = (
                [os.path.join(stamp.path, hypothesis)] if os.path.isdir(os.path.join(stamp.path, hypothesis)) else []
            )
        else:
            hyp_dirs = [e.path for e in _dirs(stamp.path)]
        for hyp_dir in hyp_dirs:
            hyp_name = os.path.basename(hyp_dir)
            for point in _dirs(hyp_dir):
                for run in _dirs(point.path):
                    record = _read_one(os.path.join(run.path, "run.json"))
                    if record is not None:
                        record.run_dir = f"{prefix}/{stamp.name}/{hyp_name}/{point.name}/{run.name}"
                        records.append(record)
    records.sort(key=lambda r: r.started_at)
    return records


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return [e for e in entries if e.is_dir()]
    except OSError:
        return []


def _read_one(path: str) -> RunRecord | None:
    try:
        with open(path, "rb") as handle:
            # pydantic's own JSON parser: faster than json.loads, and it accepts NaN/Infinity too.
            return RunRecord.model_validate_json(handle.read())
    except (OSError, ValueError):
        return None


def record_key(record: RunRecord) -> tuple[str, str, str, int]:
    return record.hypothesis, record.arm, json.dumps(record.point, sort_keys=True, default=str), record.seed


def latest_records(records: Iterable[RunRecord]) -> list[RunRecord]:
    """The newest record per (hypothesis, arm, matrix point, seed), in started_at order.

    Older runs of the same key are superseded; run_id breaks a tie in started_at, so the
    answer does not depend on the order the records were read in.
    """
    newest: dict[tuple[str, str, str, int], RunRecord] = {}
    for record in records:
        key = record_key(record)
        kept = newest.get(key)
        if kept is None or (record.started_at, record.run_id) > (kept.started_at, kept.run_id):
            newest[key] = record
    return sorted(newest.values(), key=lambda r: (r.started_at, r.run_id))


def by_hypothesis(records: Iterable[RunRecord]) -> dict[str, list[RunRecord]]:
    grouped: dict[str, list[RunRecord]] = {}
    for record in records:
        grouped.setdefault(record.hypothesis, []).append(record)
    return grouped


def cache_index(records: list[RunRecord]) -> dict[str, RunRecord]:
    """Newest ``ok`` record per cache key, across hypotheses. Failed runs are never reused."""
    index: dict[str, RunRecord] = {}
    for record in records:  # oldest first, so the newest wins
        if record.status == "ok":
            index[record.cache_key] = record
    return index


# ---- provenance ------------------------------------------------------------------------------


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
        from investigate.sourceroots import provenance as roots

        out["source_roots"] = roots(ws)
    return out


@cache
def _git_state(root: str) -> dict[str, Any]:
    def git(*args: str) -> bytes | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None, "git_diff_sha256": None}
    diff = git("diff", "HEAD") or b""
    status = git("status", "--porcelain", "--untracked-files=no") or b""
    return {
        "git_commit": commit.decode().strip(),
        "git_dirty": bool(status.strip()),
        "git_diff_sha256": hashlib.sha256(diff).hexdigest(),
    }


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
