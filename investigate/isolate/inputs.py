"""What ``investigate isolate`` isolates: the two configurations, the entry point, the test, the seeds.

A configuration is a YAML file holding a mapping of params, or (with ``--hypothesis H-X``) an arm
of H-X: its ``experiment.params`` ∪ matrix point ∪ arm overrides, exactly the params
``investigate run H-X`` gives that arm, so runs already recorded for it are cache hits.

How the runs execute (``experiment.shell`` / ``python`` / ``env`` / ``cwd``) is H-X's, and
``--python`` / ``--env KEY=VALUE`` / ``--cwd`` set or override them (with ``--entry`` they are the
only source). They are validated by the hypothesis model itself, so a bad value reads the same as
in a hypothesis file, and they enter the cache key as they do for ``investigate run``.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from investigate.core.errors import InvestigateError, ValidationError
from investigate.formats.schema import ENTRY_POINT, Experiment, Hypothesis
from investigate.formats.yamlio import load_yaml, loads
from investigate.isolate.configs import flatten
from investigate.isolate.rules import TestRule, parse_rules
from investigate.plan.commandline import runtime_options
from investigate.plan.expand import parse_where
from investigate.workspace.load import Workspace

DEFAULT_TIMEOUT_S = 900.0


@dataclass
class IsolationSpec:
    entry: str  # "module:function" or a command template
    good: dict[str, Any]
    bad: dict[str, Any]
    good_name: str  # as shown to the user: a file or "H-X arm NAME"
    bad_name: str
    rules: list[TestRule]
    timeout_s: float = DEFAULT_TIMEOUT_S
    point: dict[str, Any] = field(default_factory=dict)  # the hypothesis' matrix point, if any
    seeds: list[int] = field(default_factory=lambda: [0])  # replicate k runs with seeds[k]
    hypothesis: Hypothesis | None = None
    runtime: dict[str, Any] = field(default_factory=dict)  # shell/python/env/cwd that differ from the defaults

    @property
    def kind(self) -> str:
        return "run" if ENTRY_POINT.match(self.entry) else "command"

    @property
    def argv(self) -> list[str]:
        if self.kind == "run":
            return []
        try:
            return shlex.split(self.entry)
        except ValueError as exc:
            raise InvestigateError(f"--entry: {exc}") from None

    @property
    def label(self) -> str:
        """The records' hypothesis name: one per (entry, good, bad), so a re-run lands beside the first."""
        payload = json.dumps({"entry": self.entry, "good": self.good, "bad": self.bad}, sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:8].upper()
        origin = f"{self.hypothesis.id}-" if self.hypothesis is not None else ""
        return f"ISOLATE-{origin}{digest}"


def build_spec(
    ws: Workspace,
    good: str,
    bad: str,
    *,
    entry: str | None = None,
    hypothesis: str | None = None,
    test: str | None = None,
    where: Sequence[str] = (),
    timeout_s: float | None = None,
    settings: dict[str, Any] | None = None,
) -> IsolationSpec:
    """``settings``: ``python`` / ``env`` / ``cwd`` given as options, over H-X's own."""
    hyp = ws.hypothesis(hypothesis) if hypothesis else None
    exp = hyp.experiment if hyp is not None else None
    if hyp is not None and exp is None:
        raise InvestigateError(f"{hyp.id} has no experiment: its arms cannot be configurations")
    point = _point(hyp, where) if hyp is not None else {}
    if where and hyp is None:
        raise InvestigateError("--where picks a matrix point of --hypothesis H-X; without it there is no matrix")
    good_cfg, good_name = _config(ws, good, hyp, point, "--good")
    bad_cfg, bad_name = _config(ws, bad, hyp, point, "--bad")
    chosen = entry or (exp.run or exp.command if exp is not None else None)
    if not chosen:
        raise InvestigateError("name the experiment to run: --entry module:function, or --hypothesis H-X")
    runtime = _runtime(chosen, exp, settings)
    return IsolationSpec(
        entry=chosen,
        good=good_cfg,
        bad=bad_cfg,
        good_name=good_name,
        bad_name=bad_name,
        rules=_rules(test, hyp),
        timeout_s=timeout_s or (exp.timeout_s if exp is not None else DEFAULT_TIMEOUT_S),
        point=point,
        seeds=list(exp.seeds) if exp is not None else [0],
        hypothesis=hyp,
        runtime=runtime,
    )


def _runtime(entry: str, exp: Experiment | None, settings: dict[str, Any] | None) -> dict[str, Any]:
    """The runtime settings of the runs: ``exp``'s (when its entry is the one run), then the options."""
    own = {k: v for k, v in (exp.model_dump() if exp is not None else {}).items() if k in ("shell", "python", "cwd")}
    own["env"] = dict(exp.env or {}) if exp is not None else {}
    given = settings or {}
    merged = {**own, **{k: v for k, v in given.items() if k != "env" and v is not None}}
    merged["env"] = {**own["env"], **(given.get("env") or {})} or None
    kind = "run" if ENTRY_POINT.match(entry) else "command"
    try:
        checked = Experiment.model_validate({kind: entry, **merged})
    except ValueError as exc:
        raise InvestigateError(f"isolate: {_first_error(exc)}") from None
    return runtime_options(checked)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where + ': ' if where else ''}{str(first.get('msg', exc)).removeprefix('Value error, ')}"
    return str(exc)


def _point(hyp: Hypothesis, where: Sequence[str]) -> dict[str, Any]:
    """The one matrix point the arms are taken at: single-valued keys need no --where."""
    assert hyp.experiment is not None
    wanted = parse_where(list(where))
    for key in wanted:
        if key not in hyp.experiment.matrix:
            known = ", ".join(hyp.experiment.matrix) or "none"
            raise InvestigateError(f"{hyp.id}: --where {key}=...: not a matrix key (matrix keys: {known})")
    point = {}
    for key, values in hyp.experiment.matrix.items():
        chosen = [v for v in values if any(_same(v, text) for text in wanted.get(key, []))] if key in wanted else values
        if len(chosen) != 1:
            shown = ", ".join(map(str, values))
            raise InvestigateError(f"{hyp.id}: pick one {key} with --where {key}=VALUE (one of {shown})")
        point[key] = chosen[0]
    return point


def _same(value: Any, text: str) -> bool:
    if str(value) == text:
        return True
    try:
        parsed = loads(text)
    except yaml.YAMLError:
        return False
    return bool(parsed == value and isinstance(parsed, bool) == isinstance(value, bool))


def _config(
    ws: Workspace, name: str, hyp: Hypothesis | None, point: dict[str, Any], option: str
) -> tuple[dict[str, Any], str]:
    exp = hyp.experiment if hyp is not None else None
    if exp is not None and name in exp.arms:
        return {**exp.params, **point, **exp.arms[name]}, f"{hyp.id if hyp else ''} arm {name}"
    path = Path(name)
    if not path.is_file() and not path.is_absolute() and (ws.root / path).is_file():
        path = ws.root / path  # a path from the workspace root works from anywhere inside it
    if not path.is_file():
        arms = f"neither an arm of {hyp.id} ({', '.join(exp.arms) or 'none'}) nor" if exp is not None and hyp else "not"
        raise InvestigateError(f"{option} {name}: {arms} a YAML file of params")
    shown = ws.relative(path)
    data = load_yaml(path, shown)
    if not isinstance(data, dict):
        raise ValidationError(shown, 1, "", f"expected a mapping of params, got {type(data).__name__}")
    try:
        flatten(data)  # keys must be text without dots: refuse now, not in the middle of a search
    except InvestigateError as exc:
        raise ValidationError(shown, None, "", str(exc)) from None
    return data, shown


def _rules(test: str | None, hyp: Hypothesis | None) -> list[TestRule]:
    if test is not None:
        try:
            data = loads(test)
        except yaml.YAMLError as exc:
            raise InvestigateError(f"--test: not YAML: {exc}") from None
        return parse_rules(data, "--test")
    if hyp is not None and hyp.fix is not None and hyp.fix.verified_by is not None:
        rule = hyp.fix.verified_by.model_dump(by_alias=True, exclude_unset=True)
        return parse_rules(rule, f"{hyp.id}: fix.verified_by (give --test instead)")
    where = f"; {hyp.id} has no fix.verified_by to take it from" if hyp is not None else ""
    raise InvestigateError(f"give the test a run passes, e.g. --test '{{metric: trains_clean, equals: true}}'{where}")
