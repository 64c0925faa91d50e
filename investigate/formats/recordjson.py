"""The ``run.json`` encoding: whatever the writer accepts, the reader reads back.

Non-finite metrics are observations, so records use Python's ``allow_nan`` tokens (``NaN``,
``Infinity``, ``-Infinity``). ``ensure_ascii`` (json's default) writes every non-ASCII character,
lone surrogates included, as a ``\\uXXXX`` escape, so the file is plain ASCII.

Reading tries pydantic's own JSON parser first (the fast path). It refuses two things json
writes: a lone surrogate escape (``"\\ud800"``) and nesting deeper than its recursion limit
(about 200). For those the stdlib parser reads the text and pydantic validates the result.
Nesting is bounded on write (``MAX_DEPTH``) so that the stdlib parser never hits Python's
recursion limit either; a deeper record is refused with an error instead of written unreadable.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic

from investigate.formats.schema import RunRecord

# Containers nested inside the record, the record itself included. The stdlib parser recurses
# once per level, so this stays well under the interpreter's default limit of 1000 frames.
MAX_DEPTH = 500


class RecordError(ValueError):
    """A record that cannot be written so that it reads back, or a file that is not a record."""


def encode(data: dict[str, Any]) -> bytes:
    """The bytes of ``run.json`` for ``data``; raises RecordError instead of writing something unreadable."""
    deepest = depth(data)
    if deepest > MAX_DEPTH:
        raise RecordError(f"run record nests {deepest} levels deep; at most {MAX_DEPTH} can be stored")
    try:
        text = json.dumps(data, indent=2, allow_nan=True)
    except (TypeError, ValueError) as exc:  # an object json cannot write, an int past the digit limit
        raise RecordError(f"run record cannot be written as JSON: {exc}") from None
    raw = text.encode("ascii")
    decode(raw)  # the promise of this module, checked: raises RecordError if it would not read back
    return raw


def decode(raw: bytes) -> RunRecord:
    """Parse and validate one ``run.json``; raises RecordError with a one-line reason."""
    if not raw.strip():
        raise RecordError("empty file")
    try:
        return RunRecord.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        if not all(err["type"] == "json_invalid" for err in exc.errors()):
            raise RecordError(_reason(exc)) from None
    # pydantic could not parse it (a surrogate escape, deep nesting, or really broken JSON):
    # the stdlib parser decides, and its message names line and column.
    try:
        data = json.loads(raw)
    except RecursionError:
        raise RecordError("invalid JSON: nested too deeply to read") from None
    except ValueError as exc:
        raise RecordError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return RunRecord.model_validate(data)
    except pydantic.ValidationError as exc:
        raise RecordError(_reason(exc)) from None


def depth(value: Any) -> int:
    """How many dicts and lists nest in ``value`` (0 for a scalar); iterative, so no recursion limit."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _reason(exc: pydantic.ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    text = f"{where}: {first['msg']}" if where else str(first["msg"])
    return f"not a run record: {text}{more}"
