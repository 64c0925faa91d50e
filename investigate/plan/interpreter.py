"""``experiment.python``: ask the chosen interpreter, once per invocation, what it is.

Its version and the list of distributions installed in its environment enter the cache key (as a
digest), so upgrading a package in the original project's virtual environment is a miss, as it is
for a package of investigate's own environment. For a ``run:`` entry the interpreter also has to
import ``investigate.execution.child`` (the process guard that calls the experiment); that is checked here,
before any run starts, rather than discovered as a failed run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

PROBE_TIMEOUT_S = 60
PROBE = """
import json, sys
out = {"version": sys.version.split()[0], "packages": []}
try:
    from importlib import metadata
    out["packages"] = sorted({"%s==%s" % (d.metadata["Name"], d.version) for d in metadata.distributions()})
except Exception as exc:
    out["packages"] = ["unreadable: %r" % (exc,)]
if sys.argv[1:2] == ["child"]:  # load investigate from its directory alone, as executors.base.BOOT does
    try:
        import importlib.util
        d = sys.argv[2]
        s = importlib.util.spec_from_file_location("investigate", d + "/__init__.py", submodule_search_locations=[d])
        m = importlib.util.module_from_spec(s)
        sys.modules["investigate"] = m
        s.loader.exec_module(m)
        import investigate.execution.child
    except BaseException as exc:
        out["child_error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


def describe(ws: Workspace, python: str, env: dict[str, str], child: bool) -> dict[str, Any]:
    """``{"version": "3.11.4", "packages": <sha256 of name==version lines>}`` of ``python``.

    ``child``: the interpreter must import ``investigate.execution.child`` with ``env`` (a ``run:`` entry).
    Raises InvestigateError naming the interpreter when it cannot run or cannot import it.
    """
    memo_key = f"python:{python}:{child}"
    if memo_key not in ws.memo:
        ws.memo[memo_key] = probe(python, env, child)
    answer: dict[str, Any] = ws.memo[memo_key]
    return answer


def probe(python: str, env: dict[str, str], child: bool) -> dict[str, Any]:
    where = f"experiment.python: {python}"
    try:
        done = subprocess.run(
            [python, "-c", PROBE, *(["child", _package_dir()] if child else [])],
            env=env, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise InvestigateError(f"{where}: cannot run it: {exc}") from None
    try:
        found = json.loads(done.stdout.decode(errors="replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise InvestigateError(f"{where}: not a working Python interpreter (exit {done.returncode}: {last})") from None
    if "child_error" in found:
        raise InvestigateError(
            f"{where}: cannot import investigate.execution.child from {_package_dir()} ({found['child_error']}); "
            "a run: entry needs a Python 3.10 or newer"
        )
    digest = hashlib.sha256("\n".join(found.get("packages", [])).encode()).hexdigest()
    return {"version": str(found.get("version")), "packages": digest}


def _package_dir() -> str:
    import investigate

    return os.path.dirname(os.path.abspath(investigate.__file__))
