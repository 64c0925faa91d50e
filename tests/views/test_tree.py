"""Decision-tree walk (path, pruned branches, next node) and its text / Mermaid renderings."""

from __future__ import annotations

import re

from investigate.formats.schema import Initiative, Outcome
from investigate.views.tree import mermaid_id, render_mermaid, render_text, walk

O = Outcome


def initiative():
    return Initiative.model_validate(
        {
            "id": "INIT-1",
            "title": "Find the NaN",
            "hypotheses": ["H-A", "H-B", "H-C"],
            "decision_tree": {
                "start": "nan-cause",
                "nodes": {
                    "nan-cause": {
                        "question": 'Does the "sync" fix it?',
                        "hypothesis": "H-A",
                        "confirmed": "b0f",
                        "ruled_out": "probe",
                    },
                    "b0f": {
                        "question": "Both probes clean?",
                        "hypothesis": "H-B",
                        "ruled_out": "done",
                        "confirmed": "probe",
                    },
                    "probe": {"question": "Is it the probe?", "hypothesis": "H-C"},
                },
            },
        }
    )


def test_walk_follows_outcomes_and_prunes():
    w = walk(initiative(), {"H-A": O.confirmed, "H-B": O.ruled_out})
    assert w.path == ["nan-cause", "b0f", "done"]
    assert [(e.source, e.outcome, e.target) for e in w.pruned] == [
        ("nan-cause", "ruled_out", "probe"),
        ("b0f", "confirmed", "probe"),
    ]
    assert w.next_node is None and w.next_command is None
    assert w.nodes["done"].state == "terminal" and w.nodes["probe"].state == "unreached"


def test_walk_stops_at_first_untested_node():
    w = walk(initiative(), {"H-A": O.ruled_out})
    assert w.path == ["nan-cause", "probe"]
    assert w.next_node == "probe" and w.next_command == "investigate run H-C"
    assert w.nodes["probe"].state == "pending"
    assert walk(initiative(), {}).next_command == "investigate run H-A"


def test_fixed_follows_confirmed_edge_and_leaf_stops():
    w = walk(initiative(), {"H-A": O.fixed, "H-B": O.inconclusive})
    assert w.path == ["nan-cause", "b0f"] and w.taken[0].outcome == "confirmed"
    assert "no branch follows" in w.note and w.next_node is None


def test_no_tree():
    assert walk(Initiative(id="X", title="t", hypotheses=[]), {}) is None


def test_text_rendering():
    text = render_text(walk(initiative(), {"H-A": O.confirmed, "H-B": O.ruled_out}))
    assert "✓ nan-cause  H-A [confirmed]" in text
    assert "├─ confirmed → ✗ b0f  H-B [ruled_out]  Both probes clean?" in text
    assert "└─ ruled_out → probe  (pruned)" in text
    assert "path: nan-cause → b0f → done" in text
    pending = render_text(walk(initiative(), {"H-A": O.ruled_out}))
    assert "next: probe — investigate run H-C" in pending
    untested = render_text(walk(initiative(), {}))
    assert "├─ confirmed → b0f  (not reached)" in untested and "pruned" not in untested


NODE = re.compile(r'^    [nh]_\w+\["[^"`]*"\]$')
EDGE = re.compile(r"^    [nh]_\w+ -->\|(confirmed|ruled_out|fixed|inconclusive)\| [nh]_\w+$")
CLASSDEF = re.compile(r"^    classDef \w+ [\w#:,.\- ]+$")
CLASS = re.compile(r"^    class [nh]_\w+(,[nh]_\w+)* \w+$")
LINKSTYLE = re.compile(r"^    linkStyle \d+(,\d+)* [\w#:,\-]+$")


def test_mermaid_lines_are_valid():
    text = render_mermaid(walk(initiative(), {"H-A": O.confirmed, "H-B": O.ruled_out}))
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    for line in lines[1:]:
        assert any(p.match(line) for p in (NODE, EDGE, CLASSDEF, CLASS, LINKSTYLE)), line
    node = mermaid_id("nan-cause")
    assert f'    {node}["nan-cause: Does the #34;sync#34; fix it?<br/>H-A: confirmed"]' in lines
    assert f"    {node} -->|confirmed| n_b0f" in lines
    assert f"    class {node} confirmed" in lines
    assert "    class n_done terminal" in lines
    # the taken edges are 0 (nan-cause→b0f) and 3 (b0f→done), in declaration order
    assert lines[-1].startswith("    linkStyle 0,3 ")
    classdefs = {l.split()[1] for l in lines if l.strip().startswith("classDef")}
    used = {l.split()[-1] for l in lines if l.strip().startswith("class ")}
    assert used <= classdefs


def test_tree_command_formats(capsys):
    import argparse
    import json
    from pathlib import Path

    from investigate.cli import tree as command
    from investigate.workspace.load import load_workspace

    ws = load_workspace(Path(__file__).parents[1] / "fixtures" / "summary_ws")
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    outputs = {}
    for fmt in ("text", "mermaid", "json"):
        args = parser.parse_args(["tree", "DEMO-001", "--format", fmt])
        assert args.func(args, ws) == 0
        outputs[fmt] = capsys.readouterr().out
    assert "path: nan-cause → probe → done" in outputs["text"]
    assert outputs["mermaid"].startswith("flowchart TD\n")
    data = json.loads(outputs["json"])
    assert data[0]["path"] == ["nan-cause", "probe", "done"] and data[0]["nodes"]["grid"]["state"] == "unreached"
    args = parser.parse_args(["tree"])
    assert args.func(args, ws) == 0 and "DEMO-001" in capsys.readouterr().out


def test_status_shows_where_the_tree_stands(capsys):
    from pathlib import Path

    from investigate.cli.main import main

    fixture = Path(__file__).parents[1] / "fixtures" / "summary_ws"
    assert main(["--workspace", str(fixture), "status"]) == 0
    assert "  tree: nan-cause → probe → done (reached a leaf)" in capsys.readouterr().out.splitlines()


def chain(n: int) -> Initiative:
    """n question nodes in a line, each asking H-A and following its confirmed edge to the next."""
    nodes = {f"n{i}": {"question": "q", "hypothesis": "H-A", "confirmed": f"n{i + 1}"} for i in range(n)}
    nodes[f"n{n}"] = {"question": "end"}
    return Initiative.model_validate(
        {"id": "LONG", "title": "t", "hypotheses": ["H-A"], "decision_tree": {"start": "n0", "nodes": nodes}}
    )


def test_a_10000_node_chain_walks_and_renders_without_recursion():
    w = walk(chain(10_000), {"H-A": O.confirmed})
    assert len(w.path) == 10_001 and w.note == "reached a leaf"
    lines = render_text(w).splitlines()
    assert len(lines) == 1 + 1 + 10_000 + 3
    assert lines[2] == "└─ confirmed → ✓ n1  H-A [confirmed]  q"
    # the indent grows for MAX_INDENT (40) levels, then stays: no 30,000-space lines
    assert lines[41] == "   " * 39 + "└─ confirmed → ✓ n40  H-A [confirmed]  q"
    assert lines[-4] == "   " * 39 + "└─ confirmed → • n10000  end"
    assert max(len(line) for line in lines[:-3]) < 200
    assert render_mermaid(w).count(" -->|confirmed| ") == 10_000


def test_tree_and_validate_on_a_10000_node_chain(make_ws, capsys):
    from investigate.cli.main import main
    from tests.conftest import hypothesis

    nodes = "".join(
        f"    n{i}:\n      question: q\n      hypothesis: H-A\n      confirmed: n{i + 1}\n" for i in range(10_000)
    )
    root = make_ws(
        {
            "toy.py": "def one(params, ctx):\n    return {'m': 1}\n",
            "hypotheses/H-A.yaml": hypothesis("H-A", "run: toy:one", "verdict:\n  confirmed: {metric: m, equals: 1}\n"),
            "plans/LONG/initiative.yaml": "id: LONG\ntitle: t\nhypotheses: [H-A]\ndecision_tree:\n  start: n0\n  nodes:\n"
            + nodes
            + "    n10000: {question: end}\n",
        }
    )
    ws = ["--workspace", str(root)]
    assert main([*ws, "validate"]) == 0
    assert main([*ws, "run", "H-A"]) == 0  # confirms H-A, so the walk follows all 10,000 edges
    capsys.readouterr()
    assert main([*ws, "tree"]) == 0
    out = capsys.readouterr().out
    assert out.count("confirmed → ✓ n") == 9_999 and "path: n0 → n1 → n2" in out and "reached a leaf" in out


def test_mermaid_ids_never_merge_two_nodes():
    names = ["a-b", "a_b", "a.b", "a b", "n_a_b", "h_a_b"]
    assert len({mermaid_id(n) for n in names}) == len(names)
    assert all(re.fullmatch(r"[nh]_\w+", mermaid_id(n)) for n in names)
    tree = Initiative.model_validate(
        {"id": "I", "title": "t", "hypotheses": ["H-A"], "decision_tree": {"start": "a-b", "nodes": {
            "a-b": {"question": "q1", "hypothesis": "H-A", "confirmed": "a_b", "ruled_out": "a.b"},
            "a_b": {"question": "q2"}, "a.b": {"question": "q3"}}}}
    )  # fmt: skip
    text = render_mermaid(walk(tree, {"H-A": O.confirmed}))
    edges = [line.split() for line in text.splitlines() if "-->" in line]
    assert len(edges) == 2 and all(e[0] != e[2] for e in edges)  # no self-loop


def test_a_question_cannot_close_the_fence_or_start_a_line():
    tree = initiative()
    tree.decision_tree.nodes["b0f"].question = "ok?\r```\r# Injected <b>x</b> #quot;"
    text = render_mermaid(walk(tree, {"H-A": O.confirmed}))
    assert "`" not in text and "\r" not in text and "<b>" not in text
    assert all(line.startswith(("flowchart", "    ")) for line in text.splitlines())
    assert "ok? #96;#96;#96; #35; Injected #60;b#62;x#60;/b#62; #35;quot;" in text
