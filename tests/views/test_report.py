"""Summary rendering: golden file, gaps, claim warnings, links, aggregation, template errors."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

from investigate.core.errors import InvestigateError
from investigate.store.records import read_records
from investigate.views.report import aggregate, build_context, render_summary
from investigate.workspace.load import load_workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summary_ws"
GOLDEN = FIXTURE / "golden" / "DEMO-001.md"


@pytest.fixture(scope="module")
def ws():
    return load_workspace(FIXTURE)


def test_golden_summary(ws):
    # Regenerate deliberately with: python -c "from investigate.views.report import render_summary as r;
    #   from investigate.workspace.load import load_workspace as l; print(r(l('tests/fixtures/summary_ws'),
    #   'DEMO-001'), end='')" > tests/fixtures/summary_ws/golden/DEMO-001.md
    # (the summary command would also draw the figures into the fixture's reports/)
    assert render_summary(ws, "DEMO-001") == GOLDEN.read_text(encoding="utf-8")


def test_render_is_stable(ws):
    assert render_summary(ws, "DEMO-001") == render_summary(ws, "DEMO-001")


def test_unmeasured_row_reads_not_measured_and_is_a_gap(ws):
    ctx = build_context(ws, "DEMO-001")
    row = {r["value"]: r for r in ctx["verification"]["rows"]}["gs2_custom"]
    assert row["cells"] == ["not measured"] * 3 and not row["measured"]
    assert any("scenario=gs2_custom: not measured" in g for g in ctx["gaps"])
    assert any("H-GRID is untested" in g for g in ctx["gaps"])
    assert any("ended timeout" in g for g in ctx["gaps"])


def test_claim_mismatch_is_said_plainly(ws):
    ctx = build_context(ws, "DEMO-001")
    assert ctx["warnings"] == ["⚠ The narrative relies on H-PROBE being confirmed; the runs say: ruled_out."]
    # H-CONFIG is claimed confirmed and measured fixed: a fixed cause is still a confirmed one
    assert {h["id"]: h["warning"] for h in ctx["hypotheses"]}["H-CONFIG"] is None


def test_date_comes_from_runs_and_links_follow_output(ws, tmp_path):
    ctx = build_context(ws, "DEMO-001", out=FIXTURE / "out" / "summary.md")
    assert ctx["date"] == "2026-01-20"
    link = ctx["verification"]["rows"][0]["links"][0]["path"]
    assert link == "../reports/2026-01-20T102300Z/H-CONFIG/scenario=gs1_ideal/synced-seed0"
    assert ctx["hypotheses"][0]["link"] == "../hypotheses/H-CONFIG.yaml"


def test_aggregate():
    assert aggregate([False, False, False]) == "false in 3/3"
    assert aggregate([True, False, False]) == "false in 2/3, true in 1/3"
    assert aggregate([0.5]) == "0.5"
    assert aggregate([1.0, 3.0]) == "2 ± 1.41"
    assert aggregate([1.0, math.nan]) == "nan in 1/2; others 1"
    assert aggregate([]) == "—"


def test_custom_template_and_strict_undefined(ws, tmp_path):
    good = tmp_path / "mini.md.j2"
    good.write_text("{{ initiative.id }} {{ date }} {{ hypotheses | map(attribute='result') | join(',') }}\n")
    assert render_summary(ws, "DEMO-001", template=good) == "DEMO-001 2026-01-20 FIXED,RULED OUT,UNTESTED\n"
    bad = tmp_path / "bad.md.j2"
    bad.write_text("{{ nonsense }}")
    with pytest.raises(InvestigateError, match="nonsense"):
        render_summary(ws, "DEMO-001", template=bad)
    with pytest.raises(InvestigateError, match="does not exist"):
        render_summary(ws, "DEMO-001", template=tmp_path / "missing.j2")


def test_untested_initiative_without_runs(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("reports", "golden"))
    ws = load_workspace(tmp_path / "ws")
    text = render_summary(ws, "DEMO-001")
    assert "**Completion Date:** no runs recorded" in text
    assert "next: `investigate run H-CONFIG`" in text


def run_command(module, argv, ws, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.func(args, ws)
    return code, capsys.readouterr().out


def test_summary_command_stdout_and_file(tmp_path, capsys):
    from investigate.cli import summary

    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    ws = load_workspace(tmp_path / "ws")  # a copy: the command draws figures under its reports/
    code, out = run_command(summary, ["summary", "DEMO-001"], ws, capsys)
    assert code == 0 and out == GOLDEN.read_text(encoding="utf-8")
    target = tmp_path / "out" / "summary.md"
    code, _ = run_command(summary, ["summary", "DEMO-001", "-o", str(target)], ws, capsys)
    text = target.read_text(encoding="utf-8")
    run_dir = ws.root / "reports/2026-01-20T102300Z/H-CONFIG/scenario=gs1_ideal/synced-seed0"
    expected = Path(os.path.relpath(run_dir, target.parent.resolve())).as_posix()
    assert code == 0 and f"[synced-seed0]({expected})" in text  # relative to the output file's folder
    assert not text.startswith("<!--")  # the note on links is for stdout only


def test_verdict_lines(ws):
    from investigate.rules.verdict import evaluate_workspace
    from investigate.views.explain import verdict_lines

    lines = verdict_lines(evaluate_workspace(ws, read_records(ws))["H-PROBE"])
    assert lines[0] == "verdict: ruled_out (by the ruled_out rule)"
    assert "  confirmed: untested" in lines and "  ruled_out: holds" in lines
    assert any(l.startswith("  ! run 20260120-probe-03") for l in lines)
    assert lines[-1] == "  rests on 3 run(s)"


def test_end_to_end_on_the_numpy_workspace(numpy_ws, capsys):
    """run → verdicts as the physics says (lr·L > 2 diverges) → tree → summary → bisect."""
    import json

    from investigate.cli.main import main

    ws_args = ["--workspace", str(numpy_ws)]
    assert main([*ws_args, "run", "--initiative", "TOY-GD-001", "--jobs", "2"]) == 0
    capsys.readouterr()
    assert main([*ws_args, "list", "--json"]) == 0
    verdicts = {row["id"]: row["verdict"] for row in json.loads(capsys.readouterr().out)}
    assert verdicts == {"H-STEP-SIZE": "fixed", "H-INIT-SCALE": "ruled_out"}

    assert main([*ws_args, "show", "H-STEP-SIZE"]) == 0
    shown = capsys.readouterr().out
    assert "verdict:    fixed (by the confirmed rule)" in shown
    assert "clipped.has_nan = false in 6/6 runs (need all)" in shown

    assert main([*ws_args, "tree", "TOY-GD-001"]) == 0
    assert "path: step-size → done" in capsys.readouterr().out

    out = numpy_ws / "summaries" / "TOY-GD-001.md"
    assert main([*ws_args, "summary", "TOY-GD-001", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert (
        "| [H-STEP-SIZE](../hypotheses/H-STEP-SIZE.yaml) | Divergence is caused by a step size above 2/L | **FIXED** |"
        in text
    )
    assert "⚠" not in text  # the narrative's claims match the runs
    assert "step-size → done" in text and "```mermaid\nflowchart TD\n" in text

    # the runs are cached now, so bisect only re-judges them: the fix holds → good
    assert main([*ws_args, "run", "H-STEP-SIZE", "--bisect"]) == 0
    assert (
        main([*ws_args, "run", "H-STEP-SIZE", "H-INIT-SCALE", "--bisect"]) == 128
    )  # one hypothesis only: a usage error aborts


def test_verification_with_several_arms_puts_them_side_by_side(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    plan = tmp_path / "ws" / "plans" / "DEMO-001" / "initiative.yaml"
    plan.write_text(plan.read_text().replace("    arm: synced\n", "    arms: [stale, synced]\n"))
    ws = load_workspace(tmp_path / "ws")
    rows = build_context(ws, "DEMO-001")["verification"]["rows"]
    assert [(r["value"], r["arm"]) for r in rows][:2] == [("gs1_ideal", "stale"), ("gs1_ideal", "synced")]
    text = render_summary(ws, "DEMO-001")
    assert "(arms `stale`, `synced`)" in text
    assert "| scenario | arm | has_nan |" in text
    assert "| gs1_ideal | synced |" in text


def test_verification_refuses_arm_and_arms_together(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden", "reports"))
    plan = tmp_path / "ws" / "plans" / "DEMO-001" / "initiative.yaml"
    plan.write_text(plan.read_text().replace("    arm: synced\n", "    arm: synced\n    arms: [stale]\n"))
    with pytest.raises(InvestigateError, match="either 'arm' or 'arms'"):
        load_workspace(tmp_path / "ws", all_errors=True)


def test_effect_column_against_a_declared_control(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    path = tmp_path / "ws" / "hypotheses" / "H-CONFIG.yaml"
    path.write_text(path.read_text().replace("  seeds: [0, 1]\n", "  control: stale\n  seeds: [0, 1]\n"))
    ws = load_workspace(tmp_path / "ws")
    row = {h["id"]: h for h in build_context(ws, "DEMO-001")["hypotheses"]}["H-CONFIG"]
    assert row["effect"] == "Δhas_nan synced − stale = -1 [-1, -1] (4 pairs)"
    assert "| Effect vs control (95 % CI) |" in render_summary(ws, "DEMO-001")


def test_flagged_verdict_shows_the_flag_and_is_a_gap(tmp_path):
    # the fix rule reads fits_canvas, true in both arms; make it the confirming rule instead
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    path = tmp_path / "ws" / "hypotheses" / "H-CONFIG.yaml"
    text = path.read_text()
    start, end = text.index("verdict:"), text.index("fix:")
    rule = "verdict:\n  confirmed: {arm: synced, metric: fits_canvas, equals: true, over: all}\n"
    path.write_text(text[:start] + rule + text[end:])
    ws = load_workspace(tmp_path / "ws")
    ctx = build_context(ws, "DEMO-001")
    row = {h["id"]: h for h in ctx["hypotheses"]}["H-CONFIG"]
    assert (row["outcome"], row["result"], row["flags"]) == ("inconclusive", "INCONCLUSIVE ⚑", ["not_discriminating"])
    flagged = [g for g in ctx["gaps"] if g.startswith("H-CONFIG is flagged not_discriminating")]
    assert flagged == [
        "H-CONFIG is flagged not_discriminating (the confirmed rule alone says fixed, so it counts as inconclusive): "
        "synced.fits_canvas = true also holds on stale."
    ]
    assert any("claim that H-CONFIG is confirmed does not hold" in g for g in ctx["gaps"])
    text = render_summary(ws, "DEMO-001")
    assert "**INCONCLUSIVE ⚑** not_discriminating" in text
    assert "> ⚠ The narrative relies on H-CONFIG being confirmed; the runs say: inconclusive." in text
