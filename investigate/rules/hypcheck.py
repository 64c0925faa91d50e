"""Checks of one hypothesis file that need no runs: what would otherwise fail, or silently match
nothing, only after the runs. ``validate`` reports them all; ``run`` refuses a hypothesis that fails
one before it starts anything; other commands load such a file so ``show`` and ``list`` still work.

- Command placeholders: every ``{name}`` in ``experiment.command`` (and in ``experiment.env``
  values) must be set for every arm, by ``params``, the ``matrix``, the arm's overrides, or be
  ``run_dir`` / ``seed`` / ``workspace``. ``{{`` and ``}}`` are literal braces; a lone brace is an error,
  and so is anything but a plain name (``{v.x}``, ``{v[0]}``, ``{v!r}``, ``{v:>9}``): ``run`` refuses
  those too, with the file and line.
- Metric names: when ``experiment.metrics`` lists what the experiment reports, a rule (or the
  initiative's verification table) naming another metric is a typo.
- ``where`` filters: a key no run has, or a value no run can take (``offset: 100000.0`` against a
  matrix of strings ``"1e5"``), leaves the condition untested forever; both are errors.
  (``profile`` is exempt: ``run --profile`` sets it.)
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from investigate.core.errors import KeyPath, ValidationError
from investigate.formats.schema import Experiment, Hypothesis, Initiative, Rule
from investigate.rules.conditions import compare, fmt

Locate = Callable[[str, KeyPath, str], ValidationError]
BUILTIN_PLACEHOLDERS = ("run_dir", "seed", "workspace")
RUNTIME_PARAMS = frozenset({"profile"})  # `run --profile` sets it, whatever the file says


def hypothesis_checks(hyp: Hypothesis, locate: Locate, placeholders: bool = True) -> Iterator[Callable[[], None]]:
    exp = hyp.experiment
    if exp is None:
        return
    templates: list[tuple[str, KeyPath]] = [(exp.command, ("experiment", "command"))] if exp.command else []
    templates += [(v, ("experiment", "env", k)) for k, v in (exp.env or {}).items() if isinstance(v, str)]
    for template, key_path in templates:
        # The form of every placeholder always (run refuses it with file:line); the names only when asked.
        yield _placeholder_check(hyp.id, exp, template, key_path, locate, names=placeholders)
    for rule, path in rule_leaves(hyp):
        if exp.metrics is not None:
            yield _metric_check(hyp.id, exp.metrics, rule, path, locate)
        for key in rule.where or {}:
            yield _where_check(hyp.id, exp, key, (rule.where or {})[key], (*path, "where", key), locate)


def verification_checks(
    ini: Initiative, hypotheses: Mapping[str, Hypothesis], locate: Locate
) -> Iterator[Callable[[], None]]:
    """Each verification table's metrics against the metrics its hypothesis declares."""
    for spec, where in ini.summary.verification_tables if ini.summary else []:
        hyp = hypotheses.get(spec.hypothesis)
        if hyp is None or hyp.experiment is None or hyp.experiment.metrics is None:
            continue
        declared = hyp.experiment.metrics
        for index, metric in enumerate(spec.metrics):
            path = ("summary", "verification", *where, "metrics", index)
            yield _unknown(ini.id, path, metric, declared, f"{hyp.id} declares", locate)


def rule_leaves(hyp: Hypothesis) -> Iterator[tuple[Rule, KeyPath]]:
    """Every condition of the verdict and fix rules with its key path in the file."""
    tops: list[tuple[Rule | None, KeyPath]] = []
    if hyp.verdict is not None:
        tops += [(hyp.verdict.confirmed, ("verdict", "confirmed")), (hyp.verdict.ruled_out, ("verdict", "ruled_out"))]
    if hyp.fix is not None:
        tops.append((hyp.fix.verified_by, ("fix", "verified_by")))
    todo = [(rule, path) for rule, path in reversed(tops) if rule is not None]
    while todo:  # a stack, not recursion: nesting is bounded by the YAML depth limit, but cheaply so
        rule, path = todo.pop()
        if rule.is_condition:
            yield rule, path
            continue
        for name, parts in (("all", rule.all_), ("any", rule.any_)):
            todo += [(part, (*path, name, i)) for i, part in reversed(list(enumerate(parts or [])))]
        if rule.not_ is not None:
            todo.append((rule.not_, (*path, "not")))


PLACEHOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """``template`` as (literal text, placeholder name or None) pairs; ValueError for anything but ``{name}``.

    ``str.format`` would also take ``{run_dir.__class__}``, ``{v[0]}``, ``{v!r}`` and
    ``{seed:>4000000000}`` (4 GB of padding): attribute access, indexing, conversions and format
    specs are refused, so a placeholder can only be replaced by its value's text.
    """
    parts: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            parts.append((literal, None))
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not field:
            raise ValueError("'{}' needs a name: {param}, {run_dir} or {seed}")
        if conversion or spec or not PLACEHOLDER.fullmatch(field):
            raise ValueError(f"placeholder {shown}: only {{name}} is filled (no '.', '[', '!' or ':')")
        parts.append((literal, field))
    return parts


def placeholder_names(command: str) -> list[str]:
    """The names a command template fills, in order; ValueError for a lone brace or a non-plain placeholder."""
    return [name for _, name in template_parts(command) if name is not None]


def _placeholder_check(
    owner: str, exp: Experiment, template: str, path: KeyPath, locate: Locate, names: bool = True
) -> Callable[[], None]:
    return lambda: _placeholders(owner, exp, template, path, locate, names)


def _placeholders(owner: str, exp: Experiment, template: str, path: KeyPath, locate: Locate, check_names: bool) -> None:
    try:
        names = placeholder_names(template)
    except ValueError as exc:
        raise locate(owner, path, f"{exc} (write {{{{ and }}}} for a literal brace)") from None
    if not check_names:
        return
    shared = {*exp.params, *exp.matrix, *BUILTIN_PLACEHOLDERS}
    arms = exp.arms or {"default": {}}
    for name in dict.fromkeys(names):
        missing = [arm for arm, overrides in arms.items() if name not in shared and name not in overrides]
        if len(missing) == len(arms):
            known = sorted(shared | {k for o in arms.values() for k in o})
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {{{close[0]}}}? " if close else ""
            raise locate(owner, path, f"unknown placeholder {{{name}}} ({hint}known: {', '.join(known)})")
        if missing:
            raise locate(owner, path, f"placeholder {{{name}}} is not set for arm(s) {', '.join(missing)}")


def _metric_check(owner: str, declared: list[str], rule: Rule, path: KeyPath, locate: Locate) -> Callable[[], None]:
    return _unknown(owner, (*path, "metric"), str(rule.metric), declared, "experiment.metrics lists", locate)


def _unknown(
    owner: str, path: KeyPath, name: str, declared: list[str], whose: str, locate: Locate
) -> Callable[[], None]:
    def check() -> None:
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise locate(owner, path, f"unknown metric {name!r}{hint}; {whose}: {', '.join(declared)}")

    return check


def possible_values(exp: Experiment, key: str) -> list[Any] | None:
    """The values ``key`` takes in some run's merged params (params ∪ point ∪ arm); None: in no run."""
    values: list[Any] = []
    found = False
    for overrides in (exp.arms or {"default": {}}).values():
        if key in overrides:
            candidates = [overrides[key]]
        elif key in exp.matrix:
            candidates = list(exp.matrix[key])
        elif key in exp.params:
            candidates = [exp.params[key]]
        else:
            continue
        found = True
        values += [v for v in candidates if all(repr(v) != repr(seen) for seen in values)]
    return values if found else None


def _where_check(owner: str, exp: Experiment, key: str, want: Any, path: KeyPath, locate: Locate) -> Callable[[], None]:
    def check() -> None:
        if key in RUNTIME_PARAMS:
            return
        values = possible_values(exp, key)
        if values is None:
            known = sorted({*exp.matrix, *exp.params, *(k for o in exp.arms.values() for k in o)})
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise locate(owner, path, f"no run has {key!r}: not a matrix key, param or arm setting{hint}")
        if not any(compare(have, "equals", want) for have in values):
            shown = ", ".join(_shown(v) for v in values[:8]) + (", …" if len(values) > 8 else "")
            raise locate(owner, path, f"{_shown(want)} matches no run: {key} takes {shown}")

    return check


def _shown(value: Any) -> str:
    # repr for text and floats, so the string '1e5' and the number 100000.0 read differently
    return repr(value) if isinstance(value, (str, float)) else fmt(value)
