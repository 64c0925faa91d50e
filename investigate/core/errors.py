"""The user-facing error types, the exit codes, and the one place a located error's text is built.

The CLI has one handler that prints an error as one line (several for ``validate``) and returns
its ``exit_code``. Every error that points into a file reads ``file:line: key.path[2]: reason``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_USER = 1  # bad input the user can fix
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_BUG = 3  # an internal error: re-run with --debug
EXIT_RUNS_FAILED = 4  # some runs errored or timed out; every one was recorded
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM, the shell's convention (128 + SIGINT)

# `git bisect run` reads 0 good, 1..124 and 126..127 bad, 125 skip, >= 128 abort.
BISECT_GOOD, BISECT_BAD, BISECT_SKIP, BISECT_ABORT = 0, 1, 125, 128

KeyPath = tuple[Any, ...]


def key_text(key_path: KeyPath) -> str:
    """``("verdict", "confirmed", "all", 1)`` -> ``verdict.confirmed.all[1]``: the one spelling."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class InvestigateError(Exception):
    """An error the user can fix (bad input, unknown id). Exit code 1."""

    exit_code = EXIT_USER


class ValidationError(InvestigateError):
    """A problem located in a file: ``file:line: key.path: reason``."""

    def __init__(self, path: str, line: int | None, key: str, reason: str) -> None:
        self.path, self.line, self.key, self.reason = path, line, key, reason
        super().__init__(located_text(path, line, key, reason))


def located_text(path: str, line: int | None, key: str, reason: str) -> str:
    where = f"{path}:{line}" if line else path
    return f"{where}: {key}: {reason}" if key else f"{where}: {reason}"


def located(path: str, line: int | None, key_path: KeyPath, reason: str) -> ValidationError:
    """The error for ``reason`` at ``key_path`` of the file shown as ``path``."""
    return ValidationError(path, line, key_text(key_path), reason)


class UnknownIdError(InvestigateError):
    """An id that names nothing in the workspace; suggests the closest ones."""

    def __init__(self, kind: str, name: str, known: Sequence[str]) -> None:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")
        self.suggestions = close


class WorkspaceErrors(InvestigateError):
    """Every problem found by ``validate``, one per line."""

    def __init__(self, errors: list[InvestigateError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class RunsFailedError(InvestigateError):
    """Some runs ended in error or timeout; all of them were recorded."""

    exit_code = EXIT_RUNS_FAILED
