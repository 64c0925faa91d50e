"""What a run's result depends on, found statically: the cache key's parts.

A run's key is the hash of its entry point, merged params, seed, the bytes of every workspace
source file its entry module can import, and the versions of the third-party distributions those
files import. The tool's own dependencies (pydantic, rich, this package) are not in it: a run of a
subject that never imports them cannot depend on them, and a patch release of pydantic must not
turn every committed run into a miss. The parts are kept (file by file, package by package), so a
miss can say which part differs from the nearest earlier run.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", "build", "dist"}


@dataclass
class Closure:
    """The workspace files importing a module can execute, and the outside modules they import."""

    files: list[Path] = field(default_factory=list)
    external: set[str] = field(default_factory=set)  # top-level names: numpy, tensorflow, ...


def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def import_closure(root: Path, modules: list[str], files: list[Path] | None = None) -> Closure:
    """Follow imports statically from ``modules`` (and the given script ``files``) through ``root``.

    Follows ``import`` and ``from ... import`` (absolute and relative, including imports inside
    functions), plus the ``__init__`` of each enclosing package. A name that is not a file under
    ``root`` is an outside module; its top-level name is kept unless it is in the standard library.
    """
    closure = Closure()
    seen: set[Path] = set()
    todo: list[tuple[str, Path | None]] = [(m, None) for m in modules] + [("", f) for f in files or []]
    while todo:
        name, given = todo.pop()
        path = given or (_module_file(root, name) if name else None)
        if path is None:
            top = name.split(".", 1)[0]
            if top and top not in sys.stdlib_module_names and _module_file(root, top) is None:
                closure.external.add(top)
            continue
        if path in seen:
            continue
        seen.add(path)
        parts = name.split(".") if name else []
        todo += [(".".join(parts[:i]), None) for i in range(1, len(parts))]  # enclosing packages run too
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += [(target, None) for target in _imports(path, package)]
    closure.files = sorted(seen)
    return closure


def _imports(path: Path, package: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: level 1 is this package, each extra level one up
                anchor = package.split(".")
                anchor = anchor[: max(len(anchor) - node.level + 1, 0)]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import name` may name a submodule as well as an attribute
            found += [target] + [f"{target}.{alias.name}" for alias in node.names]
    return found


def imported_files(root: Path, module: str) -> list[Path]:
    """The workspace's own source files that importing ``module`` can execute (see import_closure)."""
    return import_closure(root, [module]).files


@cache
def _distributions_of() -> dict[str, tuple[str, ...]]:
    return {top: tuple(sorted(set(dists))) for top, dists in metadata.packages_distributions().items()}


@cache
def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "missing"


def third_party_versions(modules: set[str]) -> dict[str, str]:
    """Installed distribution versions for top-level module names, read from metadata (no import).

    A module no installed distribution provides is recorded as ``missing`` so installing it later
    changes the key. Python's own version (major.minor) is always part of it.
    """
    owners = _distributions_of()
    versions = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for top in sorted(modules):
        for dist in owners.get(top, ()):
            versions[_normalise(dist)] = _version(dist)
        if top not in owners:
            versions[f"module:{top}"] = "missing"
    return versions


def _normalise(distribution: str) -> str:
    # PEP 503: metadata spells one distribution tensorflow_cpu, tensorflow-cpu or TensorFlow-CPU.
    return re.sub(r"[-_.]+", "-", distribution).lower()


def file_hashes(paths: list[Path], root: Path) -> dict[str, str]:
    """``{path relative to root: sha256 of its bytes}``, in path order."""
    return {os.path.relpath(p, root).replace(os.sep, "/"): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def python_files(base: Path, skip: Path | None = None) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") and Path(dirpath, d) != skip
        )
        found.extend(Path(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return found


def installed_module_files(top: str) -> tuple[list[Path], Path] | None:
    """The source files of an installed top-level module, and the directory they are relative to."""
    spec = importlib.util.find_spec(top)  # top-level: locates without importing
    if spec is None:
        return None
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
        return python_files(base), base
    if spec.origin and os.path.isfile(spec.origin):
        return [Path(spec.origin)], Path(spec.origin).parent
    return None


def digest(parts: dict[str, Any]) -> str:
    """The cache key: a hash of the parts, independent of dict order."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
