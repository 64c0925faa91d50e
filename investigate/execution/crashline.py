"""One line that says why a run crashed: the exception type, its message's first line, where it was raised.

The error text of a run is a Python traceback (a ``run:`` entry) or the end of a command's log
(which holds the traceback when the command is a Python script). The last line of either is often
the tail of a multi-line message (``'y' sizes: 16, 60, 60`` for Keras' ``ValueError: Data
cardinality is ambiguous:``) or a bare ``AssertionError`` with nothing to say where. So the line is
read from the traceback's structure: the last ``File "...", line N`` frame is the raising one, and
the first line after its indented block is the exception, whose first line is its message's first
line. The frame's file is shown relative to the workspace root when inside it.
"""

from __future__ import annotations

import re
from pathlib import Path

FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
MAX_CHARS = 240


def crash_line(error: str | None, root: Path | None = None) -> str | None:
    """``ValueError: Data cardinality is ambiguous: (exps/train.py:42)``; None when ``error`` holds no traceback."""
    lines = (error or "").splitlines()
    frames = [i for i, text in enumerate(lines) if FRAME.match(text)]
    if not frames:
        return None
    last = frames[-1]
    match = FRAME.match(lines[last])
    assert match is not None
    source = ""
    i = last + 1
    while i < len(lines) and (lines[i][:1].isspace() or not lines[i].strip()):
        if not source and lines[i].strip() and not set(lines[i].strip()) <= set("^~ "):
            source = lines[i].strip()
        i += 1
    if i >= len(lines):
        return None
    exception = EXCEPTION.match(lines[i].strip())
    if exception is None:
        return None
    where = f"{_shown(match['file'], root)}:{match['line']}"
    message = (exception["message"] or "").strip()
    head = f"{exception['type']}: {message}" if message else exception["type"]
    if not message and source:
        head += f" in `{source}`"  # a bare assert: the failing line says what was asserted
    return _cut(f"{head} ({where})")


def _shown(file: str, root: Path | None) -> str:
    path = Path(file)
    if root is not None and path.is_absolute():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    parts = path.parts
    return file if len(parts) <= 3 else "…/" + "/".join(parts[-3:])


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
