"""Find the workspace, load and cross-check every hypothesis and initiative file.

A workspace is the directory holding ``pyproject.toml`` with ``[tool.investigate]`` (or simply a
``hypotheses/`` directory). Errors name the file relative to the root, the line and the key path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from investigate.core.errors import InvestigateError, KeyPath, UnknownIdError, ValidationError, WorkspaceErrors, located
from investigate.core.limits import MAX_RUNS, MAX_YAML_BYTES, too_many_runs
from investigate.formats.schema import Hypothesis, Initiative
from investigate.formats.yamlio import line_map, nearest_line, to_validation_error
from investigate.workspace import parsecache
from investigate.workspace.checks import cross_checks
from investigate.workspace.dirs import file_id, workspace_dirs
from investigate.workspace.dirs import find_root as find_root
from investigate.workspace.lazymodels import Head, Hypotheses


@dataclass
class Workspace:
    root: Path
    hypotheses_dir: Path
    plans_dir: Path
    reports_dir: Path
    max_runs: int = MAX_RUNS  # runs one experiment may expand to ([tool.investigate] max_runs)
    max_yaml_bytes: int = MAX_YAML_BYTES  # size of one YAML file ([tool.investigate] max_yaml_bytes)
    settings: dict[str, Any] = field(default_factory=dict)  # all of [tool.investigate], e.g. executor
    source_roots: list[str] = field(default_factory=list)  # code outside the workspace runs depend on
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # facts computed once per load
    hypotheses: Hypotheses = field(default_factory=Hypotheses)
    initiatives: dict[str, Initiative] = field(default_factory=dict)
    _sources: dict[str, str] = field(default_factory=dict, repr=False)  # id -> absolute path
    _lines: dict[Path, dict[KeyPath, int]] = field(default_factory=dict, repr=False)

    def hypothesis(self, id: str) -> Hypothesis:  # noqa: A002 - the documented API name
        if id not in self.hypotheses:
            raise UnknownIdError("hypothesis", id, sorted(self.hypotheses))
        return self.hypotheses[id]

    def initiative(self, id: str) -> Initiative:  # noqa: A002
        if id not in self.initiatives:
            raise UnknownIdError("initiative", id, sorted(self.initiatives))
        return self.initiatives[id]

    def source_path(self, id: str) -> Path:  # noqa: A002
        """The file a hypothesis or initiative was loaded from."""
        return Path(self.source_file(id))

    def source_file(self, id: str) -> str:  # noqa: A002
        """``source_path`` as a string: what a loop over 10,000 hypotheses can afford."""
        if id not in self._sources:
            raise UnknownIdError("hypothesis or initiative", id, sorted(self._sources))
        return self._sources[id]

    def line_of(self, id: str, *key_path: Any) -> int | None:  # noqa: A002
        """1-based line of ``key_path`` in the file of ``id`` (nearest existing parent if absent)."""
        path = self.source_path(id)
        if path not in self._lines:
            self._lines[path] = line_map(path, self.relative(path), self.max_yaml_bytes)
        return nearest_line(self._lines[path], tuple(key_path))

    def error_at(self, id: str, key_path: KeyPath, reason: str) -> ValidationError:  # noqa: A002
        """``reason`` located at ``key_path`` in the file of hypothesis or initiative ``id``."""
        return located(self.relative(self.source_path(id)), self.line_of(id, *key_path), key_path, reason)

    def relative_file(self, path: str) -> str:
        """``relative`` for a path the loader listed (absolute, under the root): a string slice."""
        root = str(self.root) + os.sep
        return path[len(root) :].replace(os.sep, "/") if path.startswith(root) else self.relative(Path(path))

    def relative(self, path: Path) -> str:
        # Files the loader lists are already absolute under the (resolved) root: resolving each of
        # 10,000 again was a third of a warm `status`. Anything else (relative, symlinked) resolves.
        if path.is_absolute() and ".." not in path.parts:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


# More checks for ``validate`` that live above this layer (source roots need the planner's file
# lists): given the loaded workspace, the checks to attempt.
ExtraChecks = Callable[["Workspace"], Iterable[Callable[[], object]]]


def load_workspace(
    start: Path | None = None, *, all_errors: bool = False, extra: ExtraChecks | None = None
) -> Workspace:
    """Load and check the workspace. Raises the first error, or all of them with ``all_errors``.

    ``all_errors`` is ``validate``: it also reports what would only fail later, when a command
    expands an experiment over ``max_runs``, a run imports an entry point that does not exist, or
    a rule names an undeclared metric or a ``where`` no run matches (``hypcheck``).
    Other commands still load such a file, so ``show`` and ``list`` keep working on it and ``run``
    refuses it (or a ``--where`` subset over the limit).
    """
    dirs = workspace_dirs(start)
    table = dirs.table
    ws = Workspace(dirs.root, dirs.hypotheses, dirs.plans, dirs.reports, settings=table)
    ws.max_runs = _positive_int(table, "max_runs", MAX_RUNS)
    ws.max_yaml_bytes = _positive_int(table, "max_yaml_bytes", MAX_YAML_BYTES)
    ws.source_roots = _strings(table, "source_roots")
    errors: list[InvestigateError] = []

    def attempt(fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except InvestigateError as exc:
            if not all_errors:
                raise
            errors.append(exc)

    heads = parsecache.cache_of(ws).heads
    for path in parsecache.listed_hypotheses(ws):
        attempt(_load_hypothesis, ws, path, heads.get(path))
    for ini_path in _initiative_files(ws.plans_dir):
        attempt(_load_initiative, ws, ini_path)
    for check in cross_checks(ws.hypotheses, ws.initiatives, ws.error_at):
        attempt(check)
    if all_errors:  # `validate`: its checks are imported only for it
        from investigate.rules.hypcheck import hypothesis_checks, verification_checks

        parsed: dict[Path, Any] = {}  # each entry module is parsed once
        for hyp in list(ws.hypotheses.values()):
            attempt(_check_run_count, ws, hyp)
            attempt(_check_entry, ws, hyp, parsed)
            attempt(_check_python, ws, hyp)
            for check in hypothesis_checks(hyp, ws.error_at):
                attempt(check)
        for ini in list(ws.initiatives.values()):
            for check in verification_checks(ini, ws.hypotheses, ws.error_at):
                attempt(check)
        for more in extra(ws) if extra is not None else ():
            attempt(more)
    parsecache.save(ws)
    if errors:
        raise WorkspaceErrors(errors)
    return ws


def _positive_int(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvestigateError(f"pyproject.toml: tool.investigate.{key}: expected a positive integer, got {value!r}")
    return value


def _strings(table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvestigateError(f"pyproject.toml: tool.investigate.{key}: expected a list of non-empty strings")
    return list(dict.fromkeys(value))


def _check_run_count(ws: Workspace, hyp: Hypothesis) -> None:
    exp = hyp.experiment
    if exp is None:
        return
    sizes = [len(values) for values in exp.matrix.values()]
    reason = too_many_runs(sizes, len(exp.arm_names), len(exp.seeds), ws.max_runs)
    if reason is not None:
        raise ws.error_at(hyp.id, ("experiment", "matrix") if exp.matrix else ("experiment",), reason)


def _check_entry(ws: Workspace, hyp: Hypothesis, parsed: dict[Path, Any]) -> None:
    """``experiment.run`` names a function that exists (found statically: nothing is imported)."""
    if hyp.experiment is None or hyp.experiment.run is None:
        return
    from investigate.workspace.entrypoints import entry_problem

    problem = entry_problem(ws.root, hyp.experiment.run, parsed)
    if problem is not None:
        raise ws.error_at(hyp.id, ("experiment", "run"), problem)


def _check_python(ws: Workspace, hyp: Hypothesis) -> None:
    """``experiment.python`` names an interpreter that exists: a path (from the workspace root) to an
    executable file, or a bare name found on PATH. (``run`` asks it more: plan.interpreter.)"""
    import os
    import shutil

    python = hyp.experiment.python if hyp.experiment is not None else None
    if python is None:
        return
    expanded = os.path.expanduser(python)
    if "/" not in expanded:
        if shutil.which(expanded) is None:
            raise ws.error_at(hyp.id, ("experiment", "python"), f"{python!r} is not found on PATH")
        return
    path = ws.root / expanded  # an absolute path stays itself
    if not path.is_file():
        missing = "does not exist" if not path.exists() else "is not a file"
        raise ws.error_at(hyp.id, ("experiment", "python"), f"{python} {missing} (resolved to {path})")
    if not os.access(path, os.X_OK):
        raise ws.error_at(hyp.id, ("experiment", "python"), f"{python} is not executable (resolved to {path})")


def _initiative_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*/initiative.yaml") if p.is_file())


_UNREAD: Any = object()


def _validate(ws: Workspace, model: type[pydantic.BaseModel], path: Path, data: Any = _UNREAD) -> Any:
    shown = ws.relative(path)
    if data is _UNREAD:
        data = parsecache.load(ws, str(path), shown)  # load_yaml, served from the index when unchanged
    if not isinstance(data, dict):
        raise ValidationError(shown, 1, "", f"expected a mapping of keys, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise to_validation_error(exc, model, data, path, shown, ws.max_yaml_bytes) from None


def _load_hypothesis(ws: Workspace, path: str, head: Head | None) -> None:
    """``head``: the cached head of a file known to validate; its model is built when first used."""
    hyp: Hypothesis | None = None
    if head is None:
        hyp = _validate(ws, Hypothesis, Path(path))
        head = Head.of(hyp)
    expected = file_id(path)
    if head.id != expected:
        raise _error(ws, Path(path), ("id",), f"id {head.id!r} must equal the file name {expected!r}")
    if head.id in ws._sources:
        also = ws.relative(ws.source_path(head.id))
        raise _error(ws, Path(path), ("id",), f"duplicate id {head.id!r} (also in {also})")
    if hyp is None:
        ws.hypotheses.defer(head, lambda: _validate(ws, Hypothesis, Path(path)))
    else:
        parsecache.validated(ws, path, head)
        ws.hypotheses.put(hyp)
    ws._sources[head.id] = path


def _load_initiative(ws: Workspace, path: Path) -> None:
    ini: Initiative = _validate(ws, Initiative, path)
    if ini.id != path.parent.name:
        raise _error(ws, path, ("id",), f"id {ini.id!r} must equal its plan directory name {path.parent.name!r}")
    if ini.id in ws._sources:
        raise _error(ws, path, ("id",), f"id {ini.id!r} is already used by {ws.relative(ws.source_path(ini.id))}")
    ws.initiatives[ini.id] = ini
    ws._sources[ini.id] = str(path)


def _error(ws: Workspace, path: Path, key_path: KeyPath, reason: str) -> ValidationError:
    shown = ws.relative(path)
    return located(shown, nearest_line(line_map(path, shown, ws.max_yaml_bytes), key_path), key_path, reason)
