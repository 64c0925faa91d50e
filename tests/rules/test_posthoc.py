"""``post_hoc``: rules edited after the runs they decide are flagged, with the change; a re-run clears it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from investigate.cli.main import main
from investigate.formats.schema import Hypothesis
from investigate.rules.posthoc import rules_hash
from tests.conftest import hypothesis

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
EXPERIMENT = "run: exp:f\narms:\n  control: {x: 0}\n  treated: {x: 1}\ncontrol: control\nseeds: [0, 1, 2]\n"
RULES = "verdict:\n  confirmed: {arm: treated, vs: control, metric: m, gt: 0.5, over: all}\n"
EXP = "def f(params, ctx):\n    return {'m': params['x'] * (1.0 + 0.01 * ctx.seed)}\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def parsed(text: str) -> Hypothesis:
    return Hypothesis.model_validate(yaml.safe_load(text))


def test_the_hash_follows_the_rules_meaning_not_their_text():
    base = hypothesis("H-X", EXPERIMENT, RULES)
    same = hypothesis("H-X", EXPERIMENT, "# a comment\n" + RULES.replace("over: all}", "over: all }"))
    spelled = hypothesis("H-X", EXPERIMENT, RULES.replace(", over: all", ""))  # all is the default
    changed = hypothesis("H-X", EXPERIMENT, RULES.replace("gt: 0.5", "gt: 0.1"))
    assert rules_hash(parsed(base)) == rules_hash(parsed(same)) == rules_hash(parsed(spelled))
    assert rules_hash(parsed(base)) != rules_hash(parsed(changed))
    # the narrative may change freely: only what decides the verdict counts
    assert rules_hash(parsed(base)) == rules_hash(parsed(base.replace("prediction: p", "prediction: q")))


def test_rules_edited_after_the_runs_are_flagged_in_show_and_audit_until_rerun(make_ws, capsys):
    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", EXPERIMENT, RULES), "exp.py": EXP})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "rules first")
    assert main(["--workspace", str(root), "run", "H-X"]) == 0
    assert main(["--workspace", str(root), "audit", "H-X"]) == 0
    capsys.readouterr()

    path = root / "hypotheses/H-X.yaml"
    path.write_text(hypothesis("H-X", EXPERIMENT, RULES.replace("gt: 0.5", "gt: 0.9")))
    git(root, "commit", "-qam", "rules moved after seeing the runs")
    assert main(["--workspace", str(root), "show", "H-X"]) == 0
    out = capsys.readouterr().out
    assert "⚑ post_hoc: 6 of 6 runs were recorded under other rules" in out
    assert "rules changed since the runs:" in out
    assert "-  confirmed: {arm: treated, vs: control, metric: m, gt: 0.5, over: all}" in out
    assert "+  confirmed: {arm: treated, vs: control, metric: m, gt: 0.9, over: all}" in out
    assert main(["--workspace", str(root), "audit", "H-X"]) == 1
    assert "H-X: post_hoc: 6 of 6 runs were recorded under other rules" in capsys.readouterr().out

    assert main(["--workspace", str(root), "run", "H-X"]) == 0  # cache hits, recorded under today's rules
    capsys.readouterr()
    assert main(["--workspace", str(root), "audit", "H-X"]) == 0
    assert "post_hoc" not in capsys.readouterr().out


def test_records_without_a_hash_say_nothing(make_ws, capsys):
    from tests.records import write_run

    root = make_ws({"hypotheses/H-X.yaml": hypothesis("H-X", EXPERIMENT, RULES), "exp.py": EXP})
    for seed in range(3):
        write_run(root, "H-X", "control", seed, {"m": 0.0})
        write_run(root, "H-X", "treated", seed, {"m": 1.0 + 0.01 * seed})
    assert main(["--workspace", str(root), "audit", "H-X"]) == 0
