"""The evidence store: ``reports/<stamp>/<HYPOTHESIS>/<point>/<arm>-seed<k>/run.json``.

Records are JSON written atomically (``recordjson`` says how NaN, huge ints and deep nesting are
kept readable). Each invocation owns a fresh stamp directory, so concurrent runs never share files.
The files are the source of truth; ``index`` only caches what reading them found.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.atomic import write_atomic
from investigate.formats.recordjson import RecordError, decode, encode
from investigate.formats.schema import RunRecord
from investigate.store.index import Stat, stat_key, subdirs

# The layout's names, re-exported: most modules take them from here.
from investigate.store.layout import RUN_JSON as RUN_JSON
from investigate.store.layout import STAMP as STAMP
from investigate.store.layout import STARTED as STARTED
from investigate.store.layout import Problem as Problem
from investigate.store.layout import RunFile as RunFile

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace


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
    """Write ``run.json`` atomically; raises RecordError (nothing written) if it would not read back."""
    # Python mode, not "json": pydantic's JSON mode would turn NaN metrics into null.
    data = record.model_dump(exclude={"run_dir"})
    write_atomic(run_dir / "run.json", encode(data))
    record.run_dir = ws.relative(run_dir)


def dumps(obj: Any) -> str:
    # allow_nan: a diverged metric is stored as the NaN/Infinity token, which Python reads back.
    return json.dumps(obj, indent=2, allow_nan=True, sort_keys=False)


# ---- reading ---------------------------------------------------------------------------------


@dataclass
class Listing:
    files: list[RunFile] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # run dirs started (``_started.json``) without a run.json


@dataclass
class StoreScan:
    """Every readable record (oldest first) and every unreadable one, never silently dropped."""

    records: list[RunRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def list_store(ws: Workspace, hypothesis: str | None = None) -> Listing:
    """Find every ``run.json`` (and every lost run) without reading any.

    The layout has a fixed depth, so a few directory levels find them without walking artifacts.
    A crashed writer leaves only a temp file, which is not a ``run.json``. (``status`` and ``list``
    walk the store group by group from the index instead: ``storegroups``.)
    """
    listing = Listing()
    root = str(ws.reports_dir)
    if not os.path.isdir(root):
        return listing
    # Plain strings, not pathlib or os.path.join: at 100,000 records their cost dominated.
    prefix = ws.relative(ws.reports_dir)
    for stamp in subdirs(root):
        if not STAMP.match(stamp):
            continue
        stamp_path = f"{root}/{stamp}"
        for hyp_name in [hypothesis] if hypothesis else subdirs(stamp_path):
            hyp_path = f"{stamp_path}/{hyp_name}"
            for point in subdirs(hyp_path):
                point_path = f"{hyp_path}/{point}"
                for run in subdirs(point_path):
                    run_path = f"{point_path}/{run}"
                    try:
                        st = os.stat(f"{run_path}/{RUN_JSON}")
                    except FileNotFoundError:
                        if os.path.exists(f"{run_path}/{STARTED}"):
                            listing.lost.append(f"{prefix}/{stamp}/{hyp_name}/{point}/{run}")
                        continue
                    except OSError:
                        continue
                    run_dir = f"{prefix}/{stamp}/{hyp_name}/{point}/{run}"
                    listing.files.append(_new_file((run_dir, f"{run_path}/{RUN_JSON}", stat_key(st))))
    return listing


# RunFile(...) runs a Python-level __new__; tuple.__new__ builds the same object at C speed.
_new_file: Callable[[tuple[str, str, Stat]], RunFile] = partial(tuple.__new__, RunFile)


def read_file(file: RunFile) -> RunRecord:
    """The record in ``file``; raises RecordError with the reason it cannot be read."""
    try:
        raw = _read_bytes(file.path)
    except OSError as exc:
        raise RecordError(f"cannot read: {exc.strerror or exc}") from None
    record = decode(raw)
    record.run_dir = file.run_dir
    return record


def _read_bytes(path: str) -> bytes:
    # File descriptors, not open(): half the cost for 100,000 small files (no buffer, no fstat).
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def scan_store(ws: Workspace, hypothesis: str | None = None) -> StoreScan:
    """Every record, oldest first, and a Problem (path + reason) for every ``run.json`` that fails to read."""
    scan = StoreScan()
    for file in list_store(ws, hypothesis).files:
        try:
            scan.records.append(read_file(file))
        except RecordError as exc:
            scan.problems.append(Problem(f"{file.run_dir}/{RUN_JSON}", str(exc)))
    scan.records.sort(key=lambda r: r.started_at)
    return scan


def read_records(ws: Workspace, hypothesis: str | None = None) -> list[RunRecord]:
    """Every readable run record, oldest first; ``record.run_dir`` is relative to the workspace root.

    Unreadable files are left out here; ``scan_store`` returns them as problems, and ``status`` and
    ``validate`` report them.
    """
    return scan_store(ws, hypothesis).records


def lost_runs(ws: Workspace) -> list[str]:
    """Run dirs that were started (``_started.json``) but hold no ``run.json``: lost, or still running."""
    return list_store(ws).lost
