"""A workspace whose runs and files say hostile things: markup in values, colliding names, '$', '\\r'."""

from __future__ import annotations

from pathlib import Path

from investigate.cli.main import main
from tests.conftest import hypothesis

NOTE = "![p](http://127.0.0.1:9/t.png) [x](http://127.0.0.1:9/)"
QUESTION = "Does it hold?\\r```\\r# Injected heading"  # YAML double-quoted: a real CR
EXPERIMENT = f"""
def odd(params, ctx):
    r = float(params["r"][1:]) + 0.1 * ctx.seed
    return {{"loss/val": 1.0 + r, "loss_val": 100.0 + r, "cost $^$": 5.0 + r, "note": {NOTE!r}}}
"""
HYP = "run: exps.odd:odd\nmatrix: {r: ['$1', '$2']}\nseeds: [0, 1]"
INITIATIVE = f'''id: ODD-001
title: "Odd [t](http://127.0.0.1:9/)"
hypotheses: [H-ODD]
decision_tree:
  start: a-b
  nodes:
    a-b: {{question: "{QUESTION}", hypothesis: H-ODD, confirmed: a_b, ruled_out: a.b}}
    a_b: {{question: second}}
    a.b: {{question: third}}
summary:
  outcome: The human's *own* markdown.
  verification: {{hypothesis: H-ODD, row: r, rows: ['$1', '$2'], metrics: [loss/val, loss_val, "cost $^$", note]}}
'''


def build(make_ws) -> Path:
    root = make_ws({
        "exps/__init__.py": "",
        "exps/odd.py": EXPERIMENT,
        "hypotheses/H-ODD.yaml": hypothesis("H-ODD", HYP, extra="initiative: ODD-001\n"),
        "plans/ODD-001/initiative.yaml": INITIATIVE,
    })  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-ODD"]) == 0
    return root
