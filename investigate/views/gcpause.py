"""The cyclic garbage collector, paused while a large workspace is loaded or surveyed.

Loading 10,000 hypotheses or reading 100,000 records allocates millions of small objects that
stay alive; every so many allocations the collector scans all of them again, and that cost a
quarter to a third of the time. Nothing lost is at stake: what is made meanwhile and forms a
cycle is collected once the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block (as it was after it: a nested pause leaves it paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
