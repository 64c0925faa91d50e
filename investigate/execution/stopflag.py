"""Ctrl-C and SIGTERM during ``investigate run``: a flag the runner's loop reads, never an exception.

An exception could land anywhere, even inside the shutdown it started (two Ctrl-C 25 ms apart used
to leave runs alive and unrecorded). A flag lets the loop stop at its next tick and finish the
shutdown, killing and recording, whatever arrives meanwhile.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

REASONS = {signal.SIGINT: "interrupted by Ctrl-C (SIGINT)", signal.SIGTERM: "interrupted by SIGTERM"}


class StopFlag:
    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None = None) -> None:
        self.signum = self.signum or signum  # the first signal names the reason

    @property
    def is_set(self) -> bool:
        return self.signum is not None

    @property
    def reason(self) -> str:
        return REASONS.get(signal.Signals(self.signum or signal.SIGINT), f"interrupted by signal {self.signum}")


@contextmanager
def catching_stop_signals(flag: StopFlag) -> Iterator[None]:
    """SIGINT and SIGTERM set ``flag`` while inside; only the main thread can install handlers."""
    restore: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        restore = {s: signal.signal(s, flag) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in restore.items():
            signal.signal(signum, handler)
