"""The ``investigate`` program (also ``python -m investigate``): the command line, plus two things
only a whole process can do.

- ``status`` and ``list`` spend most of their time on a large workspace walking the store, which
  needs no model: that survey starts here, in forked workers, before the command line and the
  models are imported (a quarter of a second), and the command picks it up.
- After the command, the objects still alive are frozen out of the interpreter's final garbage
  collection (after ``status`` over 10,000 hypotheses it took longer than printing the table).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from investigate.views.overview import Early

SURVEYING = frozenset({"status", "list"})


def main() -> None:
    argv = sys.argv[1:]
    early = start_survey(argv)
    from investigate.cli.main import main as command_line

    code = command_line(argv, early=early)
    gc.freeze()
    sys.exit(code)


def start_survey(argv: list[str]) -> Early | None:
    """The store survey of ``status`` / ``list``, started now; None for other commands, or where it
    does not pay (``overview.start``). It is only an early start: the command line still parses
    everything, and a survey of another workspace than the one the command loads is discarded."""
    command, workspace = command_and_workspace(argv)
    if command not in SURVEYING:
        return None
    from investigate.views.overview import start

    try:
        return start(Path(workspace) if workspace else None)
    except Exception:  # noqa: BLE001 - a head start only: the command surveys the store itself
        return None


def command_and_workspace(argv: list[str]) -> tuple[str | None, str | None]:
    """The first word that is not an option, and the value of ``--workspace`` wherever it stands."""
    command = workspace = None
    words = iter(argv)
    for word in words:
        if word == "--workspace":
            workspace = next(words, None)
        elif word.startswith("--workspace="):
            workspace = word.split("=", 1)[1]
        elif word == "--":
            break
        elif command is None and not word.startswith("-"):
            command = word
    return command, workspace
