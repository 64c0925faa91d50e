"""The peak memory of the run's own process, measured inside it (standard library only: the guard runs it).

``wait4``'s ``ru_maxrss`` of a process started with fork/vfork and exec counts the resident size of
the process that forked it, before the exec: a run started from a 300 MB Dask worker would report
300 MB. The high-water mark of the process' own memory map (``VmHWM`` in ``/proc/self/status``)
starts at the exec, so the guard reads it at the end, together with the largest child it waited
for (a command); where ``/proc`` is missing, its own ``ru_maxrss`` stands in.
"""

from __future__ import annotations

import resource
import sys


def own_peak_mb() -> float | None:
    """max(this process' VmHWM, the largest waited-for child's maxrss), in MiB."""
    try:
        with open("/proc/self/status") as handle:
            kib = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError, IndexError):
        kib = None
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    if kib is None:
        return round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, children), 1)
    return round(max(kib / 1024, children), 1)
