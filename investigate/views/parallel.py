"""Independent pieces of CPU-bound work on several cores, in forked processes that inherit memory.

Parsing 10,000 YAML files or 100,000 run records is pure Python and holds the GIL, so threads do
not help; forked workers start in milliseconds and see the parent's data without pickling it.
Fork is used only where it is safe and cheap: on Linux, from a process with a single thread.
Elsewhere, and for small jobs, the work runs in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import GeneratorType
from typing import Any, BinaryIO, TypeVar

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
    """Work running in forked workers since ``start``. A worker sends one result, or several in turn
    (``fn`` a generator): ``receive`` takes the next one of every worker, ``collect`` the last."""

    def __init__(self, children: list[tuple[int, BinaryIO]]) -> None:
        self.children = children  # (pid, read end of the pipe it writes its results to)
        self.failed = False  # a worker died, or the work was abandoned: the caller does it itself

    def receive(self) -> list[Any] | None:
        """The next result of every worker, in the order of the chunks; None if a worker failed
        (then all are stopped, and the work is to be done here)."""
        if self.failed:
            return None
        results = []
        for _, pipe in self.children:  # a worker waits on its full pipe until its turn comes
            result = _read_result(pipe)
            if result is _END or result is _FAILED:
                self.close()
                return None
            results.append(result)
        return results

    def collect(self) -> list[Any] | None:
        """The last result of every worker (of those not received yet) once all have exited, in the
        order of the chunks; None if a worker failed."""
        if self.failed:
            return None
        results = []
        for _, pipe in self.children:
            last = _END
            while (result := _read_result(pipe)) is not _END and result is not _FAILED:
                last = result
            if result is _FAILED or last is _END:
                self.close()
                return None
            results.append(last)
        while self.children:
            pid, pipe = self.children.pop(0)
            pipe.close()
            _, status = os.waitpid(pid, 0)
            if status != 0:  # it failed after sending all it had
                self.close()
                return None
        return results

    def close(self) -> None:
        """Stop and reap what was not collected (the command failed before it needed the results)."""
        self.failed = True
        while self.children:
            pid, pipe = self.children.pop()
            pipe.close()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


_END: Any = object()  # the worker closed its pipe after its last result
_FAILED: Any = object()  # it closed it in the middle of one
_LENGTH = 8  # bytes of the length that precedes each pickled result


def _read_result(pipe: BinaryIO) -> Any:
    head = pipe.read(_LENGTH)
    if not head:
        return _END
    if len(head) < _LENGTH:
        return _FAILED
    size = int.from_bytes(head, "little")
    data = pipe.read(size)
    if len(data) < size:
        return _FAILED
    return pickle.loads(data)  # noqa: S301 - written by our own fork, just now


def start(fn: Callable[[T], Any], chunks: Sequence[T]) -> Started | None:
    """Start ``fn(chunk)`` for every chunk in forked workers now, for this process to do something
    else meanwhile; None where forking is not safe. Results travel back pickled through a pipe;
    a generator ``fn`` sends each value it yields as soon as it has it."""
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
                    gc.disable()  # short-lived, and what it builds stays alive until it exits
                    with os.fdopen(write_end, "wb") as pipe:
                        result = fn(chunk)
                        for value in result if isinstance(result, GeneratorType) else (result,):
                            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                            pipe.write(len(data).to_bytes(_LENGTH, "little"))
                            pipe.write(data)
                            pipe.flush()
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            started.children.append((pid, os.fdopen(read_end, "rb")))
    except OSError:  # out of processes or descriptors: stop the ones started, do the work here
        started.close()
        return None
    return started
