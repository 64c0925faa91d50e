"""Safe YAML loading with line numbers, and pydantic errors turned into ``file:line: key: reason``.

Files are parsed once with the fast (libyaml) safe loader. Line numbers are only needed when
something is wrong or a caller asks for one, so the node tree is composed lazily, on demand.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import pydantic
import yaml

from investigate.errors import KeyPath, ValidationError, located

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path, shown: str) -> Any:
    """Parse with the safe loader; a ``!!python/...`` tag or a syntax error names file:line."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        raise ValidationError(shown, line, "", reason) from None
    except yaml.YAMLError as exc:
        raise ValidationError(shown, None, "", str(exc)) from None


def line_map(path: Path) -> dict[KeyPath, int]:
    """Map every key path (``("experiment", "arms", "stale")``, list items by index) to its 1-based line."""
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return lines


def _walk(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # The key's own line is where a reader looks, even if the value starts later.
            lines[prefix + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, prefix + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, prefix + (index,), lines)


def nearest_line(lines: dict[KeyPath, int], key_path: KeyPath) -> int | None:
    """Line of the deepest existing prefix of ``key_path`` (a missing key points at its parent)."""
    for cut in range(len(key_path), -1, -1):
        if key_path[:cut] in lines:
            return lines[key_path[:cut]]
    return None


def to_validation_error(
    exc: pydantic.ValidationError, model: type[pydantic.BaseModel], data: Any, path: Path, shown: str
) -> ValidationError:
    """Turn pydantic's first error into our one-line form, with the YAML line of the key."""
    errors = exc.errors()
    err = errors[0]
    key_path, extra = _data_path(err["loc"], data, err["type"])
    # A union (e.g. ``over: all | {fraction}``) fails once per branch; the branch that got
    # deepest into the user's data is the one they meant.
    for other in errors[1:]:
        other_path, other_extra = _data_path(other["loc"], data, other["type"])
        if other_path[: len(key_path)] == key_path and len(other_path) > len(key_path):
            err, key_path, extra = other, other_path, other_extra
    reason = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        fields = _field_names(model, key_path)
        close = difflib.get_close_matches(str(extra), fields, n=1, cutoff=0.6)
        reason = f"unknown field '{extra}'" + (f" (did you mean '{close[0]}'?)" if close else "")
        line_path = key_path + (extra,)
    elif err["type"] == "missing":
        reason = f"missing required field '{extra}'"
        line_path = key_path
    else:
        if extra is not None:
            key_path = key_path + (extra,)
        line_path = key_path
    try:
        line = nearest_line(line_map(path), line_path)
    except yaml.YAMLError:
        line = None
    return located(shown, line, key_path, reason)


def _data_path(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[KeyPath, Any]:
    """Follow pydantic's ``loc`` through the data, dropping its internal union/validator tags.

    Returns the existing parent path and the last key (the unknown or missing one), if any.
    """
    path: list[Any] = []
    current = data
    last = None
    for position, element in enumerate(loc):
        is_last = position == len(loc) - 1
        if isinstance(current, dict) and element in current:
            if is_last and kind == "extra_forbidden":
                last = element
                break
            path.append(element)
            current = current[element]
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            path.append(element)
            current = current[element]
        elif is_last and kind == "missing":
            last = element
    return tuple(path), last


def _field_names(model: type[pydantic.BaseModel], key_path: KeyPath) -> list[str]:
    """Field names (aliases included) of the model that sits at ``key_path``: for did-you-mean."""
    cls: Any = model
    for key in key_path:
        fields = getattr(cls, "model_fields", {})
        match = next((f for name, f in fields.items() if key in (name, f.alias)), None)
        if match is None:
            continue  # a list index or a dict key: the model stays the same one level down
        cls = _inner_model(match.annotation) or cls
    fields = getattr(cls, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _inner_model(annotation: Any) -> type[pydantic.BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
