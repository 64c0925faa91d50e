"""Safe, bounded YAML loading with line numbers, and pydantic errors turned into ``file:line: key: reason``.

A file is read with a size cap and decoded as UTF-8, composed into a node graph with the fast
(libyaml) safe loader, checked (``yamlcheck``), and
only then turned into Python data: an alias "bomb", too deep a nesting, a recursive alias or a
duplicate key is refused with its line, without ever being expanded. Line numbers are only needed
when something is wrong, so ``line_map`` composes again on demand.

Plain scalars are typed as YAML 1.2's core schema types them, not as YAML 1.1 (PyYAML's default):
``1e5`` and ``1e4`` are floats (1.1 reads them as strings, so a ``where: {dose: 100000.0}`` matched
nothing); ``010`` is ten, ``0o10`` eight and ``0x10`` sixteen; only ``true``/``false`` (any of
three casings) are booleans, so ``yes``, ``no``, ``on``, ``off`` stay strings; ``1_000``, ``1:30``
and ``2026-01-20`` are strings (no digit separators, sexagesimals or timestamps).
"""

from __future__ import annotations

import difflib
import errno
import math
import os
import re
import stat
import typing
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import yaml

from investigate.core.errors import KeyPath, ValidationError, located
from investigate.core.limits import MAX_YAML_BYTES
from investigate.formats.yamlcheck import MERGE, check_nodes, mapping_key

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


class SafeLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader with YAML 1.2 core-schema resolution of plain scalars (see the module doc)."""

    # its own table (not a copy of YAML 1.1's), filled below
    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {}


INT_TAG, FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_CORE_SCHEMA = (  # (tag, pattern, first characters), in the order YAML 1.2 tries them
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (INT_TAG, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        FLOAT_TAG,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    (MERGE, r"^(?:<<)$", ["<"]),  # not in YAML 1.2, but `<<: *base` is too useful to drop
)
for _tag, _pattern, _first in _CORE_SCHEMA:
    SafeLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def core_int(text: str) -> int:
    """A plain scalar resolved as an int, valued as YAML 1.2 core schema says (``010`` is ten).
    Raises ValueError for a text Python cannot convert (more digits than it allows)."""
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def core_float(text: str) -> float:
    """A plain scalar resolved as a float: ``.inf``, ``-.inf`` and ``.nan`` in any casing, else ``float``."""
    special = text.lower().lstrip("+-")
    if special == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    if special == ".nan":
        return math.nan
    return float(text)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    try:
        return core_int(text)
    except ValueError as exc:  # e.g. more digits than Python converts (sys.get_int_max_str_digits)
        raise yaml.constructor.ConstructorError(None, None, f"integer {text[:20]}…: {exc}", node.start_mark) from None


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    return core_float(str(loader.construct_scalar(node)))


SafeLoader.add_constructor(INT_TAG, _construct_int)
SafeLoader.add_constructor(FLOAT_TAG, _construct_float)


def loads(text: str) -> Any:
    """A short YAML value from the command line (``--where dose=1e5``), typed as files are."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader is the safe loader, subclassed


def read_text(path: Path | str, shown: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The file's text; a file too large, unreadable or not UTF-8 is a user error naming it."""
    try:
        data, size = _read_capped(path, max_bytes)
    except OSError as exc:
        raise ValidationError(shown, None, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ValidationError(
            shown,
            None,
            "",
            f"file is {size:,} bytes; the limit is {max_bytes:,} (raise [tool.investigate] max_yaml_bytes)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(shown, None, "", f"not UTF-8 (byte {exc.start})") from None


def _read_capped(path: Path | str, max_bytes: int) -> tuple[bytes, int]:
    """At most ``max_bytes + 1`` bytes of the file (never more, however large it is), and its size
    when that is over the cap. Opened without blocking and read only if it is a regular file: a
    FIFO or a device where a YAML file belongs is refused, not waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes and (chunk := os.read(fd, min(READ_CHUNK, max_bytes + 1 - total))):
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        return data, max(total, st.st_size) if total > max_bytes else total
    finally:
        os.close(fd)


READ_CHUNK = 1 << 16


def load_yaml(path: Path | str, shown: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse with the safe loader; a ``!!python/...`` tag, a syntax error or an unbounded document names file:line."""
    loader = SafeLoader(read_text(path, shown, max_bytes))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_nodes(node, shown)  # refuses with file:line before anything is expanded
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        raise ValidationError(shown, line, "", reason) from None
    except yaml.YAMLError as exc:
        raise ValidationError(shown, None, "", str(exc)) from None
    finally:
        loader.dispose()


def line_map(path: Path, shown: str | None = None, max_bytes: int = MAX_YAML_BYTES) -> dict[KeyPath, int]:
    """Map every key path (``("experiment", "arms", "stale")``, list items by index) to its 1-based line.

    A node that aliases share is walked once: paths below its later uses are absent, and
    ``nearest_line`` then points at the line of the alias' key.
    """
    node = yaml.compose(read_text(path, shown or str(path), max_bytes), Loader=SafeLoader)
    lines: dict[KeyPath, int] = {}
    walked: set[int] = set()
    todo: list[tuple[yaml.Node, KeyPath]] = [(node, ())] if node is not None else []
    while todo:
        node, prefix = todo.pop()
        lines.setdefault(prefix, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode) or id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                # The key's own line is where a reader looks, even if the value starts later.
                lines[prefix + (mapping_key(key_node),)] = key_node.start_mark.line + 1
                todo.append((value_node, prefix + (mapping_key(key_node),)))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, prefix + (index,)) for index, item in reversed(list(enumerate(node.value))))
    return lines


def nearest_line(lines: dict[KeyPath, int], key_path: KeyPath) -> int | None:
    """Line of the deepest existing prefix of ``key_path`` (a missing key points at its parent)."""
    for cut in range(len(key_path), -1, -1):
        if key_path[:cut] in lines:
            return lines[key_path[:cut]]
    return None


def to_validation_error(
    exc: pydantic.ValidationError,
    model: type[pydantic.BaseModel],
    data: Any,
    path: Path,
    shown: str,
    max_bytes: int = MAX_YAML_BYTES,
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
        line = nearest_line(line_map(path, shown, max_bytes), line_path)
    except (yaml.YAMLError, ValidationError):  # the file changed since it was loaded: no line
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
