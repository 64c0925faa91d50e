"""One run's process: ``python -c BOOT RUN_DIR/_started.json`` (``executors.base.BOOT``).

The marker's ``spec`` says what to run. A Python experiment runs in this process; a shell command
runs as a child of it, so both kinds die with the ``investigate`` process that started them
(see ``procguard``). The parent reads ``_result.json`` from the run dir: ``{"metrics": ...}`` on
success, ``{"error": traceback}`` when the experiment raised, ``{"returncode": n}`` for a command.
A process that dies without writing it (segfault, kill) is an error too; the parent decides that.

This module and the ones it imports use the standard library only: with ``experiment.python`` it
runs under the user's interpreter, where nothing else may be installed.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from investigate.core.atomic import write_atomic
from investigate.execution.context import RunContext, _jsonable
from investigate.execution.logtail import clip
from investigate.execution.procguard import become_subreaper, die_with_parent, kill_descendants
from investigate.execution.rundirguard import HeldDir
from investigate.execution.usage import own_peak_mb

RESULT = "_result.json"


def main(marker_path: str) -> int:
    spec = json.loads(Path(marker_path).read_text())["spec"]
    die_with_parent()
    become_subreaper()
    run_dir = Path(spec["run_dir"])
    held = HeldDir.open(run_dir)
    code, result = run_command(spec) if spec["kind"] == "command" else run_experiment(spec)
    left = kill_descendants()  # what the run started and left behind (a daemon too) ends with it
    if left:
        print(f"investigate: killed {left} process(es) the run left running", file=sys.stderr)
    result["peak_rss_mb"] = own_peak_mb()  # the run's own, without the pre-exec size wait4 would count
    sys.stdout.flush()
    replaced = held.replaced()
    if replaced is not None:  # never write through it; the parent records the run as an error
        print(f"investigate: {replaced}; no result written", file=sys.stderr)
        return 1
    write_atomic(run_dir / RESULT, json.dumps(result, allow_nan=True, default=_jsonable).encode())
    return code


def run_experiment(spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    # Workspace modules win over installed ones, as the cache fingerprint assumes.
    sys.path.insert(0, spec["root"])
    ctx = RunContext(run_dir=Path(spec["run_dir"]), seed=int(spec["seed"]))
    try:
        module_name, func_name = spec["entry"].split(":", 1)
        fn = getattr(importlib.import_module(module_name), func_name)
        metrics = fn(dict(spec["params"]), ctx)
        return 0, {"metrics": check_metrics(metrics), "artifacts": ctx.artifacts}
    except BaseException:  # noqa: BLE001 - everything the experiment raises is the run's error
        traceback.print_exc()
        return 1, {"error": clip(traceback.format_exc()), "artifacts": ctx.artifacts}


def run_command(spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run the formatted command in this process group, its output going to the same log."""
    import subprocess  # only here: Python experiments should not pay for its import

    # This process's environment is the user's (BOOT added nothing to PYTHONPATH): the command inherits it.
    try:
        proc = subprocess.Popen(spec["argv"], cwd=spec.get("cwd") or spec["root"], stdin=subprocess.DEVNULL)
    except OSError as exc:  # e.g. the command's program does not exist
        return 127, {"error": f"could not start {spec['argv'][0]!r}: {exc}"}
    code = proc.wait()
    return (code if code >= 0 else 128 - code), {"returncode": code}


def check_metrics(metrics: Any) -> dict[str, Any]:
    """Metrics are a flat mapping of JSON scalars; numpy scalars become Python ones.

    NaN and inf are kept: they are observations, written as JSON NaN/Infinity tokens. A key is
    named as JSON names it (``1`` -> ``"1"``, ``True`` -> ``"true"``); two keys that become one
    name (``1`` and ``"1"``) are an error naming both, never one metric silently overwriting the other.
    """
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(f"an experiment must return a dict of metrics, got {type(metrics).__name__}")
    out: dict[str, Any] = {}
    original: dict[str, Any] = {}
    for key, value in metrics.items():
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()
        if not isinstance(value, (bool, int, float, str)) and value is not None:
            raise TypeError(
                f"metric {key!r} is {type(value).__name__}; metrics must be numbers, bools, strings or None"
            )
        name = _key_name(key)
        if name in original:
            raise TypeError(f"metric keys {original[name]!r} and {key!r} are both {name!r} in JSON; name them apart")
        original[name] = key
        out[name] = value
    return out


def _key_name(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key) if not isinstance(key, float) else repr(key)  # as json.dumps names a key
    raise TypeError(f"metric key {key!r} is {type(key).__name__}; metric keys must be strings")


def load_metrics_json(text: str) -> dict[str, Any]:
    """A command's metrics.json; a key written twice is an error (``json.loads`` keeps the last)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise ValueError(f"key {key!r} appears twice")
            seen[key] = value
        return seen

    return check_metrics(json.loads(text, object_pairs_hook=pairs))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
