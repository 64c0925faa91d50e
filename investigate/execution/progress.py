"""Progress for ``investigate run``: one line per finished run, plus a live bar on a terminal.

Plain lines (no colour, no carriage returns) when stderr is not a TTY, so logs and CI stay readable;
there, a heartbeat line (``[12/40 done, 2 running, 3m10s elapsed, ETA 8m]``) every ``heartbeat_s``
says the invocation is alive while long runs print nothing. A failed run's line says why (its
crash line, ``crashline``, else the last line of its error) and where its log is.

The ETA takes a run's expected time as the median duration of the runs executed so far in this
invocation (cache hits take no time and are left out), or, before the first one ends, the median
of the store's earlier executed runs of the same entry points (``expect``). The runs in flight
take what is left of it (the ETA goes down while a long run goes on), and the runs not started yet
fill the ``jobs`` slots as they free up. Unknown only when neither this invocation nor the store
has timed such a run.
"""

from __future__ import annotations

import heapq
import math
import statistics
import sys
import time
from typing import Any

from investigate.formats.schema import RunRecord
from investigate.store.rundirs import point_dir

MAX_METRICS = 4
HEARTBEAT_S = 30.0
LOG = "log.txt"


def result_line(index: int, total: int, record: RunRecord, cached: bool) -> str:
    status = "cached" if cached else record.status
    shown = " ".join(f"{k}={_short(v)}" for k, v in list(record.metrics.items())[:MAX_METRICS])
    more = " ..." if len(record.metrics) > MAX_METRICS else ""
    head = f"[{index}/{total}] {record.hypothesis} {point_dir(record.point)} {record.arm} seed{record.seed} {status}"
    timing = "" if cached else f" {record.duration_s:.1f}s"
    line = f"{head}{timing} {shown}{more}".rstrip()
    if record.status != "ok" and not cached:
        line += f" — {failure_reason(record)}{log_note(record)}"
    return line


def failure_reason(record: RunRecord) -> str:
    """The crash line (exception type, message's first line, raising frame) when the error holds a
    traceback; else its last non-empty line: the exit code, the time limit."""
    if record.error_line:
        return record.error_line
    lines = [line.strip() for line in (record.error or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"{record.status} (no error text)"


def log_note(record: RunRecord) -> str:
    return f" (log: {record.run_dir}/{LOG})" if record.run_dir else ""


def clock(seconds: float, precise: bool = True) -> str:
    """``45s``, ``3m10s`` (or ``4m`` when not ``precise``, rounded up), ``1h05m``."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{math.ceil(seconds) if not precise else int(seconds)}s"
    if seconds < 3600:
        if not precise:
            return f"{math.ceil(seconds / 60)}m"
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Progress:
    def __init__(self, total: int, stream: Any = None, jobs: int = 1, heartbeat_s: float | None = None) -> None:
        self.total, self.count, self.t0 = total, 0, time.monotonic()
        self.jobs = max(jobs, 1)
        self.stream = stream or sys.stderr
        self.running: dict[str, float] = {}  # labels of the runs in flight, in start order -> started (monotonic)
        self.durations: list[float] = []  # of the runs executed (not served by the cache) so far
        self.earlier: list[float] = []  # of the store's executed runs of the same entry points (``expect``)
        self._eta_shown_at = 0.0
        self.heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self._next_beat = self.t0 + self.heartbeat_s
        self._live: Any = None
        if total and getattr(self.stream, "isatty", lambda: False)():
            self._start_live()

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        columns = (
            TextColumn("runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
        )
        self._live = RichProgress(
            *columns, TextColumn("{task.description}"), console=Console(file=self.stream), transient=True
        )
        self._task = self._live.add_task("", total=self.total, eta="")
        self._live.start()

    def started(self, label: str) -> None:
        """A run's process is starting: the live bar shows the latest one."""
        self.running[label] = time.monotonic()
        if self._live is not None:
            self._live.update(self._task, description=label)

    def note(self, text: str) -> None:
        """A line that is not a result (e.g. a run waiting for another invocation)."""
        self._print(text)

    def done(self, record: RunRecord, cached: bool) -> None:
        self.count += 1
        self.running.pop(f"{record.hypothesis} {point_dir(record.point)} {record.arm} seed{record.seed}", None)
        if not cached:
            self.durations.append(record.duration_s)
        self._print(result_line(self.count, self.total, record, cached))
        if self._live is not None:
            self._live.advance(self._task)
            self._live.update(self._task, eta=self._eta_text())

    def expect(self, durations: list[float]) -> None:
        """Earlier runs' durations of the entry points about to run: the ETA before a run of this invocation ends."""
        self.earlier = [d for d in durations if d > 0 and math.isfinite(d)]

    def eta_s(self) -> float | None:
        """Seconds until the last run ends, estimated; None while no run time is known."""
        timed = self.durations or self.earlier
        if not timed:
            return None
        typical = statistics.median(timed)
        now = time.monotonic()
        # a slot per run in flight, freed when its expected time is up; the others free now
        slots = [max(typical - (now - t), 0.0) for t in self.running.values()]
        slots += [0.0] * max(self.jobs - len(slots), 0)
        heapq.heapify(slots)
        waiting = max(self.total - self.count - len(self.running), 0)
        for _ in range(waiting):
            heapq.heappush(slots, heapq.heappop(slots) + typical)
        return max(slots) if slots else 0.0

    def heartbeat_line(self) -> str:
        elapsed = clock(time.monotonic() - self.t0)
        eta = self.eta_s()
        shown = "?" if eta is None else clock(eta, precise=False)
        return f"[{self.count}/{self.total} done, {len(self.running)} running, {elapsed} elapsed, ETA {shown}]"

    def tick(self) -> None:
        """Called from the runner's loop: a heartbeat line when one is due (plain output only)."""
        now = time.monotonic()
        if self._live is not None:
            if now - self._eta_shown_at >= 1.0:  # the ETA moves while runs are in flight
                self._eta_shown_at = now
                self._live.update(self._task, eta=self._eta_text())
            return
        if self.heartbeat_s <= 0:
            return
        if now >= self._next_beat:
            self._next_beat = now + self.heartbeat_s
            if self.count < self.total:
                print(self.heartbeat_line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _eta_text(self) -> str:
        eta = self.eta_s()
        return "" if eta is None or self.count >= self.total else f"ETA {clock(eta, precise=False)}"

    def _print(self, line: str) -> None:
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)
