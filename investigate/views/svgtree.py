"""The decision tree as an inline SVG, laid out here (no Mermaid, no JavaScript, no network).

Layout (a small Sugiyama): nodes sit in layers by their longest path from a root, so every edge
points down; an edge that skips layers gets a narrow slot in each layer it crosses, so it runs
beside the boxes, not through them; within a layer, nodes and slots are ordered by the mean
position of their parents (one barycentre sweep), which keeps a tree's branches apart. Boxes are
coloured by outcome as in the Mermaid chart, the taken path is drawn thick and blue, pruned edges
dashed. Each edge leaves its source from a port of its own along the box's bottom, and its label
sits just below that port, reaching outwards, so two labels of one node never print over each other
("ruledrout"), even where both edges lead to the same node. Text is escaped; each node is a
``<g>`` with ``data-node``, so tests (and readers of the DOM) can find it.
"""

from __future__ import annotations

import html
import itertools
import textwrap
from collections import defaultdict, deque

from investigate.views.tree import COLOURS, Edge, NodeState, TreeWalk

BOX_W, LINE_H, PAD, GAP_X, GAP_Y, WRAP, MAX_LINES = 240, 14, 8, 28, 46, 34, 4
DUMMY_W = 22  # the slot an edge takes in a layer it passes through

Item = tuple[str, ...]  # ("node", id) or ("dummy", edge index, layer)


def depths(walk: TreeWalk) -> dict[str, int]:
    """Each node's layer: its longest path from a root (nodes left over by a cycle go last)."""
    targets: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(walk.nodes, 0)
    for e in walk.edges:
        targets[e.source].append(e.target)
        indegree[e.target] += 1
    depth = dict.fromkeys(walk.nodes, 0)
    ready = deque(n for n in walk.nodes if indegree[n] == 0)
    done: set[str] = set()
    while ready:  # Kahn's topological order: a node's depth is final once all its parents are done
        nid = ready.popleft()
        done.add(nid)
        for target in targets[nid]:
            depth[target] = max(depth[target], depth[nid] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    last = max((depth[n] for n in done), default=-1)
    for nid in walk.nodes:
        if nid not in done:
            depth[nid] = last + 1
    return depth


def layers(walk: TreeWalk) -> list[list[Item]]:
    """Nodes per layer, with a dummy slot where a longer edge passes, ordered by one barycentre sweep."""
    depth = depths(walk)
    grouped: list[list[Item]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for nid in walk.nodes:  # file order within a layer, before the sweep
        grouped[depth[nid]].append(("node", nid))
    parents: dict[Item, list[Item]] = defaultdict(list)
    for index, e in enumerate(walk.edges):
        previous: Item = ("node", e.source)
        for level in range(depth[e.source] + 1, depth[e.target]):
            dummy: Item = ("dummy", str(index), str(level))
            grouped[level].append(dummy)
            parents[dummy].append(previous)
            previous = dummy
        parents[("node", e.target)].append(previous)
    position: dict[Item, float] = {item: float(i) for i, item in enumerate(grouped[0])} if grouped else {}
    for layer in grouped[1:]:
        order = {item: float(i) for i, item in enumerate(layer)}

        def centre(item: Item, order: dict[Item, float] = order) -> float:
            placed = [position[p] for p in parents[item] if p in position]
            return sum(placed) / len(placed) if placed else order[item]

        layer.sort(key=centre)
        position.update({item: float(i) for i, item in enumerate(layer)})
    return grouped


def _lines(state: NodeState) -> list[str]:
    if state.state == "terminal":
        return [state.id]
    wrapped = textwrap.wrap(state.question, WRAP) or [""]
    if len(wrapped) > MAX_LINES:
        wrapped = wrapped[:MAX_LINES]
        wrapped[-1] = wrapped[-1][: WRAP - 1] + "…"
    status = [f"{state.hypothesis}: {state.outcome.value}"] if state.hypothesis and state.outcome else []
    return [state.id, *wrapped, *status]


def _style(state: NodeState) -> dict[str, str]:
    key = "terminal" if state.state == "terminal" else (state.outcome.value if state.outcome else "terminal")
    parts = dict(item.split(":", 1) for item in COLOURS[key].split(","))
    return {"fill": parts.get("fill", "#fff"), "stroke": parts.get("stroke", "#333"),
            "dash": parts.get("stroke-dasharray", ""), "text": parts.get("color", "#111")}  # fmt: skip


def render_svg(walk: TreeWalk) -> str:
    grouped = layers(walk)
    texts = {nid: _lines(state) for nid, state in walk.nodes.items()}
    heights = {nid: len(lines) * LINE_H + 2 * PAD for nid, lines in texts.items()}

    def slot(item: Item) -> float:
        return BOX_W if item[0] == "node" else DUMMY_W

    width = max((sum(slot(i) + GAP_X for i in layer) for layer in grouped), default=0.0) + GAP_X
    boxes: dict[str, tuple[float, float, float]] = {}  # node id -> (x, y, height)
    lanes: dict[tuple[str, str], tuple[float, float, float]] = {}  # (edge, layer) -> (x, top, bottom)
    y = float(GAP_X)
    for level, layer in enumerate(grouped):
        tall = max((heights[item[1]] for item in layer if item[0] == "node"), default=0)
        x = (width - sum(slot(i) + GAP_X for i in layer) + GAP_X) / 2
        for item in layer:
            if item[0] == "node":
                boxes[item[1]] = (x, y, heights[item[1]])
            else:
                lanes[(item[1], str(level))] = (x + DUMMY_W / 2, y, y + tall)
            x += slot(item) + GAP_X
        y += tall + GAP_Y
    height = y - GAP_Y + GAP_X
    taken = {(e.source, e.outcome) for e in walk.taken}
    pruned = {(e.source, e.outcome) for e in walk.pruned}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="decision-tree" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="decision tree of {html.escape(walk.initiative)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888888"/></marker>'
        '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5fbf"/></marker></defs>',
    ]
    leaving: dict[str, list[Edge]] = defaultdict(list)
    for e in walk.edges:
        leaving[e.source].append(e)
    for index, e in enumerate(walk.edges):
        via = [lanes[key] for key in sorted(k for k in lanes if k[0] == str(index)) if key]
        via.sort(key=lambda lane: lane[1])
        siblings = leaving[e.source]
        port = (siblings.index(e) + 1) / (len(siblings) + 1)  # the edge's share of the box's bottom
        out.append(_edge(e, boxes, via, (e.source, e.outcome) in taken, (e.source, e.outcome) in pruned, port))
    out += [_node(walk.nodes[nid], boxes[nid], texts[nid]) for nid in walk.nodes]
    out.append("</svg>")
    return "\n".join(out)


def _edge(
    e: Edge,
    boxes: dict[str, tuple[float, float, float]],
    via: list[tuple[float, float, float]],
    taken: bool,
    pruned: bool,
    port: float = 0.5,
) -> str:
    sx, sy, sh = boxes[e.source]
    tx, ty, _ = boxes[e.target]
    points = [(sx + BOX_W * port, sy + sh)]
    for x, top, bottom in via:  # straight down through each layer it crosses, beside the boxes
        points += [(x, top), (x, bottom)]
    points.append((tx + BOX_W / 2, ty))
    path = f"M {points[0][0]:.1f} {points[0][1]:.1f}"
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        if x1 == x2:
            path += f" L {x2:.1f} {y2:.1f}"
            continue
        bend = max(abs(y2 - y1) / 2, 12)
        path += f" C {x1:.1f} {y1 + bend:.1f}, {x2:.1f} {y2 - bend:.1f}, {x2:.1f} {y2:.1f}"
    colour, stroke = ("#1f5fbf", 3) if taken else ("#888888", 1.2)
    dash = ' stroke-dasharray="5 4"' if pruned else ""
    marker = "arrow-taken" if taken else "arrow"
    (x1, y1), (x2, y2) = points[0], points[1]
    label = html.escape(e.outcome)
    # just below its port, reaching outwards: a left port's label ends left of it, a right port's
    # starts right of it, so the labels of one node stay apart even where their edges converge
    anchor, dx = ("end", -4) if port < 0.5 else ("start", 4) if port > 0.5 else ("middle", 0)
    lx, ly = x1 + dx, y1 + min(max((y2 - y1) * 0.3, 10), 16)
    return (
        f'<g class="edge{" taken" if taken else ""}" data-edge="{html.escape(e.source)}:{label}">'
        f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{marker})"/>'
        f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="10" text-anchor="{anchor}" '
        f'fill="{colour}" paint-order="stroke" stroke="#ffffff" stroke-width="3">{label}</text></g>'
    )


def _node(state: NodeState, box: tuple[float, float, float], lines: list[str]) -> str:
    x, y, h = box
    style = _style(state)
    dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
    width = 3 if state.on_path else 1.3
    rows = []
    for i, line in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        rows.append(
            f'<text x="{x + PAD:.1f}" y="{y + PAD + (i + 0.8) * LINE_H:.1f}" font-size="11"{weight} '
            f'fill="{style["text"]}">{html.escape(line)}</text>'
        )
    return (
        f'<g class="node {html.escape(state.state)}" data-node="{html.escape(state.id)}">'
        f"<title>{html.escape(state.id + ': ' + state.question)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{h:.0f}" rx="6" fill="{style["fill"]}" '
        f'stroke="{style["stroke"]}" stroke-width="{width}"{dash}/>' + "".join(rows) + "</g>"
    )
