"""Independent pieces of CPU-bound work on several cores, in forked processes that inherit memory.

Parsing 10,000 YAML files or 100,000 run records is pure Python and holds the GIL, so threads do
not help; forked workers start in milliseconds and see the parent's data without pickling it.
Fork is used only where it is safe and cheap: on Linux, from a process with a single thread.
Elsewhere, and for small jobs, the work runs in this process.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

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
