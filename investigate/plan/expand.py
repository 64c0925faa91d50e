"""Expand a hypothesis' experiment into runs and compute each run's cache key before it runs.

merged params = experiment.params ∪ matrix point ∪ arm overrides (later wins), then ``--profile``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.core.limits import too_many_runs
from investigate.formats.schema import Hypothesis
from investigate.plan.commandline import command_argv, command_env, command_tokens, runtime_options, script_tokens
from investigate.plan.fingerprint import (
    digest,
    file_hashes,
    import_closure,
    imported_files,
    installed_module_files,
    python_files,
    third_party_versions,
)
from investigate.plan.keyparts import optional_parts
from investigate.plan.overrides import apply_overrides
from investigate.plan.planned import PlannedRun
from investigate.rules.hypcheck import hypothesis_checks
from investigate.workspace.load import Workspace

__all__ = ["Filters", "PlannedRun", "accepts", "cache_key", "expand", "format_command", "imported_files", "parse_where"]


@dataclass
class Filters:
    where: dict[str, list[str]] = field(default_factory=dict)  # matrix key -> accepted values (as text)
    seeds: list[int] | None = None
    profile: str | None = None
    arms: list[str] | None = None  # run --arm: only these arms
    overrides: dict[str, Any] = field(default_factory=dict)  # run -p/--set (plan.overrides.parse_overrides)


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
    # a metric typo or a `where` no run matches would only show as an untested verdict after the
    # runs; placeholders are checked per run below, by format_command
    for check in hypothesis_checks(hyp, ws.error_at, placeholders=False):
        check()
    for key in filters.where:
        if key not in exp.matrix:
            known = ", ".join(exp.matrix) or "none"
            raise InvestigateError(f"{hyp.id}: --where {key}=...: not a matrix key (matrix keys: {known})")
    # --where filters each key on its own, so filtering the values before the product gives the
    # same points in the same order, and the count below is that of what would be built.
    keys = list(exp.matrix)
    values = {k: [v for v in exp.matrix[k] if k not in filters.where or accepts(v, filters.where[k])] for k in keys}
    arms = exp.arms or {"default": {}}
    if filters.arms is not None:
        for name in filters.arms:
            if name not in arms:
                raise UnknownIdError(f"arm of {hyp.id}", name, list(arms))
        arms = {name: overrides for name, overrides in arms.items() if name in filters.arms}
    seeds = filters.seeds if filters.seeds is not None else exp.seeds
    too_many = too_many_runs([len(values[k]) for k in keys], len(arms), len(seeds), ws.max_runs)
    if too_many is not None:
        raise InvestigateError(f"{hyp.id}: {too_many}")
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(values[k] for k in keys))]
    argv = command_tokens(hyp.id, exp.command) if exp.command else []
    runtime = runtime_options(exp)
    runs = []
    for point in points:
        for arm, overrides in arms.items():
            for seed in seeds:
                params = {**exp.params, **point, **overrides}
                if filters.profile is not None:
                    params["profile"] = filters.profile
                if filters.overrides:
                    params = apply_overrides(params, filters.overrides, hyp.id)
                entry = exp.run or exp.command or ""
                run = PlannedRun(
                    hyp.id, entry, "run" if exp.run else "command", arm, point, seed, params, exp.timeout_s, argv,
                    runtime=dict(runtime), overrides=dict(filters.overrides),
                )  # fmt: skip
                if argv:
                    format_command(run, Path("RUN_DIR"))  # fail before anything runs on a bad placeholder
                command_env(run, Path("RUN_DIR"))
                run.cache_key = cache_key(ws, run)
                runs.append(run)
    return runs


def accepts(value: Any, accepted: list[str]) -> bool:
    """``--where`` text matches a matrix value as written or as YAML reads it (``2`` = 2.0, ``1e5`` = 100000.0)."""
    import yaml

    from investigate.formats.yamlio import loads

    for text in accepted:
        if str(value) == text:
            return True
        try:
            parsed = loads(text)
        except yaml.YAMLError:
            continue
        if parsed == value and isinstance(parsed, bool) == isinstance(value, bool):
            return True
    return False


def format_command(run: PlannedRun, run_dir: Path, root: Path | None = None) -> list[str]:
    """The run's argv (see ``commandline``: per-token placeholders, optional tokens, shell, python)."""
    return command_argv(run, run_dir, root)


# ---- cache keys ------------------------------------------------------------------------------


def cache_key(ws: Workspace, run: PlannedRun) -> str:
    """The run's key; its parts stay on ``run.key_parts`` so a miss can be explained."""
    source, versions = dependencies(ws, run)
    # Parts a newer feature adds (runtime settings, [tool.investigate] source_roots) join only when
    # set, so every key computed without them stays what it was.
    recorded, hashed = optional_parts(ws, run)
    base = {"entry": run.entry, "params": run.params, "seed": run.seed}
    run.key_parts = {**base, "source": source, "versions": versions, **recorded}
    return digest({**base, "source": digest(source), "versions": versions, **hashed})


def dependencies(ws: Workspace, run: PlannedRun) -> tuple[dict[str, str], dict[str, str]]:
    """(sha256 per source file the run can execute, versions of the distributions it imports).

    Memoized per loaded workspace (``ws.memo``), not per process: a long-lived process (``serve``,
    a test) that loads the workspace again sees the files as they are now.
    """
    known: dict[tuple[str, str], tuple[dict[str, str], dict[str, str]]] = ws.memo.setdefault("dependencies", {})
    if run.kind == "run":
        module = run.entry.split(":", 1)[0]
        memo = (str(ws.root), "mod:" + module)
        if memo not in known:
            known[memo] = _module_dependencies(ws.root, module)
        return known[memo]
    named = [ws.root / t for t in script_tokens(run) if "{" not in t and (ws.root / t).is_file()]
    memo = (str(ws.root), "cmd:" + " ".join(map(str, named)))
    if memo not in known:
        # A command may run anything; its named scripts' imports give the packages, and every
        # workspace Python file stands in for what the scripts might load dynamically.
        scripts = [p for p in named if p.suffix == ".py"]
        closure = import_closure(ws.root, [], scripts)
        files = sorted(set(named) | set(python_files(ws.root, skip=ws.reports_dir)))
        known[memo] = (file_hashes(files, ws.root), third_party_versions(closure.external))
    return known[memo]


def _module_dependencies(root: Path, module: str) -> tuple[dict[str, str], dict[str, str]]:
    closure = import_closure(root, [module])
    if closure.files:
        return file_hashes(closure.files, root), third_party_versions(closure.external)
    # The entry module is installed, not a workspace file: hash its installed sources.
    top = module.split(".", 1)[0]
    located = installed_module_files(top)
    if located is None:
        return {f"missing:{top}": ""}, third_party_versions({top})
    files, base = located
    return {f"{top}/{k}": v for k, v in file_hashes(files, base).items()}, third_party_versions({top})
