"""YAML parsing with file:line errors and the key-path line map."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from investigate.core.errors import ValidationError
from investigate.formats import yamlio
from investigate.formats.yamlio import line_map, load_yaml, loads, nearest_line


def test_line_map_points_at_keys_and_list_items(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb:\n  c: [1, 2]\n  d:\n    - x\n    - y\n")
    lines = line_map(path)
    assert lines[("a",)] == 1 and lines[("b", "c")] == 3 and lines[("b", "d", 1)] == 6
    assert nearest_line(lines, ("b", "missing", "deeper")) == 2


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "shown.yaml")
    assert info.value.path == "shown.yaml" and info.value.line is not None and info.value.line >= 2


def test_python_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "f.yaml")
    assert info.value.line == 1


def alias_bomb(levels: int) -> str:
    """``a`` holds 9 scalars and each next level 9 aliases of the one before: 9**levels values."""
    names = "abcdefghijklmnopqrstuvwxyz"[:levels]
    rows = [f"  a: &a [{', '.join('x' * 9)}]"]
    rows += [f"  {name}: &{name} [{', '.join(['*' + prev] * 9)}]" for prev, name in itertools.pairwise(names)]
    return "title: t\nparams:\n" + "\n".join(rows) + "\n"


def test_alias_bomb_is_refused_at_the_first_value_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(alias_bomb(9))  # 387 million values when expanded; measured, never expanded
    assert len(path.read_bytes()) < 700
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "f.yaml")
    # sizes a..f: 10, 91, 820, 7381, 66430, 597871 (each node counts itself)
    assert str(info.value) == "f.yaml:8: params.f: expands to 597,871 values (aliases expanded); the limit is 100,000"


def test_aliases_under_the_limit_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(alias_bomb(4) + "base: &base {x: 1, y: 2}\nover:\n  <<: *base\n  y: 3\n")
    data = load_yaml(path, "f.yaml")
    assert len(data["params"]["d"]) == 9 and data["params"]["d"][0] is data["params"]["c"]
    assert data["over"] == {"x": 1, "y": 3}  # a key that overrides a merged one is not a duplicate


def test_line_map_walks_a_shared_node_once(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(alias_bomb(5))  # 59,049 leaf paths if each alias were walked again
    lines = line_map(path)
    assert len(lines) < 60
    assert lines[("params", "e")] == 7 and lines[("params", "a", 8)] == 3
    # an alias item points at the value it names (line 6: d); paths below it are not mapped again
    assert lines[("params", "e", 3)] == 6
    assert ("params", "e", 3, 0) not in lines and nearest_line(lines, ("params", "e", 3, 0)) == 6


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: &b [1, *b]\n")
    with pytest.raises(ValidationError, match=r"^f.yaml:2: b\[1\]: recursive alias: a value contains itself$"):
        load_yaml(path, "f.yaml")
    assert line_map(path)[("b", 1)] == 2  # the line map does not loop either


def test_nesting_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a:\n  b: " + "[" * 150 + "]" * 150 + "\n")
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "f.yaml")
    assert str(info.value) == "f.yaml:2: a.b[0][0][0][0]…: nested more than 100 levels deep"
    # aliases can stack depth: 60 levels around an alias of 60 levels
    path.write_text("a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n")
    with pytest.raises(ValidationError, match=r"aliases nest it \d+ levels deep; the limit is 100$"):
        load_yaml(path, "f.yaml")


def test_file_over_the_size_cap_names_its_size(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("notes: " + "x" * 999_993)  # 1,000,000 bytes: at the cap, accepted
    assert len(load_yaml(path, "f.yaml")["notes"]) == 999_993
    path.write_text("notes: " + "x" * 999_994)
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "f.yaml")
    assert str(info.value) == (
        "f.yaml: file is 1,000,001 bytes; the limit is 1,000,000 (raise [tool.investigate] max_yaml_bytes)"
    )
    with pytest.raises(ValidationError, match="the limit is 100 "):
        line_map(path, "f.yaml", max_bytes=100)


def test_invalid_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\nnotes: caf\xe9\n")
    for read in (lambda: load_yaml(path, "f.yaml"), lambda: line_map(path, "f.yaml")):
        with pytest.raises(ValidationError) as info:
            read()
        assert str(info.value) == "f.yaml: not UTF-8 (byte 15)"


def test_unreadable_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"^d.yaml: cannot read: "):
        load_yaml(tmp_path, "d.yaml")  # a directory


def test_duplicate_keys_are_refused_with_the_second_line(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n")
    with pytest.raises(ValidationError) as info:
        load_yaml(path, "f.yaml")
    assert str(info.value) == "f.yaml:5: b: duplicate key 'c'"
    path.write_text("a: 1\nb: 2\n'a': 3\n")  # quoting does not make it another key
    with pytest.raises(ValidationError, match=r"^f.yaml:3: duplicate key 'a'$"):
        load_yaml(path, "f.yaml")
    path.write_text("a: {1: x, '1': y}\n")  # the number 1 and the string '1' differ
    assert load_yaml(path, "f.yaml") == {"a": {1: "x", "1": "y"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e5", 100000.0),  # YAML 1.1 (PyYAML's default) reads these two as strings
        ("1e4", 10000.0),
        ("-2.5E-3", -0.0025),
        (".5", 0.5),
        ("010", 10),  # decimal in 1.2, octal eight in 1.1
        ("0o17", 15),
        ("0x1F", 31),
        ("+7", 7),
        ("yes", "yes"),  # only true/false are booleans
        ("No", "No"),
        ("on", "on"),
        ("TRUE", True),
        ("false", False),
        ("~", None),
        ("1_000", "1_000"),  # no digit separators, sexagesimals or timestamps
        ("1:30", "1:30"),
        ("2026-01-20", "2026-01-20"),
        ("0b101", "0b101"),
        ("'1e5'", "1e5"),  # quoted stays a string
    ],
)
def test_plain_scalars_are_typed_as_yaml_1_2(text, expected) -> None:
    value = loads(text)
    assert value == expected and type(value) is type(expected)


def test_a_file_read_in_chunks_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(yamlio, "READ_CHUNK", 7)
    path = tmp_path / "f.yaml"
    path.write_text("notes: " + "é" * 40 + "\n")  # chunks end inside a two-byte character
    assert load_yaml(path, "f.yaml") == {"notes": "é" * 40}
    with pytest.raises(ValidationError, match="file is 88 bytes; the limit is 20 "):
        load_yaml(path, "f.yaml", max_bytes=20)


def test_non_finite_floats_and_huge_integers(tmp_path: Path) -> None:
    assert loads(".inf") == math.inf and loads("-.Inf") == -math.inf and math.isnan(loads(".NaN"))
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: " + "9" * 5000 + "\n")  # more digits than Python converts from text
    with pytest.raises(ValidationError, match=r"^f.yaml:2: integer 9{20}…: Exceeds the limit"):
        load_yaml(path, "f.yaml")


def test_a_matrix_of_exponents_loads_floats(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("matrix: {offset: [1e4, 1e5]}\nwhere: {offset: 100000.0}\nflags: [yes, true]\n")
    data = load_yaml(path, "f.yaml")
    assert data["matrix"]["offset"] == [10000.0, 100000.0]
    assert all(type(v) is float for v in data["matrix"]["offset"])
    assert data["where"]["offset"] in data["matrix"]["offset"]
    assert data["flags"] == ["yes", True]
