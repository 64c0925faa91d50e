"""End to end through ``main(argv)``: divergence as observation, crashes, timeouts, commands, cache."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis

CMD_SCRIPT = """
import json, sys
out, seed, r = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
print("running", seed, r)
json.dump({"seed": seed, "r": r, "big": r > 1}, open(out + "/metrics.json", "w"))
"""


def files() -> dict[str, str]:
    return {
        "exps/__init__.py": "",
        "exps/core.py": EXPERIMENTS,
        "cmd.py": CMD_SCRIPT,
        "hypotheses/H-GROW.yaml": hypothesis("H-GROW", "run: exps.core:grow\nmatrix: {r: [0.5, 2.0]}\nseeds: [0, 1]\n"),
        "hypotheses/H-GROW-TWIN.yaml": hypothesis(
            "H-GROW-TWIN", "run: exps.core:grow\nmatrix: {r: [2.0]}\nseeds: [0]\n"
        ),
        "hypotheses/H-BOOM.yaml": hypothesis(
            "H-BOOM", "run: exps.core:boom\nparams: {what: config}\narms: {a: {}, b: {what: other}}\n"
        ),
        "hypotheses/H-NAP.yaml": hypothesis("H-NAP", "run: exps.core:nap\ntimeout_s: 1\n"),
        "hypotheses/H-CMD.yaml": hypothesis(
            "H-CMD", 'command: "python cmd.py {run_dir} {seed} {r}"\nmatrix: {r: [0.5, 3]}\n'
        ),
        "hypotheses/H-BADCMD.yaml": hypothesis("H-BADCMD", 'command: "python cmd.py {run_dir} {sede}"\n'),
    }


@pytest.fixture
def ws_root(make_ws) -> Path:
    return make_ws(files())


def records(root: Path, hyp: str | None = None):
    return read_records(load_workspace(root), hyp)


def test_divergence_is_an_observation_not_a_crash(ws_root: Path) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-GROW"]) == 0
    recs = {(r.point["r"], r.seed): r for r in records(ws_root, "H-GROW")}
    assert len(recs) == 4 and all(r.status == "ok" for r in recs.values())
    assert recs[(2.0, 0)].metrics["has_nan"] is True and math.isnan(recs[(2.0, 0)].metrics["x"])
    assert recs[(0.5, 1)].metrics == {"x": 0.0, "has_nan": False, "seed": 1}
    raw = (ws_root / recs[(2.0, 0)].run_dir / "run.json").read_text()
    assert '"x": NaN' in raw  # the documented encoding: Python's NaN token
    assert recs[(2.0, 0)].run_dir.startswith("reports/") and recs[(2.0, 0)].run_dir.endswith(
        "H-GROW/r=2.0/default-seed0"
    )
    prov = recs[(2.0, 0)].provenance
    assert {"git_commit", "git_dirty", "git_diff_sha256", "versions", "hostname", "command"} <= set(prov)
    assert prov["versions"]["numpy"] and prov["command"][:2] == ["investigate", "--workspace"]


def test_errors_are_recorded_and_others_go_on(ws_root: Path, capsys) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-BOOM", "H-CMD"]) == 4
    boom = records(ws_root, "H-BOOM")
    assert [r.status for r in boom] == ["error", "error"]
    assert all("ValueError: boom" in r.error for r in boom)
    assert "boom: other" in (ws_root / next(r for r in boom if r.arm == "b").run_dir / "log.txt").read_text()
    assert [r.status for r in records(ws_root, "H-CMD")] == ["ok", "ok"]
    err = capsys.readouterr().err
    assert "error: 2 of 4 runs failed" in err and "H-BOOM all a seed0 error" in err


def test_timeout_kills_the_run(ws_root: Path) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-NAP"]) == 4
    (rec,) = records(ws_root, "H-NAP")
    assert rec.status == "timeout" and rec.error == "timed out after 1s"
    assert rec.duration_s < 5


def test_command_experiment_reads_metrics_json(ws_root: Path) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-CMD", "--where", "r=3"]) == 0
    (rec,) = records(ws_root, "H-CMD")
    assert rec.metrics == {"seed": 0, "r": 3.0, "big": True}
    assert "metrics.json" in rec.artifacts
    assert "running 0 3" in (ws_root / rec.run_dir / "log.txt").read_text()


def test_unknown_placeholder_is_a_user_error(ws_root: Path, capsys) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-BADCMD"]) == 1
    assert "unknown placeholder {sede} in command" in capsys.readouterr().err
    assert not (ws_root / "reports").exists()


def test_cache_hits_share_runs_across_hypotheses(ws_root: Path, capsys) -> None:
    root = ["--workspace", str(ws_root)]
    assert main([*root, "run", "H-GROW", "--seeds", "0"]) == 0
    capsys.readouterr()
    assert main([*root, "run", "H-GROW", "H-GROW-TWIN", "--seeds", "0"]) == 0
    err = capsys.readouterr().err
    assert err.count(" cached") == 3
    assert len(records(ws_root, "H-GROW")) == 2  # already recorded: no pointer records of its own
    (twin,) = records(ws_root, "H-GROW-TWIN")
    original = next(r for r in records(ws_root, "H-GROW") if r.reused_from is None and r.point == {"r": 2.0})
    assert twin.reused_from == original.run_dir and math.isnan(twin.metrics["x"])
    assert main([*root, "run", "H-GROW-TWIN", "--force"]) == 0
    assert records(ws_root, "H-GROW-TWIN")[-1].reused_from is None


def test_failed_runs_are_never_reused(ws_root: Path) -> None:
    root = ["--workspace", str(ws_root)]
    assert main([*root, "run", "H-BOOM", "--where", "nothing=1"]) == 1  # not a matrix key
    assert main([*root, "run", "H-BOOM"]) == 4
    assert main([*root, "run", "H-BOOM"]) == 4
    assert [r.reused_from for r in records(ws_root, "H-BOOM")] == [None] * 4


def test_dry_run_filters_and_profile(ws_root: Path, capsys) -> None:
    root = ["--workspace", str(ws_root)]
    assert main([*root, "run", "H-GROW", "--dry-run", "--where", "r=2.0", "--seeds", "5", "--profile", "quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("[1/1] H-GROW r=2.0 default seed5")
    assert not (ws_root / "reports").exists()


def test_jobs_run_concurrently_and_record_everything(ws_root: Path) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-GROW", "H-CMD", "--jobs", "3"]) == 0
    recs = records(ws_root)
    assert len(recs) == 6 and len({r.run_id for r in recs}) == 6
    assert all((ws_root / r.run_dir / "run.json").is_file() and r.status == "ok" for r in recs)


def test_jobs_overlap_in_time(make_ws) -> None:
    # Three half-second naps with --jobs 3: each run's interval must overlap another's.
    from datetime import datetime

    nap = hypothesis("H-NAPS", "run: exps.core:nap\nparams: {sleep: 0.5}\nseeds: [0, 1, 2]\n")
    root = make_ws({"exps/__init__.py": "", "exps/core.py": EXPERIMENTS, "hypotheses/H-NAPS.yaml": nap})
    assert main(["--workspace", str(root), "run", "H-NAPS", "--jobs", "3"]) == 0
    spans = sorted(
        (
            datetime.fromisoformat(r.started_at).timestamp(),
            datetime.fromisoformat(r.started_at).timestamp() + r.duration_s,
        )
        for r in records(root)
    )
    assert len(spans) == 3 and spans[1][0] < spans[0][1] and spans[2][0] < spans[1][1]


def test_bisect_exit_codes(numpy_ws: Path, capsys) -> None:
    ws = ["--workspace", str(numpy_ws)]
    # the clipped arm fixes every divergence: the fix holds at this commit, so it is "good"
    assert main([*ws, "run", "H-STEP-SIZE", "--seeds", "0", "--bisect"]) == 0
    assert "bisect: H-STEP-SIZE fixed -> good" in capsys.readouterr().err
    assert main([*ws, "run", "H-STEP-SIZE", "H-INIT-SCALE", "--bisect"]) == 128  # a usage error aborts


def test_identical_runs_in_one_invocation_execute_once(ws_root: Path, capsys) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-GROW", "H-GROW-TWIN", "--seeds", "0", "--force"]) == 0
    twin = records(ws_root, "H-GROW-TWIN")[0]
    leader = next(r for r in records(ws_root, "H-GROW") if r.point == {"r": 2.0})
    assert twin.reused_from == leader.run_dir and leader.reused_from is None
    assert "H-GROW-TWIN r=2.0 default seed0 cached" in capsys.readouterr().err


def test_where_matches_values_as_yaml_reads_them(ws_root: Path, capsys) -> None:
    assert main(["--workspace", str(ws_root), "run", "H-GROW", "--where", "r=2", "--dry-run"]) == 0
    assert [line.split()[2] for line in capsys.readouterr().out.splitlines()] == ["r=2.0", "r=2.0"]


def test_rerunning_a_recorded_hypothesis_writes_nothing(ws_root: Path) -> None:
    root = ["--workspace", str(ws_root)]
    assert main([*root, "run", "H-GROW"]) == 0
    stamps = sorted(p.name for p in (ws_root / "reports").iterdir() if not p.name.startswith("."))
    assert main([*root, "run", "H-GROW"]) == 0  # all four already recorded under H-GROW
    assert sorted(p.name for p in (ws_root / "reports").iterdir() if not p.name.startswith(".")) == stamps
    assert len(records(ws_root, "H-GROW")) == 4
    # another hypothesis reusing one of those runs gets a pointer record of its own, once
    assert main([*root, "run", "H-GROW-TWIN"]) == 0
    assert main([*root, "run", "H-GROW-TWIN"]) == 0
    (twin,) = records(ws_root, "H-GROW-TWIN")
    assert twin.reused_from is not None
