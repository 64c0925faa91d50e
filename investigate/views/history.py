"""Per-step curves an experiment writes as ``history.json`` in its run directory.

Two shapes are read, the ones training loops write: a list of rows (``[{"step": 0, "loss": 1.2},
...]``, ``step`` optional: the row's index stands in) or a mapping of metric to values
(``{"loss": [1.2, 0.9, ...]}``, Keras' ``History.history``), which may also sit under a
``metrics`` or ``history`` key beside other facts (``{"metrics": {"loss": [...]}, "has_nan":
false}``, as the reference subject writes it). Numbers only (booleans and text are
left out; NaN and inf kept as observations). Bounded: a file over ``MAX_BYTES`` or points beyond
``MAX_POINTS`` per metric are not read, so one huge log cannot stall a summary or an export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HISTORY = "history.json"
MAX_BYTES = 20 << 20
MAX_POINTS = 100_000

Curves = dict[str, list[tuple[int, float]]]  # metric -> (step, value), in step order


def read_history(run_dir: Path) -> Curves:
    """The curves of ``run_dir/history.json``; ``{}`` when absent, too large or not one of the shapes."""
    path = run_dir / HISTORY
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return {}
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if isinstance(data, dict):
        nested = [data[k] for k in ("metrics", "history") if isinstance(data.get(k), dict)]
        found: Curves = {}
        for mapping in (*nested, data):  # the nested curves first: they are the training's
            for key, values in mapping.items():
                series = _series(enumerate(values)) if isinstance(values, list) else []
                if series and str(key) not in found:
                    found[str(key)] = series
        return found
    if isinstance(data, list):
        curves: Curves = {}
        for index, row in enumerate(data[: MAX_POINTS * 10]):
            if not isinstance(row, dict):
                continue
            step = row.get("step", row.get("epoch", index))
            step = step if isinstance(step, int) and not isinstance(step, bool) else index
            for key, value in row.items():
                if key in ("step", "epoch") or not _number(value):
                    continue
                series = curves.setdefault(str(key), [])
                if len(series) < MAX_POINTS:
                    series.append((step, float(value)))
        return curves
    return {}


def _series(items: Any) -> list[tuple[int, float]]:
    return [(i, float(v)) for i, v in items if _number(v)][:MAX_POINTS]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
