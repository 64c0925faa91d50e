"""Tests of delta debugging (investigate.isolate): configs, dd, the culprit search, replicates, output."""

from __future__ import annotations

import copy
import json
import math
import pickle
import random
from collections import Counter

import pytest
import yaml

from investigate.core.errors import InvestigateError
from investigate.formats.schema import Hypothesis
from investigate.isolate import (
    ABSENT,
    IsolationError,
    Outcome,
    ReplicatedTest,
    Tested,
    TestRule,
    apply_deltas,
    compute_deltas,
    flatten,
    hypothesis_yaml,
    isolate,
    parallel,
    run_outcome,
    unflatten,
)
from investigate.isolate.stochastic import beta_cdf

P, F, U = Outcome.PASS, Outcome.FAIL, Outcome.UNRESOLVED


def flat_deltas(n: int):
    return compute_deltas({f"k{i}": 0 for i in range(n)}, {f"k{i}": 1 for i in range(n)})


class Recorder:
    """A test function that fails when ``culprits`` are all applied, and remembers every call."""

    def __init__(self, culprits: set[str], unresolved=lambda keys: False) -> None:
        self.culprits, self.unresolved, self.calls = culprits, unresolved, []

    def __call__(self, keys: frozenset[str]) -> Outcome:
        self.calls.append(keys)
        if self.unresolved(keys):
            return U
        return F if self.culprits <= keys else P


# --- configurations -------------------------------------------------------------------------


def test_flatten_unflatten_round_trip_with_nested_and_one_sided_keys():
    good = {"model": {"lr": 0.1, "opt": {"name": "adam", "beta": 0.9}}, "data": {"n": 8}, "seed": 1, "tags": {}}
    bad = {"model": {"lr": 0.1, "opt": {"name": "sgd"}, "clip": 1.0}, "data": {"n": 8}, "seed": True, "tags": {}}
    assert unflatten(flatten(good)) == good
    assert flatten(good)["model.opt.beta"] == 0.9
    deltas = {d.key: d for d in compute_deltas(good, bad)}
    assert set(deltas) == {"model.opt.name", "model.opt.beta", "model.clip", "seed"}  # True != 1 for a user
    assert deltas["model.clip"].good is ABSENT and deltas["model.opt.beta"].bad is ABSENT
    result = isolate(list(deltas.values()), lambda keys: F if "model.clip" in keys else P)
    as_json = json.loads(json.dumps(result.to_json()))
    assert as_json["culprits"] == [{"key": "model.clip", "good": None, "bad": 1.0, "absent": "good"}]
    assert apply_deltas(good, list(deltas.values()), list(deltas)) == bad
    assert apply_deltas(good, list(deltas.values()), []) == good
    assert apply_deltas(good, list(deltas.values()), ["model.opt.beta"])["model"]["opt"] == {"name": "adam"}
    assert pickle.loads(pickle.dumps(ABSENT)) is ABSENT and copy.deepcopy(ABSENT) is ABSENT


def test_flatten_refuses_dotted_keys_and_apply_refuses_unknown_keys():
    with pytest.raises(InvestigateError, match=r"without '\.'"):
        flatten({"a.b": 1})
    with pytest.raises(InvestigateError, match="not a delta"):
        apply_deltas({"a": 1}, compute_deltas({"a": 1}, {"a": 2}), ["b"])


# --- the search ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [16, 64])
def test_finds_a_single_culprit_within_the_test_budget(n):
    deltas = flat_deltas(n)
    for culprit in (0, n // 3, n - 1):
        result = isolate(deltas, Recorder({f"k{culprit}"}))
        assert result.keys == [f"k{culprit}"] and result.minimal is True
        assert result.tests <= (8 if n == 16 else 14)
        assert result.culprits[0].good == 0 and result.culprits[0].bad == 1


def test_finds_an_interaction_pair_and_it_is_one_minimal():
    deltas = flat_deltas(32)
    rng = random.Random(3)
    for _ in range(10):
        pair = {f"k{i}" for i in rng.sample(range(32), 2)}
        test = Recorder(pair)
        result = isolate(deltas, test)
        assert set(result.keys) == pair and result.minimal is True
        found = frozenset(result.keys)
        assert test(found) is F and all(test(found - {k}) is P for k in found)


def test_never_tests_a_configuration_twice_and_the_table_holds_every_test():
    test = Recorder({"k5", "k20"})
    result = isolate(flat_deltas(24), test)
    assert max(Counter(test.calls).values()) == 1
    assert [e.config for e in result.table] == test.calls
    assert result.tests == len(test.calls) == result.runs


def test_unresolved_configurations_are_neither_pass_nor_fail():
    # k0 cannot be built without k15: such configurations are unresolved and only steer the search.
    def broken(keys: frozenset[str]) -> bool:
        return "k0" in keys and "k15" not in keys

    test = Recorder({"k9"}, broken)
    result = isolate(flat_deltas(16), test)
    assert result.keys == ["k9"] and result.minimal is True
    unresolved = [e for e in result.table if e.tested.outcome is U]
    assert unresolved and all(broken(e.config) for e in unresolved)


def test_a_culprit_that_cannot_be_tested_alone_keeps_its_context_unproven():
    # k1 needs k0 to be built, so {k1} alone is unresolved: the answer keeps k0 and says it is not minimal.
    result = isolate(flat_deltas(8), Recorder({"k1"}, lambda keys: "k1" in keys and "k0" not in keys))
    assert result.keys == ["k0", "k1"] and result.minimal is False


def test_a_crashing_test_is_unresolved_with_its_message():
    def test(keys: frozenset[str]) -> Outcome:
        if keys == frozenset({"k0", "k1"}):
            raise ValueError("cannot build")
        return F if "k3" in keys else P

    result = isolate(flat_deltas(4), test)
    assert result.keys == ["k3"]
    crashed = [e for e in result.table if e.tested.outcome is U]
    assert crashed and "ValueError: cannot build" in crashed[0].tested.note


def test_unresolvable_context_is_reported_as_not_minimal():
    # Everything except the endpoints and configurations with both culprits is unresolved.
    def test(keys: frozenset[str]) -> Outcome:
        if not keys:
            return P
        return F if {"k1", "k2"} <= keys else U

    result = isolate(flat_deltas(4), test)
    assert {"k1", "k2"} <= set(result.keys) and result.minimal is not True


def test_endpoints_must_be_pass_and_fail():
    with pytest.raises(IsolationError, match="good configuration tests fail"):
        isolate(flat_deltas(4), lambda keys: F)
    with pytest.raises(IsolationError, match="identical"):
        isolate([], lambda keys: P)


def test_by_section_finds_the_sections_then_the_keys():
    good = {s: {f"k{i}": 0 for i in range(8)} for s in ("data", "model", "train", "infer")}
    bad = {s: {f"k{i}": 1 for i in range(8)} for s in good}
    deltas = compute_deltas(good, bad)
    test = Recorder({"model.k3", "infer.k6"})
    result = isolate(deltas, test, by_section=True)
    assert result.culprit_sections == ["model", "infer"]
    assert result.keys == ["model.k3", "infer.k6"] and result.minimal is True
    # Inside the sections no configuration touches a key of an innocent section.
    assert all(not any(k.startswith(("data.", "train.")) for k in c) for c in test.calls[-5:])
    assert max(Counter(test.calls).values()) == 1


def test_a_round_can_be_tested_in_parallel_batches():
    from concurrent.futures import ThreadPoolExecutor

    batches: list[int] = []
    test = Recorder({"k7"})

    def batch(configs: list[frozenset[str]]) -> list[Outcome]:
        batches.append(len(configs))
        return [test(c) for c in configs]

    result = isolate(flat_deltas(16), batch=batch, jobs=4)
    assert result.keys == ["k7"] and max(batches) > 1
    with ThreadPoolExecutor(2) as pool:
        assert isolate(flat_deltas(16), batch=parallel(Recorder({"k7"}), pool.map), jobs=4).keys == ["k7"]


# --- replicates -------------------------------------------------------------------------------


def test_beta_cdf_matches_closed_forms():
    assert math.isclose(beta_cdf(0.5, 1, 1), 0.5)
    assert math.isclose(beta_cdf(0.3, 1, 4), 1 - 0.7**4)  # Beta(1, b): 1 - (1 - x)^b


def test_flaky_failure_is_found_with_replicates():
    rng = random.Random(7)

    def run(keys: frozenset[str], seed: int) -> Tested:
        failing = "k11" in keys and rng.random() >= 0.3  # a failing configuration passes 30 % of runs
        return Tested(F if failing else P, run_ids=[f"r{seed}"])

    result = isolate(flat_deltas(16), ReplicatedTest(run, confidence=0.99))
    assert result.keys == ["k11"] and result.runs > result.tests
    assert all(e.tested.replicates == len(e.tested.run_ids) for e in result.table)


def test_replicated_test_decides_and_leaves_errors_unresolved():
    always = ReplicatedTest(lambda keys, seed: F, confidence=0.99, threshold=0.5)
    assert always(frozenset()).outcome is F and always(frozenset()).replicates == 6  # 1 - 2^-7 ≥ 0.99
    never = ReplicatedTest(lambda keys, seed: P, confidence=0.99)  # threshold 0.3: 1 - 0.7^13 ≥ 0.99
    assert never(frozenset()).outcome is P and never(frozenset()).replicates == 12
    errors = ReplicatedTest(lambda keys, seed: U, max_replicates=5)
    assert errors(frozenset()).outcome is U and errors(frozenset()).replicates == 5

    def crash(keys: frozenset[str], seed: int) -> Outcome:
        raise RuntimeError("boom")

    assert ReplicatedTest(crash, max_replicates=3)(frozenset()).outcome is U
    coin = ReplicatedTest(lambda keys, seed: F if seed % 2 else P, threshold=0.5, max_replicates=20)
    assert coin(frozenset()).outcome is U  # a 50 % rate sits on the threshold: never decided
    assert ReplicatedTest(lambda k, s: P, seeds=[0, 1])(frozenset()).outcome is U  # too few seeds


# --- the test rule and the hypothesis file -------------------------------------------------------


def test_rule_outcomes():
    clean = {"metric": "trains_clean", "equals": True}
    assert run_outcome(clean, {"trains_clean": True}) is P
    assert run_outcome(clean, {"trains_clean": False}) is F
    assert run_outcome(clean, {}) is U and run_outcome(clean, {"trains_clean": 1}) is U
    assert run_outcome(clean, {"trains_clean": True}, status="error") is U
    r = {"metric": "r", "between": [0.5, 1]}
    assert run_outcome(r, {"r": 0.7}) is P and run_outcome(r, {"r": 0.1}) is F
    assert run_outcome(r, {"r": float("nan")}) is U and run_outcome(r, {"r": "high"}) is U
    assert run_outcome({"metric": "loss", "lt": 2}, {"loss": None}) is U
    with pytest.raises(InvestigateError, match="exactly one"):
        TestRule.parse({"metric": "x", "lt": 1, "gt": 0})
    with pytest.raises(InvestigateError, match="unknown keys: arm"):
        TestRule.parse({"metric": "x", "lt": 1, "arm": "a"})


def test_hypothesis_yaml_loads_and_its_arms_differ_only_in_the_culprits():
    good = {"model": {"lr": 0.1, "clip": 1.0}, "data": {"n": 8, "noise": 0.0}, "profile": "quick"}
    bad = {"model": {"lr": 0.5, "clip": 1.0}, "data": {"n": 16, "noise": 0.1}, "profile": "quick", "extra": 1}
    deltas = compute_deltas(good, bad)
    result = isolate(deltas, Recorder({"model.lr", "data.noise"}))
    text = hypothesis_yaml(
        result, "pkg.exp:train", good, bad, "H-ISOLATED", rule={"metric": "trains_clean", "equals": True}
    )
    hyp = Hypothesis.model_validate(yaml.safe_load(text))
    exp = hyp.experiment
    assert exp is not None and exp.run == "pkg.exp:train" and exp.params == {"profile": "quick"}
    merged = {arm: flatten({**exp.params, **over}) for arm, over in exp.arms.items()}
    assert merged["good"] == flatten(good)
    assert {k for k in merged["bad"] if merged["bad"][k] != merged["good"][k]} == {"model.lr", "data.noise"}
    assert hyp.verdict is not None and hyp.verdict.confirmed is not None and hyp.verdict.ruled_out is not None
    assert "trains_clean" in text and result.to_json()["culprits"][0]["key"] == "model.lr"
    with pytest.raises(InvestigateError, match="does not match"):
        hypothesis_yaml(result, "pkg.exp:train", good, good, "H-ISOLATED", rule={"metric": "x", "equals": True})
    command = hypothesis_yaml(result, "python t.py --out {run_dir}", good, bad, "H-X", rule={"metric": "r", "ge": 0.5})
    assert Hypothesis.model_validate(yaml.safe_load(command)).experiment.command.startswith("python")
