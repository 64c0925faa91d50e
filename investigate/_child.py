"""Run one Python experiment inside its own process: ``python -m investigate._child SPEC.json``.

The parent reads ``_result.json`` from the run dir: ``{"metrics": ..., "artifacts": ...}`` on success,
``{"error": traceback}`` when the experiment raised. A process that dies without writing it
(segfault, kill) is an error too; the parent decides that.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from investigate.atomic import write_atomic
from investigate.context import RunContext, _jsonable

RESULT = "_result.json"


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    run_dir = Path(spec["run_dir"])
    # Workspace modules win over installed ones, as the cache fingerprint assumes.
    sys.path.insert(0, spec["root"])
    ctx = RunContext(run_dir=run_dir, seed=int(spec["seed"]))
    try:
        module_name, func_name = spec["entry"].split(":", 1)
        fn = getattr(importlib.import_module(module_name), func_name)
        metrics = fn(dict(spec["params"]), ctx)
        result = {"metrics": check_metrics(metrics), "artifacts": ctx.artifacts}
        code = 0
    except BaseException:  # noqa: BLE001 - everything the experiment raises is the run's error
        result = {"error": traceback.format_exc(), "artifacts": ctx.artifacts}
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    write_atomic(run_dir / RESULT, json.dumps(result, allow_nan=True, default=_jsonable).encode())
    return code


def check_metrics(metrics: Any) -> dict[str, Any]:
    """Metrics are a flat mapping of JSON scalars; numpy scalars become Python ones.

    NaN and inf are kept: they are observations, written as JSON NaN/Infinity tokens.
    """
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(f"an experiment must return a dict of metrics, got {type(metrics).__name__}")
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()
        if not isinstance(value, (bool, int, float, str)) and value is not None:
            raise TypeError(
                f"metric {key!r} is {type(value).__name__}; metrics must be numbers, bools, strings or None"
            )
        out[str(key)] = value
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
