"""Walk an initiative's decision tree with the current verdicts; render it as text or Mermaid.

The walk starts at ``start`` and follows, at each node, the edge named by its hypothesis'
outcome. It stops at a node whose hypothesis is still untested (that is the next experiment),
at an outcome with no edge (a leaf), or at a target that is not a node (a terminal label such as
``done``). Edges leaving the path that were not taken are *pruned*.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from investigate.formats.schema import Initiative, Outcome

MARKS = {"confirmed": "✓", "fixed": "✓", "ruled_out": "✗", "inconclusive": "?", "untested": "○"}
COLOURS = {
    "confirmed": "fill:#d4f7d4,stroke:#2a7a2a",
    "fixed": "fill:#cfe3ff,stroke:#1f5fbf",
    "ruled_out": "fill:#eeeeee,stroke:#888888,color:#555555",
    "inconclusive": "fill:#fff3c4,stroke:#b08800",
    "untested": "fill:#ffffff,stroke:#999999,stroke-dasharray:4 3",
    "terminal": "fill:#f4f4f4,stroke:#333333",
}
MAX_INDENT = 40  # levels of the text tree that indent further; deeper levels keep the last indent


@dataclass
class NodeState:
    id: str
    question: str
    hypothesis: str | None
    outcome: Outcome | None  # None: no hypothesis on this node (a pure question or a terminal)
    state: str  # "answered" / "pending" / "unreached" / "terminal"
    on_path: bool
    edges: dict[str, str]
    stale: str | None = None  # why its hypothesis' evidence no longer matches the code (plan.staleness)


@dataclass
class Edge:
    source: str
    outcome: str
    target: str


@dataclass
class TreeWalk:
    initiative: str
    title: str
    start: str
    nodes: dict[str, NodeState]
    path: list[str]
    taken: list[Edge] = field(default_factory=list)
    pruned: list[Edge] = field(default_factory=list)
    next_node: str | None = None
    note: str = ""

    @property
    def next_command(self) -> str | None:
        node = self.nodes.get(self.next_node or "")
        return f"investigate run {node.hypothesis}" if node and node.hypothesis else None

    @property
    def edges(self) -> list[Edge]:
        return [Edge(n.id, o, t) for n in self.nodes.values() for o, t in n.edges.items()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "initiative": self.initiative,
            "start": self.start,
            "path": self.path,
            "nodes": {
                n.id: {
                    "question": n.question,
                    "hypothesis": n.hypothesis,
                    "state": n.state,
                    "outcome": n.outcome.value if n.outcome else None,
                    "on_path": n.on_path,
                    "edges": n.edges,
                    "stale": n.stale,
                }
                for n in self.nodes.values()
            },
            "taken": [e.__dict__ for e in self.taken],
            "pruned": [e.__dict__ for e in self.pruned],
            "next_node": self.next_node,
            "next_command": self.next_command,
            "note": self.note,
        }


def walk(initiative: Initiative, outcomes: dict[str, Outcome], stale: dict[str, str] | None = None) -> TreeWalk | None:
    """The state of ``initiative``'s tree given each hypothesis' outcome (absent = untested) and
    the reason its evidence is stale, where it is."""
    tree = initiative.decision_tree
    if tree is None:
        return None
    nodes: dict[str, NodeState] = {}
    for nid, node in tree.nodes.items():
        outcome = outcomes.get(node.hypothesis, Outcome.untested) if node.hypothesis else None
        nodes[nid] = NodeState(nid, node.question, node.hypothesis, outcome, "unreached", False, node.edges())
        nodes[nid].stale = (stale or {}).get(node.hypothesis or "")
    # Targets that are not nodes are terminal labels; give them a node so renderers can draw them.
    for edge in [Edge(n.id, o, t) for n in list(nodes.values()) for o, t in n.edges.items()]:
        if edge.target not in nodes:
            nodes[edge.target] = NodeState(edge.target, edge.target, None, None, "terminal", False, {})
    result = TreeWalk(initiative.id, initiative.title, tree.start, nodes, [])
    visited: set[str] = set()  # the path as a set: a 10,000-node chain is one pass, not 10,000 scans
    current: str | None = tree.start
    while current is not None:
        state = nodes.get(current)
        if state is None:  # a start that names nothing; validation reports it, the walk just ends
            result.note = f"start node {current!r} is not defined"
            break
        state.on_path = True
        result.path.append(current)
        visited.add(current)
        if state.state == "terminal" or state.outcome is None:
            state.state = "terminal" if state.state == "terminal" else "answered"
            result.note = result.note or "reached a leaf"
            break
        if state.outcome is Outcome.untested:
            state.state = "pending"
            result.next_node = current
            result.note = f"{current} needs an experiment"
            break
        state.state = "answered"
        target = tree.nodes[current].edge(state.outcome)
        taken_outcome = (
            state.outcome.value
            if state.edges.get(state.outcome.value) == target
            else ("confirmed" if target is not None and _leads("confirmed", state.outcome) else None)
        )
        for edge_name, dest in state.edges.items():
            if edge_name != taken_outcome:
                result.pruned.append(Edge(current, edge_name, dest))
        if target is None:
            result.note = f"{current} answered {state.outcome.value}; no branch follows"
            break
        result.taken.append(Edge(current, taken_outcome or state.outcome.value, target))
        if target in visited:
            result.note = f"cycle: {current} leads back to {target}"
            break
        current = target
    for state in nodes.values():
        if state.state == "unreached" and state.outcome not in (None, Outcome.untested):
            state.state = "answered"  # measured, though the path does not pass through it
    return result


def _leads(edge_outcome: str, outcome: Outcome) -> bool:
    # A fixed verdict follows the confirmed edge when the node has no fixed edge of its own.
    return edge_outcome == outcome.value or (outcome is Outcome.fixed and edge_outcome == "confirmed")


def _mark(state: NodeState) -> str:
    if state.state == "terminal":
        return "■"
    return MARKS[state.outcome.value] if state.outcome else "•"


def render_text(walk_: TreeWalk) -> str:
    """The path expanded as a tree; pruned branches shown, not expanded."""
    lines = [f"{walk_.initiative} — {walk_.title}"]
    if walk_.start in walk_.nodes:
        lines.append(_node_line(walk_.nodes[walk_.start]))
        lines.extend(_branch_lines(walk_))
    lines.append("")
    lines.append("path: " + " → ".join(walk_.path))
    stale = [n for n in walk_.nodes.values() if n.stale]
    lines += [f"stale: {n.hypothesis}: {n.stale}" for n in stale]
    if walk_.next_node:
        lines.append(f"next: {walk_.next_node} — {walk_.next_command}")
    else:
        lines.append(f"resolved: {walk_.note}" if walk_.note else "resolved")
    return "\n".join(lines) + "\n"


def _node_line(state: NodeState) -> str:
    if state.state == "terminal":
        return f"{_mark(state)} {state.id}"
    shown = (
        f"{state.outcome.value}, stale"
        if state.stale and state.outcome
        else state.outcome.value
        if state.outcome
        else ""
    )
    hyp = f"  {state.hypothesis} [{shown}]" if state.hypothesis and state.outcome else ""
    return f"{_mark(state)} {state.id}{hyp}  {state.question}"


def _branch_lines(walk_: TreeWalk) -> Iterator[str]:
    """One line per edge below the start, depth first; a taken edge is expanded, others are not.

    An explicit stack, not recursion: the taken path is as deep as the tree is long, and a
    10,000-node chain must render. Each frame holds a node's remaining edges and its indent.
    """
    taken = {(e.source, e.outcome) for e in walk_.taken}
    pruned = {(e.source, e.outcome) for e in walk_.pruned}
    ancestors = {walk_.start}  # a taken edge back up the path is listed, not expanded again
    stack = [(walk_.start, _edges_with_last(walk_.nodes[walk_.start]), "")]
    while stack:
        nid, edges, prefix = stack[-1]
        edge = next(edges, None)
        if edge is None:
            stack.pop()
            ancestors.discard(nid)
            continue
        outcome, target, last = edge
        branch, child = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if (nid, outcome) in taken and target not in ancestors:
            yield f"{prefix}{branch}{outcome} → {_node_line(walk_.nodes[target])}"
            # Beyond MAX_INDENT levels the indent stops growing: a 10,000-node chain indented
            # level by level would print 150 MB of spaces.
            deeper = prefix + child if len(stack) < MAX_INDENT else prefix
            ancestors.add(target)
            stack.append((target, _edges_with_last(walk_.nodes[target]), deeper))
        else:
            status = "taken" if (nid, outcome) in taken else ("pruned" if (nid, outcome) in pruned else "not reached")
            yield f"{prefix}{branch}{outcome} → {target}  ({status})"


def _edges_with_last(state: NodeState) -> Iterator[tuple[str, str, bool]]:
    edges = list(state.edges.items())
    for index, (outcome, target) in enumerate(edges):
        yield outcome, target, index == len(edges) - 1


def mermaid_id(name: str) -> str:
    """A Mermaid node id per node name, never shared: ``n_<name>`` when it is word characters, else hashed.

    Mermaid reads '-' as part of an arrow, so only ASCII word characters are kept; ``a-b``, ``a_b``
    and ``a.b`` once all became ``n_a_b``, one node with self-loops. A name that is not kept as it is
    gets ``h_``, its slug and a hash of the name, and an exact one starts ``n_``, so they cannot meet.
    """
    if re.fullmatch(r"[A-Za-z0-9_]+", name):
        return "n_" + name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"h_{re.sub(r'[^A-Za-z0-9_]', '_', name)[:40]}_{digest}"


def _label(text: str) -> str:
    """Text inside a quoted Mermaid label: one line, and no character that Mermaid or markdown reads.

    A backtick could close the markdown fence around the chart and ``\r`` end its line, so both go,
    with quotes and angle brackets, as Mermaid's ``#code;`` entities (``#`` itself first).
    """
    flat = " ".join(text.split())
    for char in '#"`<>':
        flat = flat.replace(char, f"#{ord(char)};")
    return flat


def render_mermaid(walk_: TreeWalk) -> str:
    """``flowchart TD``: nodes coloured by outcome, edges labelled, the taken path drawn thick."""
    lines = ["flowchart TD"]
    for state in walk_.nodes.values():
        if state.state == "terminal":
            text = _label(state.id)
        else:
            text = _label(f"{state.id}: {state.question}")
            if state.hypothesis and state.outcome:
                text += "<br/>" + _label(f"{state.hypothesis}: {state.outcome.value}")
        lines.append(f'    {mermaid_id(state.id)}["{text}"]')
    taken = {(e.source, e.outcome) for e in walk_.taken}
    thick: list[int] = []
    for i, edge in enumerate(walk_.edges):
        lines.append(f"    {mermaid_id(edge.source)} -->|{edge.outcome}| {mermaid_id(edge.target)}")
        if (edge.source, edge.outcome) in taken:
            thick.append(i)
    classes: dict[str, list[str]] = {}
    for state in walk_.nodes.values():
        key = "terminal" if state.state == "terminal" else (state.outcome.value if state.outcome else None)
        if key:
            classes.setdefault(key, []).append(mermaid_id(state.id))
    for key in COLOURS:
        if key in classes:
            lines.append(f"    classDef {key} {COLOURS[key]}")
            lines.append(f"    class {','.join(classes[key])} {key}")
    if thick:
        lines.append(f"    linkStyle {','.join(map(str, thick))} stroke:#1f5fbf,stroke-width:3px")
    return "\n".join(lines) + "\n"
