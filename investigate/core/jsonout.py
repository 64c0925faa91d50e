"""Strict JSON for every ``--json`` output: what ``jq``, JavaScript and ``json.loads`` all accept.

A diverged metric is an observation, and the run records keep it as Python's ``NaN`` / ``Infinity``
tokens (see ``store``). Those tokens are not JSON: ``jq`` turns them into null and strict parsers
refuse the document. Output for other programs therefore writes a non-finite float as the *string*
``"NaN"``, ``"Infinity"`` or ``"-Infinity"``: nothing is lost (it is not confused with a missing
value, which stays ``null``), and ``float(value)`` reads each spelling back in Python.

So that those three strings always mean the float, a *string* value that is exactly one of them (a
text metric ``"NaN"``) is written as ``{"string": "NaN"}``. Float NaN and the text "NaN" read the
same otherwise; the wrapper goes on the rare case, the text, and leaves the common one as it was.
"""

from __future__ import annotations

import json
import math
from typing import Any

NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
SPELLINGS = frozenset(NON_FINITE.values())


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by its string spelling; containers copied.

    Iterative, so a deeply nested value (the YAML depth limit allows 100 levels) cannot hit the
    recursion limit. Tuples become lists, as ``json`` writes them anyway.
    """
    if not isinstance(obj, (dict, list, tuple)):
        return _scalar(obj)
    root: Any = {} if isinstance(obj, dict) else []
    todo: list[tuple[Any, Any]] = [(obj, root)]
    while todo:
        source, target = todo.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, (dict, list, tuple)):
                copy: Any = {} if isinstance(value, dict) else []
                todo.append((value, copy))
                value = copy
            else:
                value = _scalar(value)
            if isinstance(target, dict):
                target[key] = value
            else:
                target.append(value)
    return root


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return NON_FINITE[str(value)]
    if isinstance(value, str) and value in SPELLINGS:
        return {"string": value}
    return value


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text (``allow_nan=False`` proves it); unknown objects (paths, dates) as ``str``."""
    # Almost every output holds neither a non-finite float nor one of the three spellings as text:
    # written directly, it needs no copy (10,000 rows of `list --json` spent a third on the copy).
    try:
        text = json.dumps(obj, indent=indent, allow_nan=False, default=str)
    except ValueError:
        text = None
    if text is not None and not any(f'"{spelling}"' in text for spelling in SPELLINGS):
        return text
    return json.dumps(finite(obj), indent=indent, allow_nan=False, default=str)
