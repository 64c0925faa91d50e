"""Execute planned runs: one subprocess each, with timeouts, the cache, concurrency and Ctrl-C.

Threads only babysit subprocesses, so ``--jobs N`` costs no extra Python interpreter per job.
The main thread owns all bookkeeping (cache followers, progress), which keeps it lock-free.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import investigate
from investigate._child import RESULT, check_metrics
from investigate.errors import InvestigateError
from investigate.plan import PlannedRun, format_command
from investigate.progress import Progress
from investigate.schema import RunRecord, Status
from investigate.store import cache_index, new_stamp_dir, provenance, read_records, utc_now, write_record
from investigate.workspace import Workspace

INTERNAL_FILES = {"run.json", "log.txt", RESULT, "_spec.json"}
POLL_S = 0.05


@dataclass
class RunSummary:
    records: list[RunRecord] = field(default_factory=list)
    interrupted: bool = False
    stamp_dir: Path | None = None

    @property
    def failed(self) -> list[RunRecord]:
        return [r for r in self.records if r.status in ("error", "timeout")]


class Runner:
    def __init__(self, ws: Workspace, argv: list[str], jobs: int = 1, force: bool = False) -> None:
        if jobs < 1:
            raise InvestigateError("--jobs must be at least 1")
        self.ws, self.jobs, self.force = ws, jobs, force
        self.provenance = provenance(ws, argv)
        self.stop = threading.Event()
        self.stamp_dir: Path | None = None

    def _stamp(self) -> Path:
        assert self.stamp_dir is not None, "run_all creates the stamp directory first"
        return self.stamp_dir

    def run_all(self, runs: list[PlannedRun]) -> RunSummary:
        # SIGTERM (kill, a batch scheduler, a background job that ignores SIGINT) stops the
        # invocation the way Ctrl-C does: the runs in flight are killed and recorded.
        restore = None
        if threading.current_thread() is threading.main_thread():
            restore = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
        try:
            return self._run_all(runs)
        finally:
            if restore is not None:
                signal.signal(signal.SIGTERM, restore)

    def _run_all(self, runs: list[PlannedRun]) -> RunSummary:
        summary = RunSummary(stamp_dir=new_stamp_dir(self.ws))
        self.stamp_dir = summary.stamp_dir
        index = {} if self.force else cache_index(read_records(self.ws))
        progress = self.progress = Progress(len(runs))
        # Runs sharing a cache key within this invocation execute once; the rest follow the leader.
        leaders: dict[str, PlannedRun] = {}
        followers: dict[str, list[PlannedRun]] = {}
        todo: queue.Queue[PlannedRun | None] = queue.Queue()
        for run in runs:
            if run.cache_key in index:
                summary.records.append(self._reuse(run, index[run.cache_key]))
                progress.done(summary.records[-1], cached=True)
            elif run.cache_key in leaders:
                followers.setdefault(run.cache_key, []).append(run)
            else:
                leaders[run.cache_key] = run
                todo.put(run)
        results: queue.Queue[RunRecord] = queue.Queue()
        pending = todo.qsize()
        workers = [
            threading.Thread(target=self._work, args=(todo, results), daemon=True)
            for _ in range(min(self.jobs, max(pending, 1)))
        ]
        for worker in workers:
            worker.start()
        try:
            while pending:
                try:
                    record = results.get(timeout=0.2)
                except queue.Empty:
                    continue
                pending -= 1
                summary.records.append(record)
                progress.done(record, cached=False)
                waiting = followers.pop(record.cache_key, [])
                if record.status == "ok":
                    for run in waiting:
                        summary.records.append(self._reuse(run, record))
                        progress.done(summary.records[-1], cached=True)
                else:
                    for run in waiting:  # a failure is never reused: each follower runs itself
                        todo.put(run)
                        pending += 1
        except KeyboardInterrupt:
            summary.interrupted = True
            self.stop.set()
            _drain(todo)
            for _ in workers:
                todo.put(None)  # wakes idle workers; busy ones kill their run and record it
            for worker in workers:
                worker.join()
            while not results.empty():
                record = results.get()
                summary.records.append(record)
                progress.done(record, cached=False)
        finally:
            for _ in workers:
                todo.put(None)
            progress.close()
        return summary

    def _work(self, todo: queue.Queue[PlannedRun | None], results: queue.Queue[RunRecord]) -> None:
        while not self.stop.is_set():
            run = todo.get()
            if run is None or self.stop.is_set():
                return
            try:
                self.progress.started(run.label)
                results.put(self.execute(run))
            except Exception as exc:  # noqa: BLE001 - a broken run must not hang the main loop
                results.put(self._record(run, self._stamp() / run.rel_dir(), utc_now(), 0.0, "error", error=repr(exc)))

    def execute(self, run: PlannedRun) -> RunRecord:
        run_dir = self._stamp() / run.rel_dir()
        run_dir.mkdir(parents=True, exist_ok=True)
        started_at, t0 = utc_now(), time.monotonic()
        try:
            argv = self._argv(run, run_dir)
            with open(run_dir / "log.txt", "wb") as log:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.ws.root,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=_child_env(),
                    start_new_session=True,
                )
                status = self._wait(proc, run.timeout_s, t0)
        except OSError as exc:  # e.g. the command's program does not exist
            return self._record(
                run, run_dir, started_at, time.monotonic() - t0, "error", error=f"could not start: {exc}"
            )
        duration = time.monotonic() - t0
        if status != "ok":
            reason = f"timed out after {run.timeout_s:g}s" if status == "timeout" else "interrupted by Ctrl-C"
            return self._record(run, run_dir, started_at, duration, status, error=reason)
        metrics, error = self._result(run, run_dir, proc.returncode)
        return self._record(
            run, run_dir, started_at, duration, "error" if error else "ok", metrics=metrics, error=error
        )

    def _argv(self, run: PlannedRun, run_dir: Path) -> list[str]:
        if run.kind == "command":
            return format_command(run, run_dir)
        spec = {
            "entry": run.entry,
            "params": run.params,
            "seed": run.seed,
            "run_dir": str(run_dir),
            "root": str(self.ws.root),
        }
        (run_dir / "_spec.json").write_text(json.dumps(spec, allow_nan=True))
        return [sys.executable, "-m", "investigate._child", str(run_dir / "_spec.json")]

    def _wait(self, proc: subprocess.Popen[bytes], timeout_s: float, t0: float) -> Status:
        while True:
            try:
                proc.wait(timeout=POLL_S)
                return "ok"
            except subprocess.TimeoutExpired:
                pass
            if self.stop.is_set() or time.monotonic() - t0 > timeout_s:
                _kill_group(proc)
                return "interrupted" if self.stop.is_set() else "timeout"

    def _result(self, run: PlannedRun, run_dir: Path, code: int) -> tuple[dict[str, Any], str | None]:
        if run.kind == "command":
            if code != 0:
                return {}, f"command exited with code {code}\n{_tail(run_dir / 'log.txt')}"
            path = run_dir / "metrics.json"
            if not path.is_file():
                return {}, f"command exited 0 but wrote no metrics.json into {run_dir}"
            try:
                return check_metrics(json.loads(path.read_text())), None
            except (ValueError, TypeError) as exc:
                return {}, f"metrics.json: {exc}"
        try:
            result = json.loads((run_dir / RESULT).read_text())
        except (OSError, ValueError):
            return {}, f"experiment process exited with code {code} without a result\n{_tail(run_dir / 'log.txt')}"
        return result.get("metrics") or {}, result.get("error")

    def _record(
        self,
        run: PlannedRun,
        run_dir: Path,
        started_at: str,
        duration: float,
        status: Status,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> RunRecord:
        for name in ("_spec.json", RESULT):
            (run_dir / name).unlink(missing_ok=True)
        artifacts = sorted(
            p.relative_to(run_dir).as_posix()
            for p in run_dir.rglob("*")
            if p.is_file() and p.name not in INTERNAL_FILES
        )
        record = RunRecord(
            run_id=self.ws.relative(run_dir).removeprefix(self.ws.relative(self.ws.reports_dir) + "/"),
            hypothesis=run.hypothesis, entry=run.entry, arm=run.arm, point=run.point, seed=run.seed,
            params=run.params, status=status, metrics=metrics or {}, artifacts=artifacts, error=error,
            started_at=started_at, duration_s=round(duration, 4), cache_key=run.cache_key,
            key_parts=run.key_parts, provenance=self.provenance,
        )  # fmt: skip
        write_record(self.ws, run_dir, record)
        return record

    def _reuse(self, run: PlannedRun, original: RunRecord) -> RunRecord:
        """A cache hit: a record of its own in this invocation's directory, pointing at the original."""
        run_dir = self._stamp() / run.rel_dir()
        run_dir.mkdir(parents=True, exist_ok=True)
        record = RunRecord(
            run_id=self.ws.relative(run_dir).removeprefix(self.ws.relative(self.ws.reports_dir) + "/"),
            hypothesis=run.hypothesis, entry=run.entry, arm=run.arm, point=run.point, seed=run.seed,
            params=run.params, status="ok", metrics=original.metrics, artifacts=[], started_at=utc_now(),
            duration_s=0.0, cache_key=run.cache_key,
            key_parts=run.key_parts, reused_from=original.reused_from or original.run_dir,
            provenance=self.provenance, original_duration_s=original.duration_s,
        )  # fmt: skip
        write_record(self.ws, run_dir, record)
        return record


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # The run is a session leader: killing its group also ends whatever it spawned.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _drain(todo: queue.Queue[Any]) -> None:
    while True:
        try:
            todo.get_nowait()
        except queue.Empty:
            return


def _child_env() -> dict[str, str]:
    # The child must import this very ``investigate``, installed or not.
    env = dict(os.environ)
    here = str(Path(investigate.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
