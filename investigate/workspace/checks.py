"""Checks that span files: every id a file mentions must name something that exists.

Each check is a small callable so ``validate`` can report all failures and ``load_workspace``
can stop at the first. The checks see only the loaded models and a ``locate`` callable that
turns (owner id, key path, reason) into a located error, so they do not depend on the workspace.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator

from investigate.core.errors import KeyPath, ValidationError
from investigate.formats.schema import Initiative
from investigate.workspace.lazymodels import Hypotheses

Check = Callable[[], None]
Locate = Callable[[str, KeyPath, str], ValidationError]


def cross_checks(hypotheses: Hypotheses, initiatives: dict[str, Initiative], locate: Locate) -> Iterator[Check]:
    # Sets, not sorted lists: 10,000 hypotheses made list membership the cost of loading.
    initiative_ids, hypothesis_ids = frozenset(initiatives), frozenset(hypotheses)
    for hyp_id in list(hypotheses):
        initiative = hypotheses.head(hyp_id).initiative  # no model needed: a deferred one stays deferred
        # Only a failing check is yielded here: 10,000 closures that pass cost more than the checks.
        if initiative is not None and initiatives and initiative not in initiative_ids:
            yield _exists(locate, hyp_id, ("initiative",), initiative, initiative_ids, "initiative")
    for ini in list(initiatives.values()):
        yield from _initiative_checks(locate, ini, hypothesis_ids)


def _initiative_checks(locate: Locate, ini: Initiative, known: Collection[str]) -> Iterator[Check]:
    first: dict[str, int] = {}
    for index, name in enumerate(ini.hypotheses):
        yield _exists(locate, ini.id, ("hypotheses", index), name, known, "hypothesis")
        if name in first:  # counted twice, the summary said "0 of 2 decided" where status counts 1
            yield _duplicate(locate, ini.id, index, name, first[name])
        first.setdefault(name, index)
    tree = ini.decision_tree
    if tree is not None:
        nodes = frozenset(tree.nodes)
        yield _exists(locate, ini.id, ("decision_tree", "start"), tree.start, nodes, "tree node")
        for node_id, node in tree.nodes.items():
            if node.hypothesis is not None:
                key = ("decision_tree", "nodes", node_id, "hypothesis")
                yield _exists(locate, ini.id, key, node.hypothesis, known, "hypothesis")
            for outcome, target in node.edges().items():
                key = ("decision_tree", "nodes", node_id, outcome)
                if target not in nodes:
                    yield _terminal_label(locate, ini.id, key, target, nodes)
        yield lambda: _no_cycle(locate, ini)
    if ini.summary is not None:
        for claim in ini.summary.claims:
            yield _exists(locate, ini.id, ("summary", "claims", claim), claim, known, "hypothesis")
        for spec, where in ini.summary.verification_tables:
            key = ("summary", "verification", *where, "hypothesis")
            yield _exists(locate, ini.id, key, spec.hypothesis, known, "hypothesis")


def _exists(locate: Locate, owner: str, key_path: KeyPath, name: str, known: Collection[str], kind: str) -> Check:
    def check() -> None:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise locate(owner, key_path, f"unknown {kind} {name!r}{hint}")

    return check


LABEL_CUTOFF = 0.8  # a target this close to a node id is taken for a misspelt node, not a label


def _terminal_label(locate: Locate, owner: str, key_path: KeyPath, target: str, nodes: Collection[str]) -> Check:
    """A target that is not a node is a terminal label (``done``), as docs/format.md and the walk have it.

    It was refused as an unknown node, so a documented tree failed ``validate``. A typo of a node id
    would now pass as a label and stop the walk early, so a target that reads almost like a node id
    (``prboe`` beside ``probe``) is still refused, with the node it resembles.
    """

    def check() -> None:
        close = difflib.get_close_matches(target, sorted(nodes), n=1, cutoff=LABEL_CUTOFF)
        if close:
            raise locate(owner, key_path, f"unknown tree node {target!r} (did you mean {close[0]}? "
                                          "a terminal label must not read like a node id)")  # fmt: skip

    return check


def _duplicate(locate: Locate, owner: str, index: int, name: str, earlier: int) -> Check:
    def check() -> None:
        raise locate(owner, ("hypotheses", index), f"{name} is listed twice (also hypotheses[{earlier}]): list it once")

    return check


def _no_cycle(locate: Locate, ini: Initiative) -> None:
    """Depth-first search with an explicit stack: a 10,000-node chain must not hit the recursion limit."""
    assert ini.decision_tree is not None
    nodes = ini.decision_tree.nodes
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in nodes:
        if root in state:
            continue
        path: list[str] = [root]
        stack: list[Iterator[str]] = [iter(nodes[root].edges().values())]
        state[root] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif target in nodes and state.get(target) == 1:
                cycle = " -> ".join([*path[path.index(target) :], target])
                raise locate(ini.id, ("decision_tree", "nodes", path[-1]), f"decision tree has a cycle: {cycle}")
            elif target in nodes and target not in state:  # an unknown target is reported by the edge check
                state[target] = 1
                path.append(target)
                stack.append(iter(nodes[target].edges().values()))
