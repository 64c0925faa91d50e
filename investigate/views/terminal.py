"""Text from runs as a terminal shows it: bounded, and without control characters.

An experiment may return an 11 MB string or one holding escape sequences; ``show`` printed either
as it was. Here a value longer than its bound is cut and says how long it was (``… (11534336
characters)``), and control characters other than a space are written as escapes (``\\x1b``), so a
record cannot move the cursor, clear the screen or retitle the terminal.
"""

from __future__ import annotations

import re

VALUE_CHARS = 200  # one metric value in a list of runs
LINE_CHARS = 2000  # one line of a verdict's explanation
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(text: str, limit: int = VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (its length shown when cut), control characters escaped."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text)} characters)"
    return _CONTROL.sub(lambda m: _escaped(m.group(0)), text)
