"""Loading the common YAML document fast: mappings, lists and core-schema scalars, nothing unusual.

``yamlio`` checks every node of a document (its size and depth once aliases are expanded, a
recursive alias, a duplicate key) with a walk that carries each node's key path so that an error
can say where, and PyYAML's constructor builds data through generators and per-tag dispatch. A
workspace may hold 10,000 small hypothesis files that are almost always fine, and those two steps
were two thirds of parsing them. So a document is measured and built in one plain walk that
answers "here is the data" or "look closer", for the tags the core schema resolves; anything else
(an error to locate, a merge key, an explicit tag such as ``!!binary``) takes the careful way,
which decides exactly as before.
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
    """Raised inside the fast walk: this document needs the careful path."""


LOOK_CLOSER: Any = object()  # what ``load`` returns for a document it leaves to the careful path


def load(root: Node, max_nodes: int, max_depth: int) -> tuple[Any, bool] | Any:
    """``(data, keys_are_strings)`` for a document the careful path would accept and build the same
    way, or ``LOOK_CLOSER``.

    One walk measures and builds: it refuses (hands back) a recursive alias, a duplicate key, more
    than ``max_nodes`` values or ``max_depth`` levels once aliases are expanded, and any tag or key
    the core schema does not produce; the careful check then decides, and locates what it finds.
    ``keys_are_strings`` is what JSON needs to give the data back exactly (``yamlcache``). A node
    that aliases share becomes one shared object, as PyYAML makes it.
    """
    odd_keys: list[Any] = []
    try:
        data, size, depth = _load(root, 1, max_depth, {}, set(), odd_keys)
    except (_LookCloser, ValueError, KeyError, TypeError):
        return LOOK_CLOSER
    if size > max_nodes or depth > max_depth:
        return LOOK_CLOSER
    return data, not odd_keys


def _load(
    node: Node, level: int, max_depth: int, memo: dict[int, tuple[Any, int, int]], open_ids: set[int], odd: list[Any]
) -> tuple[Any, int, int]:
    """(value, values in the subtree once aliases are expanded, collections nested in it)."""
    cls, tag = node.__class__, node.tag
    if cls is ScalarNode:
        return _scalar(tag, node.value), 1, 0
    key = id(node)
    if key in memo:  # a shared node (an alias): built and measured once
        return memo[key]
    if key in open_ids or level > max_depth:  # recursion stays within max_depth frames
        raise _LookCloser
    open_ids.add(key)
    size, deepest = 1, 0
    value: Any
    if cls is MappingNode and tag == MAP:
        value = {}
        seen: set[tuple[str, str]] = set()
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag == MERGE:
                raise _LookCloser
            pair = (key_node.tag, key_node.value)
            if pair in seen:
                raise _LookCloser
            seen.add(pair)
            item, child_size, child_depth = _load(value_node, level + 1, max_depth, memo, open_ids, odd)
            name = _scalar(key_node.tag, key_node.value)
            if name.__class__ is not str:
                odd.append(name)
            value[name] = item
            size += 1 + child_size
            if child_depth > deepest:
                deepest = child_depth
    elif cls is SequenceNode and tag == SEQ:
        value = []
        for child in node.value:
            item, child_size, child_depth = _load(child, level + 1, max_depth, memo, open_ids, odd)
            value.append(item)
            size += child_size
            if child_depth > deepest:
                deepest = child_depth
    else:
        raise _LookCloser
    open_ids.discard(key)
    memo[key] = (value, size, deepest + 1)
    return memo[key]


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
