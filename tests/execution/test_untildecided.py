"""``investigate run H --until-decided``: real runs, seeds added only where a contrast is unresolved."""

from __future__ import annotations

import json

from investigate.cli.main import main
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

NOISY = """
import random


def measure(params, ctx):
    rng = random.Random(ctx.seed * 7919 + (1 if params["arm"] == "treated" else 2))
    effect = params["effect"] if params["arm"] == "treated" else 0.0
    return {"m": effect + rng.gauss(0, params["noise"])}
"""

EXPERIMENT = """
run: noisy:measure
params: {noise: 0.4}
matrix: {effect: [0.0, 3.0]}
arms:
  control: {arm: control}
  treated: {arm: treated}
control: control
seeds: [0, 1]
"""

RULES = """verdict:
  confirmed: {arm: treated, vs: control, metric: m, gt: 1.0, over: any}
  ruled_out: {arm: treated, vs: control, metric: m, lt: 1.0, over: all}
"""


def test_until_decided_adds_seeds_where_unresolved_and_records_the_plan(make_ws, capsys):
    root = make_ws({"hypotheses/H-SEQ.yaml": hypothesis("H-SEQ", EXPERIMENT, RULES), "noisy.py": NOISY})
    code = main(["--workspace", str(root), "run", "H-SEQ", "--until-decided", "--max-seeds", "8", "--batch", "3"])
    err = capsys.readouterr().err
    assert code == 0
    assert "until-decided: H-SEQ: confirmed: (treated − control).m > 1: decided with" in err
    ws = load_workspace(root)
    records = read_records(ws, "H-SEQ")
    assert {json.dumps(r.sequential, sort_keys=True) for r in records} == {
        json.dumps({"looks": 3, "max_seeds": 8, "batch": 3, "seeds_at_looks": [2, 5, 8]}, sort_keys=True)
    }
    seeds_at = {p: {r.seed for r in records if r.point == {"effect": p}} for p in (0.0, 3.0)}
    assert seeds_at == {0.0: set(range(5)), 3.0: set(range(5))}  # 2 declared seeds were too few; 5 decided
    assert all(r.rules_hash for r in records) and all(r.rules_blob is None for r in records)  # not in git
    assert main(["--workspace", str(root), "show", "H-SEQ"]) == 0
    out = capsys.readouterr().out
    assert "95% intervals (α split over 3 looks: 0.9833 each)" in out


def test_until_decided_refuses_what_it_cannot_plan(make_ws, capsys):
    root = make_ws({"hypotheses/H-SEQ.yaml": hypothesis("H-SEQ", EXPERIMENT, RULES), "noisy.py": NOISY})
    assert main(["--workspace", str(root), "run", "H-SEQ", "--until-decided", "--max-seeds", "1"]) == 1
    assert "--max-seeds 1 is below the 2 seeds H-SEQ declares" in capsys.readouterr().err
    assert main(["--workspace", str(root), "run", "H-SEQ", "--until-decided", "--seeds", "0"]) == 1
    assert "--until-decided adds seeds to one hypothesis" in capsys.readouterr().err
