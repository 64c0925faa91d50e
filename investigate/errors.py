"""The user-facing error types. The CLI has one handler that prints them as one line."""

from __future__ import annotations


class InvestigateError(Exception):
    """An error the user can fix (bad input, unknown id). Exit code 1."""

    exit_code = 1


class ValidationError(InvestigateError):
    """A YAML file broke the schema; the message carries ``file:line: key.path: reason``."""

    def __init__(self, path: str, line: int | None, key: str, reason: str) -> None:
        self.path, self.line, self.key, self.reason = path, line, key, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")


class UnknownIdError(InvestigateError):
    """An id that names nothing in the workspace; suggests the closest ones."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")
        self.suggestions = close


class RunsFailedError(InvestigateError):
    """Some runs ended in error or timeout; all of them were recorded."""

    exit_code = 4
