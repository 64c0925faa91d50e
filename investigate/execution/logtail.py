"""Bounded text for run records: the end of a log or a traceback, never the whole of either.

A run may print 200 MB without a newline; a record that kept it would make every later ``status``
read it. The end of the output is where the error is, so the end is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

LIMIT = 4096  # characters of log or error text a record keeps


def clip(text: str, limit: int = LIMIT) -> str:
    """``text`` itself, or its last ``limit`` characters after a line saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut ...]\n{text[-limit:]}"


def tail(path: Path, limit: int = LIMIT) -> str:
    """The last ``limit`` bytes of a file, read by seeking from its end; ``""`` when unreadable."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - limit, 0))
            data = handle.read(limit)
    except OSError:
        return ""
    text = data.decode(errors="replace")
    return f"[... {size - len(data)} bytes of {path.name} before this ...]\n{text}" if size > len(data) else text
