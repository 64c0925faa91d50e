"""The careful check of a composed YAML document, which locates what it refuses.

A node that aliases share is visited once, so an alias "bomb" is measured without being expanded:
too many values, too deep a nesting, a recursive alias or a duplicate key is refused with its
line and key path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from investigate.core.errors import KeyPath, ValidationError, key_text, located
from investigate.core.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

MERGE = "tag:yaml.org,2002:merge"
SHOWN_KEYS = 6  # leading keys of a too-deep value's path that an error shows


@dataclass
class _Frame:
    """A collection node being measured: its children still to visit, and the totals so far."""

    node: yaml.Node
    path: KeyPath
    children: Iterator[tuple[yaml.Node, KeyPath]]
    size: int = 1  # values in the subtree once aliases are expanded, this node included
    depth: int = 1  # collections nested in the subtree, this one included


def check_nodes(root: yaml.Node, shown: str, max_nodes: int = MAX_YAML_NODES, max_depth: int = MAX_YAML_DEPTH) -> None:
    """Refuse a document too large or too deep once aliases are expanded, a recursive alias, a duplicate key.

    Sizes are summed bottom-up with one entry per distinct node, so nine levels of nine aliases
    (387 million values) cost 90 node visits, not 387 million. Iterative: nesting needs no stack.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, depth)
    open_ids: set[int] = set()  # collections on the current path: meeting one again is a cycle
    stack: list[_Frame] = []

    def enter(node: yaml.Node, path: KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            _check_duplicate_keys(node, path, shown)
        open_ids.add(id(node))
        stack.append(_Frame(node, path, _children(node, path)))
        if len(stack) > max_depth:
            raise _too_deep(shown, node, path, f"nested more than {max_depth} levels deep")

    enter(root, ())
    while stack:
        frame = stack[-1]
        child = next(frame.children, None)
        if child is None:
            stack.pop()
            open_ids.discard(id(frame.node))
            line = frame.node.start_mark.line + 1
            if frame.size > max_nodes:
                reason = f"expands to {frame.size:,} values (aliases expanded); the limit is {max_nodes:,}"
                raise located(shown, line, frame.path, reason)
            if frame.depth > max_depth:  # only through aliases: a direct nesting stops at enter()
                raise _too_deep(
                    shown,
                    frame.node,
                    frame.path,
                    f"aliases nest it {frame.depth} levels deep; the limit is {max_depth}",
                )
            measured[id(frame.node)] = (frame.size, frame.depth)
            if stack:
                stack[-1].size += frame.size
                stack[-1].depth = max(stack[-1].depth, frame.depth + 1)
            continue
        node, path = child
        if isinstance(node, yaml.ScalarNode):
            frame.size += 1
        elif id(node) in measured:  # a shared node (an alias): counted again, not walked again
            size, depth = measured[id(node)]
            frame.size += size
            frame.depth = max(frame.depth, depth + 1)
        elif id(node) in open_ids:
            raise located(shown, node.start_mark.line + 1, path, "recursive alias: a value contains itself")
        else:
            enter(node, path)


def _too_deep(shown: str, node: yaml.Node, path: KeyPath, reason: str) -> ValidationError:
    # A hundred levels of key path help nobody: show where the nesting starts.
    key = key_text(path[:SHOWN_KEYS]) + ("…" if len(path) > SHOWN_KEYS else "")
    return ValidationError(shown, node.start_mark.line + 1, key, reason)


def _children(node: yaml.Node, path: KeyPath) -> Iterator[tuple[yaml.Node, KeyPath]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield key_node, path
            yield value_node, path + (mapping_key(key_node),)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield item, path + (index,)


def mapping_key(key_node: yaml.Node) -> Any:
    # A key that is a list or mapping has no readable path; the constructor refuses it anyway.
    return key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"


def _check_duplicate_keys(node: yaml.MappingNode, path: KeyPath, shown: str) -> None:
    """The safe loader keeps the last of two equal keys; a silently dropped value is a mistake."""
    seen: set[tuple[str, str]] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE:
            continue  # `<<: *base` merges keys that the mapping may then override
        key = (key_node.tag, key_node.value)
        if key in seen:
            raise located(shown, key_node.start_mark.line + 1, path, f"duplicate key {key_node.value!r}")
        seen.add(key)
