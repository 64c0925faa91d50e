"""Expand a hypothesis' experiment into runs and compute each run's cache key before it runs.

merged params = experiment.params ∪ matrix point ∪ arm overrides (later wins), then ``--profile``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import itertools
import json
import os
import shlex
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from investigate.errors import InvestigateError
from investigate.rundirs import point_dir, run_rel_dir
from investigate.schema import Hypothesis
from investigate.store import package_versions
from investigate.workspace import Workspace

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", "build", "dist"}


@dataclass
class PlannedRun:
    hypothesis: str
    entry: str  # "module:function" or the command template
    kind: str  # "run" | "command"
    arm: str
    point: dict[str, Any]
    seed: int
    params: dict[str, Any]
    timeout_s: float
    argv: list[str] = field(default_factory=list)  # command template tokens, formatted per run
    cache_key: str = ""

    @property
    def label(self) -> str:
        return f"{self.hypothesis} {point_dir(self.point)} {self.arm} seed{self.seed}"

    def rel_dir(self) -> str:
        """Distinct for distinct runs; ``rundirs.unique_dirs`` also settles the rare hash collision."""
        return run_rel_dir(self)


@dataclass
class Filters:
    where: dict[str, list[str]] = field(default_factory=dict)  # matrix key -> accepted values (as text)
    seeds: list[int] | None = None
    profile: str | None = None


def parse_where(items: list[str]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvestigateError(f"--where expects key=value, got {item!r}")
        where.setdefault(key, []).append(value)
    return where


def expand(ws: Workspace, hyp: Hypothesis, filters: Filters) -> list[PlannedRun]:
    exp = hyp.experiment
    if exp is None:
        raise InvestigateError(f"{hyp.id} has no experiment to run")
    for key in filters.where:
        if key not in exp.matrix:
            known = ", ".join(exp.matrix) or "none"
            raise InvestigateError(f"{hyp.id}: --where {key}=...: not a matrix key (matrix keys: {known})")
    keys = list(exp.matrix)
    points = [dict(zip(keys, values, strict=False)) for values in itertools.product(*(exp.matrix[k] for k in keys))]
    points = [p for p in points if all(_accepts(p[k], accepted) for k, accepted in filters.where.items())]
    arms = exp.arms or {"default": {}}
    seeds = filters.seeds if filters.seeds is not None else exp.seeds
    argv = _command_tokens(hyp) if exp.command else []
    runs = []
    for point in points:
        for arm, overrides in arms.items():
            for seed in seeds:
                params = {**exp.params, **point, **overrides}
                if filters.profile is not None:
                    params["profile"] = filters.profile
                entry = exp.run or exp.command or ""
                run = PlannedRun(
                    hyp.id, entry, "run" if exp.run else "command", arm, point, seed, params, exp.timeout_s, argv
                )
                if argv:
                    format_command(run, Path("RUN_DIR"))  # fail before anything runs on a bad placeholder
                run.cache_key = cache_key(ws, run)
                runs.append(run)
    return runs


def _accepts(value: Any, accepted: list[str]) -> bool:
    """``--where`` text matches a matrix value as written or as YAML reads it (``2`` = 2.0, ``true`` = True)."""
    import yaml

    for text in accepted:
        if str(value) == text:
            return True
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if parsed == value and isinstance(parsed, bool) == isinstance(value, bool):
            return True
    return False


def _command_tokens(hyp: Hypothesis) -> list[str]:
    assert hyp.experiment is not None and hyp.experiment.command is not None
    try:
        return shlex.split(hyp.experiment.command)
    except ValueError as exc:
        raise InvestigateError(f"{hyp.id}: experiment.command: {exc}") from None


class _StrictMapping(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        known = ", ".join(sorted(self))
        raise InvestigateError(f"unknown placeholder {{{key}}} in command (known: {known})")


def format_command(run: PlannedRun, run_dir: Path) -> list[str]:
    """Fill ``{run_dir}``, ``{seed}`` and ``{param}`` per token, so a value with spaces stays one argument."""
    mapping = _StrictMapping(
        {**{k: _text(v) for k, v in run.params.items()}, "run_dir": str(run_dir), "seed": str(run.seed)}
    )
    out = []
    for token in run.argv:
        try:
            out.append(string.Formatter().vformat(token, (), mapping))
        except (ValueError, IndexError) as exc:
            raise InvestigateError(f"{run.hypothesis}: bad command template token {token!r}: {exc}") from None
    return out


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list, bool)) or value is None else str(value)


# ---- cache keys ------------------------------------------------------------------------------


def cache_key(ws: Workspace, run: PlannedRun) -> str:
    payload = {
        "entry": run.entry,
        "params": run.params,
        "seed": run.seed,
        "source": source_fingerprint(ws, run),
        "versions": package_versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


_fingerprints: dict[tuple[str, str], str] = {}


def source_fingerprint(ws: Workspace, run: PlannedRun) -> str:
    if run.kind == "run":
        module = run.entry.split(":", 1)[0]
        memo = (str(ws.root), "mod:" + module)
        if memo not in _fingerprints:
            local = imported_files(ws.root, module)
            _fingerprints[memo] = (
                _hash_files(local, ws.root) if local else _package_fingerprint(ws.root, module.split(".", 1)[0])
            )
        return _fingerprints[memo]
    named = [ws.root / t for t in run.argv if "{" not in t and (ws.root / t).is_file()]
    memo = (str(ws.root), "cmd:" + " ".join(map(str, named)))
    if memo not in _fingerprints:
        _fingerprints[memo] = _hash_files(named + _python_files(ws.root, ws.root, skip=ws.reports_dir), ws.root)
    return _fingerprints[memo]


def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_files(root: Path, module: str) -> list[Path]:
    """The workspace's own source files that importing `module` can execute, found statically.

    Follows `import` and `from ... import` (absolute and relative, including imports inside
    functions) from the entry module through every file under `root`, plus the __init__ of each
    enclosing package. Imports that resolve outside the workspace (numpy, tensorflow) are left
    to the package versions in the key. So editing the core of this tool does not invalidate
    the runs of a subject that never imports it. Empty when `module` is not a workspace file.
    """
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_file(root, name) if name else None
        if path is None or path in seen:
            continue
        seen.add(path)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # enclosing packages run too
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: level 1 is this package, each extra level one up
                    anchor = package.split(".")
                    anchor = anchor[: max(len(anchor) - node.level + 1, 0)]
                    target = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # `from pkg import name` may name a submodule as well as an attribute
                todo += [target] + [f"{target}.{alias.name}" for alias in node.names]
    return sorted(seen)


def _package_fingerprint(root: Path, top: str) -> str:
    # The workspace copy shadows an installed one in the child (it inserts the root on sys.path).
    if (root / top).is_dir():
        return _hash_files(_python_files(root / top, root), root)
    if (root / f"{top}.py").is_file():
        return _hash_files([root / f"{top}.py"], root)
    spec = importlib.util.find_spec(top)  # top-level: locates without importing
    if spec is None:
        return "missing:" + top
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
        return _hash_files(_python_files(base, base), base)
    return _hash_files([Path(spec.origin)], Path(spec.origin).parent) if spec.origin else "builtin:" + top


def _python_files(base: Path, root: Path, skip: Path | None = None) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") and Path(dirpath, d) != skip
        )
        found.extend(Path(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return found


def _hash_files(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.relpath(path, root).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
