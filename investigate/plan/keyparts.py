"""Cache key parts that exist only when a hypothesis or workspace uses the setting behind them.

``plan.cache_key`` hashes entry, params, seed, source and versions for every run; the parts here
are added beside them only when set, so a key computed without them stays the key it always was
(the committed evidence keeps its cache hits):

- ``runtime``: ``experiment.shell`` / ``python`` / ``env`` / ``cwd`` where they differ from their
  defaults (they change what runs), and with ``python`` the interpreter's version and a digest of
  the distributions installed beside it (``interpreter``);
- ``source_roots``: per ``[tool.investigate] source_roots`` entry, its Python files and git commit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.plan import interpreter, sourceroots
from investigate.plan.commandline import command_env, resolve_python

if TYPE_CHECKING:
    from investigate.plan.planned import PlannedRun
    from investigate.workspace.load import Workspace


def optional_parts(ws: Workspace, run: PlannedRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the parts the record keeps, the parts the key hashes); both empty when nothing is set."""
    recorded: dict[str, Any] = {}
    hashed: dict[str, Any] = {}
    if run.runtime:
        runtime = dict(run.runtime)
        python = runtime.get("python")
        if python is not None:
            env = {**os.environ, **command_env(run, Path("RUN_DIR"), ws.root)}
            resolved = resolve_python(str(python), ws.root)
            try:
                runtime["interpreter"] = interpreter.describe(ws, resolved, env, child=run.kind == "run")
            except InvestigateError as exc:
                raise InvestigateError(f"{run.hypothesis}: {exc}") from None
        recorded["runtime"] = hashed["runtime"] = runtime
    if ws.source_roots:
        recorded["source_roots"], hashed["source_roots"] = sourceroots.key_parts(ws)
    return recorded, hashed
