"""Execute planned runs: the cache, per-key locks, the executor loop, Ctrl-C / SIGTERM, records.

One thread does everything. The loop starts runs while the executor has free slots, polls it for
outcomes, and records each; nothing in it can wait on a helper that died. Every way out of the
loop (done, a signal, a full disk, a bug) goes through one ``finally`` that kills the runs still
in flight and records them when the store still takes writes. A run that could not be recorded
keeps its ``_started.json`` marker and shows up in ``lost.find_lost``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.core.locks import FileLock, key_lock
from investigate.execution.executors.base import Executor, Outcome
from investigate.execution.executors.local import LocalExecutor
from investigate.execution.launch import child_job, child_spec
from investigate.execution.logtail import strip_ansi
from investigate.execution.progress import Progress
from investigate.execution.recording import (
    DIFF,
    LOG,
    StoreError,
    build_record,
    finished_status,
    read_ok,
    rules_at_run_time,
    save,
    store_diff,
    writing,
)
from investigate.execution.rundirguard import HeldDir
from investigate.execution.stopflag import StopFlag, catching_stop_signals
from investigate.formats.schema import RunRecord, Status
from investigate.plan.expand import PlannedRun
from investigate.plan.provenance import git_diff, provenance, utc_now
from investigate.store.lost import STAMP_LOCK, write_marker
from investigate.store.records import new_stamp_dir, note_started, ok_records, read_records
from investigate.store.rundirs import identity, unique_dirs

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

POLL_S = 0.02
LOCK_RETRY_S = 0.25  # how often a run whose key another invocation is executing asks again


@dataclass
class RunSummary:
    records: list[RunRecord] = field(default_factory=list)
    interrupted: bool = False
    stamp_dir: Path | None = None
    cached: set[str] = field(default_factory=set)  # run ids of records served from the cache

    @property
    def executed(self) -> list[RunRecord]:
        return [r for r in self.records if r.run_id not in self.cached]

    @property
    def failed(self) -> list[RunRecord]:
        return [r for r in self.records if r.status in ("error", "timeout")]


@dataclass
class _Active:
    run: PlannedRun
    run_dir: Path
    started_at: str
    lock: FileLock | None
    held: HeldDir | None = None  # the run directory, open while the run executes (rundirguard)


class Runner:
    def __init__(
        self, ws: Workspace, argv: list[str], jobs: int = 1, force: bool = False, executor: Executor | None = None
    ) -> None:
        if jobs < 1:
            raise InvestigateError("--jobs must be at least 1")
        self.ws, self.jobs, self.force = ws, jobs, force
        self.executor: Executor = executor or LocalExecutor(jobs)
        self.provenance = provenance(ws, argv)
        self.stop = StopFlag()

    def run_all(self, runs: list[PlannedRun], stamp_dir: Path | None = None) -> RunSummary:
        """``stamp_dir``: record into this existing directory of an earlier ``run_all`` of the same
        command (isolate's rounds) rather than a new one; its runs' directories must not repeat."""
        # SIGTERM (kill, a batch scheduler) stops the invocation the way Ctrl-C does.
        with catching_stop_signals(self.stop):
            return self._run_all(runs, stamp_dir)

    def _run_all(self, runs: list[PlannedRun], stamp_dir: Path | None) -> RunSummary:
        runs = list({identity(run): run for run in reversed(runs)}.values())[::-1]  # first of duplicates
        self.runs, self.dirs = runs, unique_dirs(runs)
        with writing(self.ws.reports_dir):
            stamp = stamp_dir if stamp_dir is not None and stamp_dir.is_dir() else new_stamp_dir(self.ws)
        self.summary = RunSummary(stamp_dir=stamp)
        self._diff: Path | bool | None = False  # False: not written yet (only once a record is, see _diff_file)
        stamp_lock = FileLock(stamp / STAMP_LOCK)
        with writing(stamp_lock.path):
            stamp_lock.try_acquire()
        self.progress = Progress(len(runs), jobs=self.jobs)
        self.active: dict[int, _Active] = {}
        self.queue: dict[int, None] = {}  # leaders not started yet, in order
        self.followers: dict[str, list[int]] = {}
        self.retry_at: dict[int, float] = {}
        self.unrecorded: set[int] = set()  # started (a marker written), no run.json yet
        try:
            self._plan_cache()
            self.executor.expect(len(self.queue))  # cache hits and followers need no worker
            while (self.queue or self.active) and not self.stop.is_set:
                started = self._start_some()
                finished = self.executor.poll()
                for outcome in finished:
                    self._finish(outcome)
                self.progress.tick()
                if not started and not finished:
                    time.sleep(POLL_S)
            if self.stop.is_set:
                self.summary.interrupted = True
                self._stop_active(self.stop.reason, strict=True)
        finally:
            self._stop_active("stopped by an error in investigate", strict=False)
            self.executor.close()
            self.progress.close()
            stamp_lock.release()
            if not self.unrecorded:  # else find_lost must look here: keep the (now free) lock file
                stamp_lock.path.unlink(missing_ok=True)
                _remove_if_empty(stamp)
        if not stamp.exists():
            self.summary.stamp_dir = None
        return self.summary

    # ---- planning -----------------------------------------------------------------------------

    def _plan_cache(self) -> None:
        # Only these hypotheses' records, and the ok records of these keys (any hypothesis'):
        # what a plan costs does not grow with the rest of the store. Their executed ok runs of the
        # same entry points also time the ETA before this invocation's first run ends.
        hypotheses = sorted({run.hypothesis for run in self.runs})
        stored = read_records(self.ws, hypotheses)
        entries = {run.entry for run in self.runs}
        self.progress.expect(
            [r.duration_s for r in stored if r.entry in entries and r.status == "ok" and r.reused_from is None]
        )
        records = [] if self.force else stored
        index = {} if self.force else ok_records(self.ws, {run.cache_key for run in self.runs})
        # A hit whose own ok record (same hypothesis, arm, point, seed and key) already exists
        # writes nothing: re-running a recorded investigation must not fill reports/ with pointers.
        recorded = {(identity(r), r.cache_key): r for r in records if r.status == "ok"}
        leaders: set[str] = set()
        for i, run in enumerate(self.runs):
            if self.stop.is_set:
                return
            own = recorded.get((identity(run), run.cache_key))
            if own is not None and not self._same_rules(own):
                own = None  # recorded under other rules or another sequential plan: record it again, as a hit
            if own is not None:
                self.summary.records.append(own)
                self.summary.cached.add(own.run_id)
                self.progress.done(own, cached=True)
            elif run.cache_key in index:
                self._reuse(i, index[run.cache_key])
            elif run.cache_key in leaders:  # identical runs in one invocation execute once
                self.followers.setdefault(run.cache_key, []).append(i)
            else:
                leaders.add(run.cache_key)
                self.queue[i] = None

    def _same_rules(self, record: RunRecord) -> bool:
        """Whether ``record`` was written under the hypothesis' current rules and this invocation's plan."""
        now = rules_at_run_time(self.ws, record.hypothesis).get("rules_hash")
        # a record from before rules were hashed says nothing about them: it is not written again
        same = record.rules_hash is None or record.rules_hash == now
        return same and record.sequential == self.ws.memo.get("run_sequential_plan")

    # ---- starting -----------------------------------------------------------------------------

    def _start_some(self) -> int:
        started = 0
        while self.executor.free_slots() > 0:
            picked = self._next_startable()
            if picked is None:
                return started
            try:
                self._start(*picked)
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001 - a run that cannot start is recorded as an error
                self.executor.cancel(picked[0])
                self._finish(Outcome(picked[0], "failed", 0.0, detail=f"could not start: {exc!r}"))
            started += 1
        return started

    def _next_startable(self) -> tuple[int, FileLock | None] | None:
        """The first queued run whose cache key no other invocation is executing right now.

        A run whose key another invocation has just executed is reused instead (and skipped here).
        """
        now = time.monotonic()
        for i in list(self.queue):
            if self.retry_at.get(i, 0.0) > now:
                continue
            run = self.runs[i]
            lock = key_lock(self.ws.reports_dir, run.cache_key)
            with writing(lock.path):
                got = lock.try_acquire()
            if self.force:  # --force executes anyway; it holds the lock when it can, so others wait
                del self.queue[i]
                return i, lock if got else None
            if not got:
                if i not in self.retry_at:
                    self.progress.note(f"{run.label}: waiting, a run with its cache key is in progress")
                self.retry_at[i] = now + LOCK_RETRY_S
                continue
            del self.queue[i]
            done = read_ok(self.ws, lock.read(), run.cache_key)
            if done is None:
                return i, lock
            lock.release()
            self._reuse(i, done)
        return None

    def _start(self, i: int, lock: FileLock | None) -> None:
        run, run_dir = self.runs[i], self._stamp() / self.dirs[i]
        self.active[i] = _Active(run, run_dir, utc_now(), lock)
        with writing(run_dir):
            run_dir.mkdir(parents=True)
            self.active[i].held = HeldDir.open(run_dir)
        spec = child_spec(run, run_dir, self.ws.root)
        about = {
            "hypothesis": run.hypothesis, "arm": run.arm, "point": run.point, "seed": run.seed,
            "cache_key": run.cache_key, "started_at": self.active[i].started_at,
            # what the next invocation needs to record this run should it finish after this one died
            "timeout_s": run.timeout_s, "key_parts": run.key_parts, "provenance": self.provenance,
            "executor": getattr(self.executor, "name", "local"),
        }  # fmt: skip
        self.unrecorded.add(i)
        with writing(run_dir / "_started.json"):
            marker = write_marker(run_dir, spec, about)
        note_started(self.ws, run_dir)
        self.progress.started(run.label)
        self.executor.submit(child_job(i, run, run_dir, marker, self.ws.root))

    # ---- finishing ----------------------------------------------------------------------------

    def _finish(self, outcome: Outcome, reason: str | None = None) -> None:
        active = self.active.pop(outcome.job_id, None)
        if active is None:  # a job already recorded (one that failed to start, then was cancelled)
            return
        run, run_dir = active.run, active.run_dir
        metrics: dict[str, Any] = {}
        status: Status
        error: str | None
        replaced = active.held.replaced() if active.held is not None else None
        if active.held is not None:
            active.held.close()
        if replaced is not None:
            # Nothing the run left there is read, and the record goes into a fresh directory.
            if active.held is None or not active.held.restore():
                raise InvestigateError(f"cannot record {run.label}: {replaced}, and the path to it is not safe")
            status, error = "error", f"{replaced} during the run; its results were not read"
        elif outcome.kind == "cancelled":
            strip_ansi(run_dir / LOG)
            status, error = "interrupted", reason or self.stop.reason
        else:
            status, metrics, error = finished_status(run, run_dir, outcome)
        try:
            record = self._record(active, status, outcome, metrics, error)
            self.unrecorded.discard(outcome.job_id)
            if record.status == "ok" and active.lock is not None:
                try:
                    active.lock.write(record.run_dir)  # a waiting invocation reuses this run
                except OSError:
                    pass  # it then executes the run itself; nothing is lost
        finally:
            if active.lock is not None:
                active.lock.release()
        self._release_followers(record)

    def _record(
        self, active: _Active, status: Status, outcome: Outcome, metrics: dict[str, Any], error: str | None
    ) -> RunRecord:
        where = self.provenance if outcome.host is None else {**self.provenance, "hostname": outcome.host}

        def build(status: Status, metrics: dict[str, Any], error: str | None) -> RunRecord:
            return build_record(
                self.ws, active.run, active.run_dir, status=status, started_at=outcome.started_at or active.started_at,
                duration_s=outcome.duration_s, provenance=where, metrics=metrics, error=error, usage=outcome,
                diff=self._diff_file(),
            )  # fmt: skip

        try:
            record = build(status, metrics, error)
        except Exception as exc:  # noqa: BLE001 - e.g. metrics the record model refuses
            record = build("error", {}, f"could not record: {exc!r}")
        save(self.ws, active.run_dir, record)
        self.summary.records.append(record)
        self.progress.done(record, cached=False)
        return record

    def _release_followers(self, record: RunRecord) -> None:
        waiting = self.followers.pop(record.cache_key, [])
        for i in waiting:
            if record.status == "ok":
                self._reuse(i, record)
            else:  # a failure is never reused: each follower runs itself
                self.queue[i] = None

    def _reuse(self, i: int, original: RunRecord) -> None:
        """A cache hit: a record of its own in this invocation's directory, pointing at the original."""
        run, run_dir = self.runs[i], self._stamp() / self.dirs[i]
        with writing(run_dir):
            run_dir.mkdir(parents=True, exist_ok=True)
        record = build_record(
            self.ws, run, run_dir, status="ok", started_at=utc_now(), duration_s=0.0,
            provenance=self.provenance, metrics=original.metrics, reused=original, diff=self._diff_file(),
        )  # fmt: skip
        save(self.ws, run_dir, record)
        self.summary.records.append(record)
        self.summary.cached.add(record.run_id)
        self.progress.done(record, cached=True)
        self._release_followers(record)

    def _stop_active(self, reason: str, strict: bool) -> None:
        """Kill the runs in flight and record them as interrupted.

        ``strict`` (a signal): a failed write is an error like any other. Otherwise an error is
        already on its way out, and the records are best effort: what cannot be written stays lost.
        """
        for job_id in list(self.active):
            self.executor.cancel(job_id)
        failure: Exception | None = None
        for outcome in self.executor.poll():
            if outcome.job_id not in self.active:
                continue
            try:
                self._finish(outcome, reason=reason if outcome.kind == "cancelled" else None)
            except Exception as exc:  # noqa: BLE001 - every run in flight gets its chance to be recorded
                failure = failure or exc
        for active in self.active.values():  # left only when the executor lost track of a job
            if active.lock is not None:
                active.lock.release()
        self.active.clear()
        if failure is not None and strict:
            raise failure

    def _diff_file(self) -> Path | None:
        """The dirty checkout's diff in this stamp, written with the first record (a stamp that gets no
        record is removed, and must stay empty for that)."""
        if self._diff is False:
            kept = self._stamp() / DIFF
            self._diff = kept if kept.is_file() else store_diff(self._stamp(), git_diff(self.ws))
        return self._diff if isinstance(self._diff, Path) else None

    def _stamp(self) -> Path:
        assert self.summary.stamp_dir is not None
        return self.summary.stamp_dir


def _remove_if_empty(stamp: Path) -> None:
    """An invocation that recorded nothing (every run already recorded) leaves no stamp behind."""
    try:
        stamp.rmdir()
    except OSError:
        pass  # it holds records
