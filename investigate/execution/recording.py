"""Turn a finished run into its ``run.json``: status, metrics, bounded error text, artifacts.

Writing is where the disk can fill up or a path be refused. Such an error cannot be recorded in
the store it concerns, so it becomes one ``StoreError`` naming the path and the OS error; the
runner stops on it. ``write_record`` writes atomically, so no half record is ever left.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.atomic import write_atomic
from investigate.core.errors import InvestigateError
from investigate.execution.child import RESULT, load_metrics_json
from investigate.execution.crashline import crash_line
from investigate.execution.executors.base import Outcome
from investigate.execution.logtail import clip, strip_ansi, strip_ansi_text, tail
from investigate.formats.schema import RunRecord, Status
from investigate.store import records as store
from investigate.store.files import UnreadableFile, read_regular
from investigate.store.lost import MARKER, OUTCOME, WORKER

if TYPE_CHECKING:
    from investigate.plan.expand import PlannedRun
    from investigate.workspace.load import Workspace

LOG = "log.txt"
INTERNAL_FILES = {"run.json", LOG, RESULT, MARKER, WORKER, OUTCOME}


class StoreError(InvestigateError):
    """The evidence store refused a write (disk full, name too long, no permission)."""


@contextmanager
def writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        code = f"[Errno {exc.errno}] " if exc.errno else ""
        raise StoreError(f"cannot write {path}: {code}{reason}") from exc


def finished_status(run: PlannedRun, run_dir: Path, outcome: Outcome) -> tuple[Status, dict[str, Any], str | None]:
    """(status, metrics, error) of a run that was not stopped by this invocation."""
    strip_ansi(run_dir / LOG)
    if outcome.kind == "timeout":
        return "timeout", {}, f"timed out after {run.timeout_s:g}s"
    try:
        return outcome_status(run, run_dir, outcome)
    except Exception as exc:  # noqa: BLE001 - a broken result is this run's error, not the end
        return "error", {}, f"could not read the run's result: {exc!r}"


def outcome_status(run: PlannedRun, run_dir: Path, outcome: Outcome) -> tuple[Status, dict[str, Any], str | None]:
    """(status, metrics, error) of a run whose process ended by itself or could not start."""
    if outcome.kind == "failed":
        return "error", {}, clip(outcome.detail or "could not start")
    code = outcome.returncode if outcome.returncode is not None else -1
    try:
        result = json.loads((run_dir / RESULT).read_text())
    except (OSError, ValueError):
        return "error", {}, f"run process exited with code {code} without a result\n{tail(run_dir / LOG)}"
    if "error" in result:
        return "error", {}, clip(str(result["error"]))
    command_code = int(result.get("returncode", code)) if run.kind == "command" else 0
    expected = command_code if command_code >= 0 else 128 - command_code  # what child.main exits with
    if outcome.returncode is not None and code != expected:
        # The result was written, then the process exited otherwise (an atexit hook calling
        # os._exit(7), a thread failing on the way out): the process's own status decides.
        kept = dict(result.get("metrics") or {})
        what = "command" if run.kind == "command" else "experiment"
        return "error", kept, f"run process exited with code {code} after its {what} finished\n{tail(run_dir / LOG)}"
    if run.kind == "command":
        return _command_result(run_dir, command_code)
    return "ok", dict(result.get("metrics") or {}), None


def _command_result(run_dir: Path, code: int) -> tuple[Status, dict[str, Any], str | None]:
    path = run_dir / "metrics.json"
    if code != 0:
        # What it measured before failing is kept as observations; the status keeps the run out of
        # every verdict (only ok runs satisfy a condition).
        return "error", _metrics_if_any(path), f"command exited with code {code}\n{tail(run_dir / LOG)}"
    if not path.is_file():
        return "error", {}, f"command exited 0 but wrote no metrics.json into {run_dir}"
    try:
        return "ok", load_metrics_json(path.read_text()), None
    except (OSError, ValueError, TypeError) as exc:
        return "error", {}, clip(f"metrics.json: {exc}")


def _metrics_if_any(path: Path) -> dict[str, Any]:
    try:
        return load_metrics_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return {}


def build_record(
    ws: Workspace,
    run: PlannedRun,
    run_dir: Path,
    *,
    status: Status,
    started_at: str,
    duration_s: float,
    provenance: dict[str, Any],
    metrics: dict[str, Any] | None = None,
    error: str | None = None,
    reused: RunRecord | None = None,
    usage: Outcome | None = None,
    diff: Path | None = None,
) -> RunRecord:
    """``usage``: the outcome whose peak memory and CPU time the record keeps (not for a cache hit);
    ``diff``: the dirty checkout's ``git diff`` stored for this invocation (``store_diff``)."""
    error = None if error is None else strip_ansi_text(error)
    return RunRecord(
        run_id=run_id(ws, run_dir), hypothesis=run.hypothesis, entry=run.entry, arm=run.arm, point=run.point,
        seed=run.seed, params=run.params, status=status, metrics=metrics or {},
        artifacts=[] if reused else artifacts(run_dir), error=None if error is None else clip(error),
        error_line=crash_line(error, ws.root),
        started_at=started_at, duration_s=round(duration_s, 4), cache_key=run.cache_key, key_parts=run.key_parts,
        reused_from=(reused.reused_from or reused.run_dir) if reused else None, provenance=provenance,
        original_duration_s=reused.duration_s if reused else None, overrides=run.overrides or None,
        sequential=ws.memo.get("run_sequential_plan"),  # set by run --until-decided (execution.untildecided)
        **rules_at_run_time(ws, run.hypothesis),
        peak_rss_mb=_peak(run_dir, usage), cpu_s=usage.cpu_s if usage else None,
        diff_file=Path(os.path.relpath(diff, run_dir)).as_posix() if diff is not None else None,
    )  # fmt: skip


def rules_at_run_time(ws: Workspace, hypothesis: str) -> dict[str, Any]:
    """The rules' hash and the file's git blob id now, once per hypothesis and invocation (post-hoc checks)."""
    memo = ws.memo.setdefault("rules_at_run_time", {})
    if hypothesis not in memo:
        from investigate.plan.git import git_output
        from investigate.rules.posthoc import rules_hash

        found: dict[str, Any] = {}
        if hypothesis in ws.hypotheses:
            found["rules_hash"] = rules_hash(ws.hypotheses[hypothesis])
            path = ws.source_path(hypothesis)
            # only a tracked file: its old text can then be read back from the repository for a diff
            if git_output(path.parent, "ls-files", "--error-unmatch", path.name) is not None:
                blob = git_output(path.parent, "hash-object", path.name)
                found["rules_blob"] = blob.decode().strip() if blob else None
        memo[hypothesis] = found
    return dict(memo[hypothesis])


def _peak(run_dir: Path, usage: Outcome | None) -> float | None:
    """The guard's own measure (``usage.own_peak_mb``) when it wrote one, else the reaper's."""
    if usage is None:
        return None
    try:
        found = json.loads((run_dir / RESULT).read_text()).get("peak_rss_mb")
    except (OSError, ValueError, AttributeError):
        found = None
    return float(found) if isinstance(found, (int, float)) and not isinstance(found, bool) else usage.peak_rss_mb


DIFF = "git.diff"
MAX_DIFF_BYTES = 1 << 20  # a bigger diff is not kept (its sha256 still is): a generated file, a dataset


def store_diff(stamp: Path, diff: bytes | None) -> Path | None:
    """Write a dirty checkout's diff once per invocation, into its stamp directory, beside its runs.

    With the commit it rebuilds the code the runs ran (``git apply``). None when clean or too large.
    """
    if diff is None or len(diff) > MAX_DIFF_BYTES:
        return None
    path = stamp / DIFF
    with writing(path):
        write_atomic(path, diff)
    return path


def save(ws: Workspace, run_dir: Path, record: RunRecord) -> None:
    """Write ``run.json``, then drop the start marker and the child's result it supersedes."""
    with writing(run_dir / "run.json"):
        store.write_record(ws, run_dir, record)
    for name in (MARKER, RESULT, WORKER, OUTCOME):
        try:
            (run_dir / name).unlink(missing_ok=True)
        except OSError:
            pass  # the record is written; a stale marker next to it means nothing


def read_ok(ws: Workspace, rel_run_dir: str, cache_key: str) -> RunRecord | None:
    """The ok record of ``cache_key`` in ``rel_run_dir`` (another invocation's), if it is one."""
    try:
        record = RunRecord.model_validate_json(read_regular(str(ws.root / rel_run_dir / "run.json"))[0])
    except (UnreadableFile, ValueError):
        return None
    record.run_dir = rel_run_dir
    return record if record.status == "ok" and record.cache_key == cache_key else None


def run_id(ws: Workspace, run_dir: Path) -> str:
    return ws.relative(run_dir).removeprefix(ws.relative(ws.reports_dir) + "/")


def artifacts(run_dir: Path) -> list[str]:
    """The files under ``run_dir``; no symlink is followed (a run dir that is one lists nothing)."""
    found: list[str] = []
    if run_dir.is_symlink():
        return found
    for dirpath, _dirs, files in os.walk(run_dir, followlinks=False):
        found += [os.path.relpath(os.path.join(dirpath, f), run_dir) for f in files]
    return sorted(
        Path(p).as_posix()
        for p in found
        if p not in INTERNAL_FILES and not (Path(p).name.startswith(".") and Path(p).name.endswith(".tmp"))
    )
