"""Run directory names: exact slugs stay readable; everything else gets a hash, and no two runs share one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from investigate.store import rundirs
from investigate.store.rundirs import MAX_NAME, arm_dir, point_dir, unique_dirs


@dataclass
class Run:
    hypothesis: str
    point: dict[str, Any]
    arm: str = "default"
    seed: int = 0


def test_exact_values_keep_their_readable_name() -> None:
    assert point_dir({}) == "all"
    assert point_dir({"scenario": "gs1_custom"}) == "scenario=gs1_custom"
    assert point_dir({"r": 2.0, "n": -3, "flag": True}) == "r=2.0,n=-3,flag=True"


@pytest.mark.parametrize(
    "values",
    [
        [2, "2"],
        [1.0, "1.0", 2, "2", "x/y", "x_y", "x y"],
        [True, "True", "true", 1, 1.0, "1"],
        [None, "None", "", " "],
        ["a,b=c", "a_b_c", "a=b"],
    ],
)
def test_values_that_sanitise_alike_get_distinct_names(values: list[Any]) -> None:
    names = [point_dir({"L": v}) for v in values]
    assert len(set(names)) == len(values), names
    assert all("/" not in n and " " not in n for n in names)


def test_a_lossy_name_carries_a_hash_of_the_typed_value() -> None:
    assert point_dir({"L": 2}) == "L=2"
    assert point_dir({"L": "2"}).startswith("L=2~")  # the string "2", not the number
    assert point_dir({"L": "x/y"}).startswith("L=x_y~")


def test_keys_or_values_with_separators_cannot_forge_another_point() -> None:
    # a=1,b=2 written by one key: without the hash it would read as two keys
    assert point_dir({"a": "1,b=2"}) != point_dir({"a": 1, "b": 2})


def test_long_values_are_shortened_with_a_hash() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    name_a, name_b = point_dir({"L": long_a}), point_dir({"L": long_b})
    assert len(name_a) <= MAX_NAME and len(name_b) <= MAX_NAME and name_a != name_b
    assert len(arm_dir("x" * 300, 0)) <= MAX_NAME


def test_unique_dirs_settles_even_a_hash_collision(monkeypatch) -> None:
    monkeypatch.setattr(rundirs, "_digest", lambda value: "0" * 64)  # every hash collides
    runs = [Run("H-A", {"L": v}) for v in ["x/y", "x y", "x\\y"]] + [Run("H-A", {"L": "x_y"})]
    names = unique_dirs(runs)
    assert len(set(names)) == 4
    assert names[3] == "H-A/L=x_y/default-seed0"


def test_identical_runs_share_a_name_distinct_runs_never() -> None:
    runs = [Run("H-A", {"L": 2}), Run("H-A", {"L": 2}), Run("H-A", {"L": "2"}), Run("H-B", {"L": 2})]
    names = unique_dirs(runs)
    assert names[0] == names[1] and len({names[0], names[2], names[3]}) == 3
