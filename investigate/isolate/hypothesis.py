"""Write the isolated difference as a hypothesis file whose two arms differ only in the culprit keys.

Arms merge over ``params`` one top-level key at a time (``plan.expand``), so each arm carries the
whole top-level sections that hold a culprit key and ``params`` carries every other section. The
arms then differ exactly in the culprit keys, and every other setting is the good configuration's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from investigate.core.errors import InvestigateError
from investigate.formats.schema import ENTRY_POINT, HYPOTHESIS_ID, Hypothesis
from investigate.isolate.configs import ABSENT, apply_deltas, flatten
from investigate.isolate.rules import TestRule
from investigate.isolate.search import IsolationResult


def hypothesis_yaml(
    result: IsolationResult,
    entry: str,
    good: Mapping[str, Any],
    bad: Mapping[str, Any],
    id: str,  # noqa: A002 - the hypothesis file's own key
    *,
    rule: TestRule | Mapping[str, Any] | Sequence[TestRule],
    title: str | None = None,
    initiative: str | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    timeout_s: float | None = None,
) -> str:
    """The hypothesis file's text; ``entry`` is ``module:function`` or a shell command template.

    ``rule`` is the test a run passes: one condition, or several that must all hold.

    ``good`` and ``bad`` must be the configurations the result's deltas were computed from; a
    mismatch (e.g. a result loaded for other files) is refused rather than written as evidence.
    """
    _check_endpoints(result, good, bad)
    if not HYPOTHESIS_ID.match(id):
        raise InvestigateError(f"{id!r} is not a hypothesis id like H-CONFIG")
    if not result.culprits:
        raise InvestigateError("the isolation found no culprit keys to write a hypothesis about")
    tests = _rules(rule)
    keys = result.keys
    touched = list(dict.fromkeys(k.split(".", 1)[0] for k in keys))
    failing = apply_deltas(good, result.deltas, keys)
    params = {k: v for k, v in good.items() if k not in touched}
    arms = {
        "good": {s: good[s] for s in touched if s in good},
        "bad": {s: failing[s] for s in touched if s in failing},
    }
    experiment: dict[str, Any] = {"run" if ENTRY_POINT.match(entry) else "command": entry}
    experiment.update(params=params, arms=arms, seeds=list(seeds))
    if timeout_s is not None:
        experiment["timeout_s"] = timeout_s
    data: dict[str, Any] = {"id": id, "title": title or f"Isolated difference: {', '.join(keys)}"}
    if initiative:
        data["initiative"] = initiative
    data.update(
        statement=_statement(result),
        prediction=(
            f"Arm good satisfies {' and '.join(map(_rule_text, tests))} in every seed; arm bad, which differs only in "
            f"{', '.join(keys)}, fails it in at least one seed."
        ),
        experiment=experiment,
        verdict=_verdict(tests),
        notes=f"Written by investigate isolate after {result.tests} tested configurations ({result.runs} runs).",
    )
    Hypothesis.model_validate(data)  # the file must load; a failure here is a bug in this module
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _check_endpoints(result: IsolationResult, good: Mapping[str, Any], bad: Mapping[str, Any]) -> None:
    flat_good, flat_bad = flatten(good), flatten(bad)
    for d in result.culprits:
        if flat_good.get(d.key, ABSENT) != d.good or flat_bad.get(d.key, ABSENT) != d.bad:
            raise InvestigateError(f"{d.key}: the isolation result does not match the good/bad configurations given")


def _statement(result: IsolationResult) -> str:
    changes = "; ".join(f"{d.key}: {_show(d.good)} -> {_show(d.bad)}" for d in result.culprits)
    minimal = " Removing any one of them makes the failure disappear." if result.minimal else ""
    return (
        f"Of the {len(result.deltas)} settings that differ between the good and the bad configuration, "
        f"these are enough to make the good one fail: {changes}.{minimal}"
    )


def _show(value: Any) -> str:
    return "absent" if value is ABSENT else repr(value)


def _rule_text(rule: TestRule) -> str:
    # JSON spells values as the YAML file does (true, null), where repr would say True / None.
    return f"{rule.metric} {rule.op} {json.dumps(list(rule.target) if rule.op == 'between' else rule.target)}"


def _rules(rule: TestRule | Mapping[str, Any] | Sequence[TestRule]) -> list[TestRule]:
    if isinstance(rule, TestRule):
        return [rule]
    if isinstance(rule, Mapping):
        return [TestRule.parse(rule)]
    if not rule or not all(isinstance(r, TestRule) for r in rule):
        raise InvestigateError("the test rule needs at least one condition")
    return list(rule)


def _verdict(rules: list[TestRule]) -> dict[str, Any]:
    # "The run passes" is the test rule; a failing run is its negation, expressed with `not`
    # because a comparison like equals has no negated form in the rule language.
    def passes_all(arm: str) -> dict[str, Any]:
        conditions = [{"arm": arm, **r.as_condition(), "over": "all"} for r in rules]
        return conditions[0] if len(conditions) == 1 else {"all": conditions}

    return {
        "confirmed": {"all": [passes_all("good"), {"not": passes_all("bad")}]},
        "ruled_out": {"any": [{"not": passes_all("good")}, passes_all("bad")]},
    }
