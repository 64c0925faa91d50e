"""Does ``run: module:function`` name a function that exists? Answered without importing anything.

Importing the subject to check one name would load TensorFlow (seconds, and the core must never
import it), so the module's source is found and parsed instead:

1. ``module`` under the workspace root (``a/b.py`` or ``a/b/__init__.py``), the way a run imports
   it; else the installed top-level package located with ``importlib.util.find_spec`` (which, for
   a top-level name, locates without importing) and the rest of the dotted path below it;
2. the file parsed with ``ast``; the name must be bound at module level: a ``def``, a class, an
   assignment or an import (``from .core import run`` re-exports count), inside ``if``/``try``
   blocks too. A module with ``from x import *`` or a module-level ``__getattr__`` may define
   anything, so it passes; so does a compiled module, which has no source to read.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

UNKNOWN = Path("<compiled>")  # a module found without readable source: nothing to check


def entry_problem(root: Path, entry: str, cache: dict[Path, tuple[set[str], bool] | str] | None = None) -> str | None:
    """Why ``module:function`` cannot be called, or None when it can (as far as the source shows)."""
    module, _, function = entry.partition(":")
    path = module_source(root, module)
    if path is None:
        close = _similar_modules(root, module)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"module {module!r} not found under the workspace root or among the installed packages{hint}"
    if path == UNKNOWN:
        return None
    cache = {} if cache is None else cache
    if path not in cache:
        cache[path] = _bound_names(path)
    found = cache[path]
    if isinstance(found, str):
        return f"module {module!r} cannot be parsed: {found}"
    names, dynamic = found
    if function in names or dynamic:
        return None
    callables = sorted(n for n in names if not n.startswith("_"))
    close = difflib.get_close_matches(function, callables, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"module {module!r} has no function {function!r}{hint}"


def module_source(root: Path, module: str) -> Path | None:
    """The source file of ``module``: UNKNOWN when it exists without one, None when it does not exist."""
    parts = module.split(".")
    if (root / parts[0]).is_dir() or (root / f"{parts[0]}.py").is_file():
        return _below([root], parts)
    if parts[0] in sys.stdlib_module_names:  # importing a standard-library parent is cheap and harmless
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
        return None if spec is None else (Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else UNKNOWN)
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations is not None:
        if len(parts) == 1:
            return Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else UNKNOWN
        return _below([Path(p) for p in spec.submodule_search_locations], parts[1:])
    if len(parts) > 1:
        return None  # a plain module has no submodules
    return Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else UNKNOWN


def _below(locations: list[Path], parts: list[str]) -> Path | None:
    """Walk ``parts`` down from package directories; the last part is a module or a package."""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        found: list[Path] = []
        for base in locations:
            package = base / part
            if last and (base / f"{part}.py").is_file():
                return base / f"{part}.py"
            if package.is_dir():
                found.append(package)
            elif last and (any(base.glob(f"{part}.*.so")) or any(base.glob(f"{part}.*.pyd"))):
                return UNKNOWN
        if not found:
            return None
        if last:
            init = found[0] / "__init__.py"
            return init if init.is_file() else UNKNOWN  # a namespace package defines nothing itself
        locations = found
    return None


def _similar_modules(root: Path, module: str) -> list[str]:
    """Modules beside the missing one (in the deepest package that exists), closest names first."""
    parts = module.split(".")
    parent = ".".join(parts[:-1])
    if not parent:
        return []
    base = module_source(root, parent)
    if base is None or base == UNKNOWN or base.name != "__init__.py":
        return _similar_modules(root, parent) if len(parts) > 2 else []
    siblings = [p.stem for p in base.parent.glob("*.py") if p.name != "__init__.py"]
    siblings += [p.name for p in base.parent.iterdir() if (p / "__init__.py").is_file()]
    return [f"{parent}.{name}" for name in difflib.get_close_matches(parts[-1], siblings, n=2, cutoff=0.6)]


def _bound_names(path: Path) -> tuple[set[str], bool] | str:
    """Names bound at module level, and whether the module can bind names this cannot see."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        return str(exc)
    names: set[str] = set()
    dynamic = False
    for node in _module_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            dynamic = dynamic or node.name == "__getattr__"
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".", 1)[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            dynamic = dynamic or any(a.name == "*" for a in node.names)
            names.update(a.asname or a.name for a in node.names)
    return names, dynamic


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import: the body, and the bodies of its if / try / with blocks."""
    todo = list(reversed(body))
    while todo:
        node = todo.pop()
        yield node
        blocks: list[list[ast.stmt]] = []
        if isinstance(node, ast.If):
            blocks = [node.body, node.orelse]
        elif isinstance(node, ast.Try):
            blocks = [node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)]
        elif isinstance(node, ast.With):
            blocks = [node.body]
        for block in reversed(blocks):
            todo.extend(reversed(block))
