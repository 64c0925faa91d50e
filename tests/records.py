"""Write run records straight into a workspace's store, so verdict tests need no experiment."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

_ids = count(1)


def write_run(
    root: Path,
    hyp: str,
    arm: str,
    seed: int,
    metrics: dict[str, Any],
    point: dict[str, Any] | None = None,
    status: str = "ok",
    stamp: str = "2026-02-01T120000Z",
) -> None:
    """One ``run.json`` under ``reports/<stamp>/<hyp>/<point>/<arm>-seed<k>/``."""
    point = point or {}
    slug = ",".join(f"{k}={v}" for k, v in point.items()) or "all"
    run_dir = root / "reports" / stamp / hyp / slug / f"{arm}-seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    n = next(_ids)
    record = {
        "run_id": f"run-{n:04d}",
        "hypothesis": hyp,
        "entry": "m:f",
        "arm": arm,
        "point": point,
        "seed": seed,
        "params": dict(point),
        "status": status,
        "metrics": metrics if status == "ok" else {},
        "error": None if status == "ok" else "boom",
        "started_at": f"2026-02-01T12:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "duration_s": 1.0,
        "cache_key": f"k{n}",
    }
    # allow_nan: records store NaN as the JSON token Python reads back (as the store does)
    (run_dir / "run.json").write_text(json.dumps(record, indent=2, allow_nan=True))


def write_arms(root: Path, hyp: str, metric: str, values: dict[str, list[Any]], **extra: Any) -> None:
    """Seeds 0..n-1 of each arm with ``metric`` set to the listed values."""
    for arm, vals in values.items():
        for seed, value in enumerate(vals):
            write_run(root, hyp, arm, seed, {metric: value, **extra})
