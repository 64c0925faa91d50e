"""A run's command line and environment, filled from its experiment's templates.

``command:`` (argv mode, the default) is split like a shell line (``shlex``) into tokens, then the
placeholders of each token are filled, so a value with spaces stays one argument and nothing is
parsed by a shell (``a && b`` is three arguments). A token that is exactly one placeholder whose
value is ``""`` or null is dropped: ``{flag}`` with ``flag: null`` adds no argument, which makes
optional arguments possible. ``{{`` and ``}}`` are literal braces.

``shell: true`` runs the filled command through ``/bin/sh -c``. The template is not split; each
placeholder value is shell-quoted (``shlex.quote``), so a value is one word whatever it holds and
cannot inject shell syntax; an empty or null value fills as nothing.

Placeholders: ``{run_dir}``, ``{seed}``, ``{workspace}`` (the workspace root; a param of that name
wins) and ``{<param>}`` for any merged param. A list, mapping, boolean or null fills as JSON.
Only a plain name is filled (letters, digits, ``_``, ``-``): ``{v.x}``, ``{v[0]}``, ``{v!r}`` and
``{v:>9}`` are refused, since ``str.format`` would read attributes or pad without bound.

``python:`` replaces a leading ``python`` / ``python3`` word. ``env:`` values take the same
placeholders; a value that is exactly one placeholder filled by ``""`` or null, or null itself,
leaves the variable unset.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.formats.schema import PYTHON_WORDS, Experiment
from investigate.rules.hypcheck import template_parts

if TYPE_CHECKING:
    from investigate.plan.planned import PlannedRun

SHELL = "/bin/sh"
# the leading python word of a shell template, quoted or not (schema.leading_word checked it)
_LEADING_PYTHON = re.compile(r"\A(\s*)(['\"]?)(python3?)\2(?=\s|\Z)")


def runtime_options(exp: Experiment) -> dict[str, Any]:
    """The execution settings that differ from their defaults: the only ones the cache key holds."""
    out: dict[str, Any] = {}
    if exp.shell:
        out["shell"] = True
    if exp.python is not None:
        out["python"] = exp.python
    if exp.env:
        out["env"] = dict(exp.env)
    if exp.cwd != "workspace":
        out["cwd"] = exp.cwd
    return out


def command_tokens(owner: str, command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise InvestigateError(f"{owner}: experiment.command: {exc}") from None


class _StrictMapping(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        known = ", ".join(sorted(self))
        raise InvestigateError(f"unknown placeholder {{{key}}} in command (known: {known})")


def values(run: PlannedRun, run_dir: Path, root: Path | None) -> _StrictMapping:
    """Placeholder name -> raw value (``text`` turns it into what is filled in)."""
    workspace = str(root) if root is not None else "WORKSPACE"
    return _StrictMapping({"workspace": workspace, **run.params, "run_dir": str(run_dir), "seed": run.seed})


def text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list, bool)) or value is None else str(value)


def command_argv(run: PlannedRun, run_dir: Path, root: Path | None = None) -> list[str]:
    """The argv that runs the command (``root`` None: a stand-in, for checking placeholders only)."""
    raw = values(run, run_dir, root)
    python = interpreter(run, root)
    if run.runtime.get("shell"):
        template = run.entry
        if python is not None:
            template = _LEADING_PYTHON.sub(lambda m: m.group(1) + shlex.quote(python), template, count=1)
        quoted = _StrictMapping({k: "" if _empty(v) else shlex.quote(text(v)) for k, v in raw.items()})
        return [SHELL, "-c", _fill(run, template, quoted)]
    mapping = _StrictMapping({k: text(v) for k, v in raw.items()})
    out = [_fill(run, token, mapping) for token in run.argv if not _dropped(token, raw)]
    if python is not None and out and out[0] in PYTHON_WORDS:
        out[0] = python
    return out


def command_env(run: PlannedRun, run_dir: Path, root: Path | None = None) -> dict[str, str]:
    """The variables ``experiment.env`` sets for this run (placeholders filled)."""
    raw = values(run, run_dir, root)
    mapping = _StrictMapping({k: text(v) for k, v in raw.items()})
    out: dict[str, str] = {}
    for name, value in (run.runtime.get("env") or {}).items():
        if value is None or (isinstance(value, str) and _dropped(value, raw)):
            continue
        out[name] = _fill(run, value, mapping) if isinstance(value, str) else text(value)
    return out


def interpreter(run: PlannedRun, root: Path | None) -> str | None:
    """``experiment.python`` as the process sees it: a path is taken from the workspace root."""
    python = run.runtime.get("python")
    if python is None:
        return None
    return resolve_python(str(python), root or Path("WORKSPACE"))


def resolve_python(python: str, root: Path) -> str:
    """A bare name (``python3.11``) is looked up on PATH when it runs; a path is made absolute.

    Not ``resolve()``: a virtual environment's ``bin/python`` is a symlink, and following it would
    leave the environment.
    """
    expanded = os.path.expanduser(python)
    if "/" not in expanded:
        return expanded
    return os.path.abspath(root / expanded)


def script_tokens(run: PlannedRun) -> list[str]:
    """Tokens that may name a workspace file (the cache key hashes those and their imports).

    ``{workspace}/x.py`` names ``x.py`` (useful with ``cwd: run``), unless a param is called workspace.
    """
    if "workspace" in run.params:
        return run.argv
    return [t.removeprefix("{workspace}/") for t in run.argv]


def _fill(run: PlannedRun, template: str, mapping: _StrictMapping) -> str:
    """Each ``{name}`` replaced by its text; nothing else of ``str.format`` (see ``template_parts``)."""
    try:
        parts = template_parts(template)
    except ValueError as exc:
        raise InvestigateError(f"{run.hypothesis}: bad command template {template!r}: {exc}") from None
    return "".join(literal + (mapping[name] if name is not None else "") for literal, name in parts)


def _dropped(token: str, raw: dict[str, Any]) -> bool:
    """A token that is exactly ``{name}`` whose value is empty or null: an optional argument left out."""
    try:
        parts = template_parts(token)
    except ValueError:
        return False  # _fill reports the broken template
    if len(parts) != 1:
        return False
    literal, field = parts[0]
    if literal or field is None or field not in raw:
        return False
    return _empty(raw[field])


def _empty(value: Any) -> bool:
    return value is None or value == ""
