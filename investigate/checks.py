"""Checks that span files: every id a file mentions must name something that exists.

Each check is a small callable so ``validate`` can report all failures and ``load_workspace``
can stop at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from investigate.errors import ValidationError
from investigate.schema import Initiative
from investigate.yamlio import dotted

if TYPE_CHECKING:
    from investigate.workspace import Workspace

Check = Callable[[], None]


def cross_checks(ws: Workspace) -> Iterator[Check]:
    for hyp in list(ws.hypotheses.values()):
        if hyp.initiative is not None and ws.initiatives:
            yield _exists(ws, hyp.id, ("initiative",), hyp.initiative, sorted(ws.initiatives), "initiative")
    for ini in list(ws.initiatives.values()):
        yield from _initiative_checks(ws, ini)


def _initiative_checks(ws: Workspace, ini: Initiative) -> Iterator[Check]:
    known = sorted(ws.hypotheses)
    for index, name in enumerate(ini.hypotheses):
        yield _exists(ws, ini.id, ("hypotheses", index), name, known, "hypothesis")
    tree = ini.decision_tree
    if tree is not None:
        nodes = sorted(tree.nodes)
        yield _exists(ws, ini.id, ("decision_tree", "start"), tree.start, nodes, "tree node")
        for node_id, node in tree.nodes.items():
            if node.hypothesis is not None:
                yield _exists(
                    ws, ini.id, ("decision_tree", "nodes", node_id, "hypothesis"), node.hypothesis, known, "hypothesis"
                )
            for outcome, target in node.edges().items():
                yield _exists(ws, ini.id, ("decision_tree", "nodes", node_id, outcome), target, nodes, "tree node")
        yield lambda: _no_cycle(ws, ini)
    if ini.summary is not None:
        for claim in ini.summary.claims:
            yield _exists(ws, ini.id, ("summary", "claims", claim), claim, known, "hypothesis")
        if ini.summary.verification is not None:
            name = ini.summary.verification.hypothesis
            yield _exists(ws, ini.id, ("summary", "verification", "hypothesis"), name, known, "hypothesis")


def _exists(ws: Workspace, owner: str, key_path: tuple[Any, ...], name: str, known: list[str], kind: str) -> Check:
    def check() -> None:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise _located(ws, owner, key_path, f"unknown {kind} {name!r}{hint}")

    return check


def _no_cycle(ws: Workspace, ini: Initiative) -> None:
    assert ini.decision_tree is not None
    nodes = ini.decision_tree.nodes
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(node_id: str, path: list[str]) -> None:
        state[node_id] = 1
        for target in nodes[node_id].edges().values():
            if target not in nodes:
                continue  # reported by the edge check
            if state.get(target) == 1:
                cycle = " -> ".join(path[path.index(target) :] + [target]) if target in path else target
                raise _located(ws, ini.id, ("decision_tree", "nodes", node_id), f"decision tree has a cycle: {cycle}")
            if target not in state:
                visit(target, path + [target])
        state[node_id] = 2

    for node_id in nodes:
        if node_id not in state:
            visit(node_id, [node_id])


def _located(ws: Workspace, owner: str, key_path: tuple[Any, ...], reason: str) -> ValidationError:
    return ValidationError(ws.relative(ws.source_path(owner)), ws.line_of(owner, *key_path), dotted(key_path), reason)
