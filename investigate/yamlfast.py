"""Loading the common YAML document fast: mappings, lists and core-schema scalars, nothing unusual.

``yamlio`` checks every node of a document (its size and depth once aliases are expanded, a
recursive alias, a duplicate key) with a walk that carries each node's key path so that an error
can say where, and PyYAML's constructor builds data through generators and per-tag dispatch. A
workspace may hold 10,000 small hypothesis files that are almost always fine, and those two steps
were two thirds of parsing them. So a document is first measured by a plain walk that answers
only "fine" or "look closer", and built by a constructor for the tags the core schema resolves;
anything else (an error to locate, a merge key, an explicit tag such as ``!!binary``) takes the
careful way, which decides exactly as before.
"""

from __future__ import annotations

import math
from typing import Any

from yaml import MappingNode, Node, ScalarNode, SequenceNode
from yaml.constructor import SafeConstructor

STR, INT, FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
BOOL, NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
SEQ, MAP, MERGE = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map", "tag:yaml.org,2002:merge"
_BOOLS: dict[str, bool] = SafeConstructor.bool_values


class _LookCloser(Exception):
    """Raised inside the fast walks: this document needs the careful path."""


UNSUPPORTED: Any = object()  # what ``construct`` returns for a document it leaves to PyYAML


def fine(root: Node, max_nodes: int, max_depth: int) -> bool:
    """True when the careful check would pass: no recursive alias, no duplicate key, at most
    ``max_nodes`` values and ``max_depth`` levels once aliases are expanded. False means only
    "look closer" (the careful check decides, and locates what it finds)."""
    try:
        size, depth = _measure(root, 1, max_depth, {}, set())
    except _LookCloser:
        return False
    return size <= max_nodes and depth <= max_depth


def _measure(
    node: Node, level: int, max_depth: int, memo: dict[int, tuple[int, int]], open_ids: set[int]
) -> tuple[int, int]:
    """(values in the subtree once aliases are expanded, collections nested in it), like ``check_nodes``."""
    if node.__class__ is ScalarNode:
        return 1, 0
    key = id(node)
    if key in memo:  # a shared node (an alias): measured once
        return memo[key]
    if key in open_ids or level > max_depth:  # recursion stays within max_depth frames
        raise _LookCloser
    open_ids.add(key)
    size, deepest = 1, 0
    if node.__class__ is MappingNode:
        seen: set[tuple[str, str]] = set()
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise _LookCloser
            if key_node.tag != MERGE:
                pair = (key_node.tag, key_node.value)
                if pair in seen:
                    raise _LookCloser
                seen.add(pair)
            size += 1
            child_size, child_depth = _measure(value_node, level + 1, max_depth, memo, open_ids)
            size += child_size
            deepest = max(deepest, child_depth)
    elif node.__class__ is SequenceNode:
        for item in node.value:
            child_size, child_depth = _measure(item, level + 1, max_depth, memo, open_ids)
            size += child_size
            deepest = max(deepest, child_depth)
    else:
        raise _LookCloser
    open_ids.discard(key)
    memo[key] = (size, deepest + 1)
    return memo[key]


def construct(root: Node) -> Any:
    """The document's data, as ``yamlio.SafeLoader`` builds it, or ``UNSUPPORTED``.

    Only for a document ``fine`` accepted (no cycles, bounded depth). A node that aliases share
    becomes one shared object, as PyYAML makes it.
    """
    try:
        return _build(root, {})
    except (_LookCloser, ValueError, KeyError, TypeError):
        return UNSUPPORTED  # PyYAML builds it, and raises what it raises


def _build(node: Node, memo: dict[int, Any]) -> Any:
    cls, tag = node.__class__, node.tag
    if cls is ScalarNode:
        return _scalar(tag, node.value)
    key = id(node)
    if key in memo:
        return memo[key]
    if cls is SequenceNode and tag == SEQ:
        items: list[Any] = []
        memo[key] = items
        items.extend(_build(item, memo) for item in node.value)
        return items
    if cls is MappingNode and tag == MAP:
        mapping: dict[Any, Any] = {}
        memo[key] = mapping
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag == MERGE:
                raise _LookCloser
            mapping[_scalar(key_node.tag, key_node.value)] = _build(value_node, memo)
        return mapping
    raise _LookCloser


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


def _scalar(tag: str, text: str) -> Any:
    # The same values as yamlio's constructors (YAML 1.2 core schema) and PyYAML's for str/bool/null.
    if tag == STR:
        return text
    if tag == INT:
        return core_int(text)
    if tag == FLOAT:
        return core_float(text)
    if tag == BOOL:
        return _BOOLS[text.lower()]
    if tag == NULL:
        return None
    raise _LookCloser
