"""The fast path loads exactly what the careful path loads, and hands back what it cannot judge."""

import math

import pytest
import yaml

from investigate.core.limits import MAX_YAML_DEPTH, MAX_YAML_NODES
from investigate.formats import yamlfast
from investigate.formats.yamlcheck import check_nodes
from investigate.formats.yamlio import SafeLoader

DOCUMENTS = [
    "a: 1\nb: [1, 2.5, -3, 0o17, 0x1F, 010]\nc: {d: null, e: ~, f: true, g: False}\n",
    "x: 1e5\ny: .inf\nz: -.inf\nw: .NaN\nv: +1.5\nu: '1e5'\nt: yes\ns: 2026-01-20\nr: 1_000\n",
    "base: &b {lr: 0.1, steps: [1, 2]}\nuse: *b\nagain: *b\n",
    "merged:\n  <<: {a: 1, b: 2}\n  b: 3\n",  # a merge key: built by PyYAML
    "blob: !!binary aGVsbG8=\n",  # an explicit tag the fast constructor leaves alone
    "s: !!str 12\ni: !!int '7'\nf: !!float '2'\nn: !!null ''\nb: !!bool 'on'\n",
    "- 1\n- [2, [3, [4]]]\n- {k: v}\n",
    "just a string\n",
    "? [complex, key]\n: value\n",
    "big: 123456789012345678901234567890\n",
]


def careful(text: str) -> object:
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        check_nodes(node, "t.yaml")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def fast(text: str) -> object:
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        loaded = yamlfast.load(node, MAX_YAML_NODES, MAX_YAML_DEPTH)  # what yamlio.parse_yaml does
        if loaded is not yamlfast.LOOK_CLOSER:
            return loaded[0]
        check_nodes(node, "t.yaml")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def same(a: object, b: object) -> bool:
    """Equal, with NaN equal to NaN and types compared too (1 is not 1.0, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize("text", DOCUMENTS)
def test_fast_and_careful_paths_give_the_same_data(text) -> None:
    try:
        expected = careful(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            fast(text)
        return
    assert same(fast(text), expected)


@pytest.mark.parametrize("text", DOCUMENTS[:3] + DOCUMENTS[5:8])
def test_plain_documents_take_the_fast_path(text) -> None:
    node = yaml.compose(text, Loader=SafeLoader)
    assert yamlfast.load(node, MAX_YAML_NODES, MAX_YAML_DEPTH) is not yamlfast.LOOK_CLOSER


def test_it_says_whether_every_key_is_a_string() -> None:
    def keys_are_strings(text: str) -> bool:
        loaded = yamlfast.load(yaml.compose(text, Loader=SafeLoader), MAX_YAML_NODES, MAX_YAML_DEPTH)
        assert loaded is not yamlfast.LOOK_CLOSER
        return bool(loaded[1])

    assert keys_are_strings("a: {b: [1, {c: 2}]}\n")
    assert not keys_are_strings("a: {1: x}\n")  # JSON would give back "1"
    assert not keys_are_strings("- {true: x}\n")
    assert not keys_are_strings("a: [{null: x}]\n")


def test_aliases_stay_one_shared_object() -> None:
    data = fast("base: &b {lr: 0.1}\nuse: *b\n")
    assert data["base"] is data["use"]


def test_what_only_the_careful_check_can_locate_is_handed_back() -> None:
    def judged(text: str, **limits: int) -> bool:
        node = yaml.compose(text, Loader=SafeLoader)
        loaded = yamlfast.load(node, limits.get("nodes", MAX_YAML_NODES), limits.get("depth", MAX_YAML_DEPTH))
        return loaded is not yamlfast.LOOK_CLOSER

    assert judged("a: 1\nb: 2\n")
    assert not judged("a: 1\na: 2\n")  # a duplicate key
    assert not judged("a: &x [1, *x]\n")  # a recursive alias
    assert not judged("a: [[[[1]]]]\n", depth=3)  # too deep
    assert judged("a: [[[1]]]\n", depth=4)
    bomb = "a: &a [1, 1, 1]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    assert not judged(bomb, nodes=60)  # expanded: 1 + 3 keys + a (4) + b (13) + c (40) = 61 values
    assert judged(bomb, nodes=61)
    assert judged(bomb, nodes=10_000)
