"""Independent pieces of CPU-bound work on several cores, in forked processes that inherit memory.

Parsing 10,000 YAML files or 100,000 run records is pure Python and holds the GIL, so threads do
not help; forked workers start in milliseconds and see the parent's data without pickling it.
Fork is used only where it is safe and cheap: on Linux, from a process with a single thread.
Elsewhere, and for small jobs, the work runs in this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8


def workers(items: int, per_worker: int) -> int:
    """How many processes ``items`` pieces of work deserve, at least ``per_worker`` each."""
    if not can_fork():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_WORKERS, items // max(per_worker, 1)))


def can_fork() -> bool:
    # A fork copies only the calling thread; with other threads alive a lock they hold stays held.
    return sys.platform.startswith("linux") and threading.active_count() == 1


def fork_map(fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
    """``[fn(c) for c in chunks]``: the first chunk here, the others in forked workers at the same time.

    ``fn`` must be a module-level function (it is sent by name); what it needs beyond its chunk it
    reads from module state set before the call, which the workers inherit.
    """
    if len(chunks) <= 1 or not can_fork():
        return [fn(chunk) for chunk in chunks]
    import multiprocessing  # only here: every command imports this module, few fork
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(chunks) - 1, mp_context=context) as pool:
        futures = [pool.submit(fn, chunk) for chunk in chunks[1:]]
        first = fn(chunks[0])
        return [first, *(future.result() for future in futures)]


def split(items: Sequence[T], parts: int, weight: Callable[[T], int] = lambda _: 1) -> list[list[T]]:
    """``items`` in ``parts`` lists of about equal total weight (greedy, heaviest first)."""
    bins: list[list[T]] = [[] for _ in range(max(parts, 1))]
    loads = [0] * len(bins)
    for item in sorted(items, key=weight, reverse=True):
        lightest = loads.index(min(loads))
        bins[lightest].append(item)
        loads[lightest] += weight(item)
    return [b for b in bins if b]


class Started:
    """Work running in forked workers since ``start``; ``collect`` waits for it and returns the results."""

    def __init__(self, children: list[tuple[int, int]]) -> None:
        self.children = children  # (pid, read end of the pipe it writes its result to)

    def collect(self) -> list[Any] | None:
        """The results in the order of the chunks, or None if a worker failed (then do the work here)."""
        results: list[Any] = []
        failed = False
        while self.children:
            pid, fd = self.children.pop(0)
            with os.fdopen(fd, "rb") as pipe:
                data = pipe.read()  # until the worker exits; others wait on full pipes meanwhile
            _, status = os.waitpid(pid, 0)
            if status != 0 or not data:
                failed = True
                continue
            results.append(pickle.loads(data))  # noqa: S301 - written by our own fork, just now
        return None if failed else results

    def close(self) -> None:
        """Stop and reap what was not collected (the command failed before it needed the results)."""
        while self.children:
            pid, fd = self.children.pop()
            os.close(fd)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


def start(fn: Callable[[T], Any], chunks: Sequence[T]) -> Started | None:
    """Start ``fn(chunk)`` for every chunk in forked workers now, for this process to do something
    else meanwhile; None where forking is not safe. Results travel back pickled through a pipe."""
    if not can_fork():
        return None
    started = Started([])
    try:
        for chunk in chunks:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the caller's code, whatever happens
                status = 1
                try:
                    os.close(read_end)
                    with os.fdopen(write_end, "wb") as pipe:
                        pipe.write(pickle.dumps(fn(chunk), protocol=pickle.HIGHEST_PROTOCOL))
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            started.children.append((pid, read_end))
    except OSError:  # out of processes or descriptors: stop the ones started, do the work here
        started.close()
        return None
    return started
