"""Bounded text for run records: the end of a log or a traceback, never the whole of either.

A run may print 200 MB without a newline; a record that kept it would make every later ``status``
read it. The end of the output is where the error is, so the end is kept.
"""

from __future__ import annotations

import os
import re
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


# ANSI escape sequences: CSI (colours, cursor moves: ESC [ ... final), OSC (titles, links: ESC ] ... BEL
# or ESC \), and the two-byte ones (ESC and one of @-Z \ ] ^ _ ). Progress bars and coloured loggers
# write them; in a log file they are noise, and they break grep and the crash line.
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\^_]")
CHUNK = 1 << 20


def strip_ansi(path: Path) -> None:
    """Remove ANSI escapes from the file at ``path`` in place, in chunks (a log may be large).

    A sequence cut by a chunk's end is carried into the next chunk. A file without any escape is not
    rewritten. Best effort: an unreadable file is left as it is.
    """
    try:
        with open(path, "rb") as handle:
            while (chunk := handle.read(CHUNK)) and b"\x1b" not in chunk:
                pass
            if not chunk:
                return
    except OSError:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            carry = b""
            while chunk := src.read(CHUNK):
                data = carry + chunk
                cut = data.rfind(b"\x1b", max(len(data) - 256, 0))  # an escape near the end may be incomplete
                data, carry = (data[:cut], data[cut:]) if cut != -1 else (data, b"")
                dst.write(ANSI.sub(b"", data))
            dst.write(ANSI.sub(b"", carry))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def strip_ansi_text(text: str) -> str:
    """``text`` without ANSI escapes (an error message an experiment coloured)."""
    return (
        ANSI.sub(b"", text.encode(errors="surrogateescape")).decode(errors="surrogateescape")
        if "\x1b" in text
        else text
    )
