"""YAML parsing with file:line errors and the key-path line map."""

from __future__ import annotations

from pathlib import Path

import pytest

from investigate.errors import ValidationError
from investigate.yamlio import line_map, load_yaml, nearest_line


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
