"""Progress for ``investigate run``: one line per finished run, plus a live bar on a terminal.

Plain lines (no colour, no carriage returns) when stderr is not a TTY, so logs and CI stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from investigate.rundirs import point_dir
from investigate.schema import RunRecord

MAX_METRICS = 4


def result_line(index: int, total: int, record: RunRecord, cached: bool) -> str:
    status = "cached" if cached else record.status
    shown = " ".join(f"{k}={_short(v)}" for k, v in list(record.metrics.items())[:MAX_METRICS])
    more = " ..." if len(record.metrics) > MAX_METRICS else ""
    head = f"[{index}/{total}] {record.hypothesis} {point_dir(record.point)} {record.arm} seed{record.seed} {status}"
    timing = "" if cached else f" {record.duration_s:.1f}s"
    return f"{head}{timing} {shown}{more}".rstrip()


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Progress:
    def __init__(self, total: int, stream: Any = None) -> None:
        self.total, self.count, self.t0 = total, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self._live: Any = None
        if total and getattr(self.stream, "isatty", lambda: False)():
            self._start_live()

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        columns = (TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self._live = RichProgress(
            *columns, TextColumn("{task.description}"), console=Console(file=self.stream), transient=True
        )
        self._task = self._live.add_task("", total=self.total)
        self._live.start()

    def started(self, label: str) -> None:
        """Called from worker threads (rich's Progress is thread-safe): shows the latest run started."""
        if self._live is not None:
            self._live.update(self._task, description=label)

    def note(self, text: str) -> None:
        """A line that is not a result (e.g. a run waiting for another invocation)."""
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def done(self, record: RunRecord, cached: bool) -> None:
        self.count += 1
        line = result_line(self.count, self.total, record, cached)
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False)
            self._live.advance(self._task)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
