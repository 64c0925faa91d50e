"""``investigate isolate`` end to end through ``main(argv)`` on a numpy workspace (no TensorFlow).

The toy experiment is gradient descent on a quadratic: it diverges to NaN (inf - inf) when
``optim.lr * model.L > 2``. So ``optim.lr: 2.5`` alone breaks it, while ``optim.lr: 1.5`` and
``model.L: 2.0`` break it only together. A sparse problem with fewer than 16 unknowns cannot
be built at all: such a configuration errors, and its run is unresolved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from investigate.cli.main import main
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

TOY = """
import numpy as np


def descend(params, ctx):
    data, model, optim = params["data"], params["model"], params["optim"]
    if data["kind"] == "sparse" and model["n"] < 16:
        raise ValueError("a sparse problem needs n >= 16")
    dtype = np.dtype(model["dtype"])
    rng = np.random.default_rng(ctx.seed)
    x = (model["init"] + data["noise"] * rng.standard_normal(model["n"])).astype(dtype)
    step = dtype.type(optim["lr"] * model["L"])
    if params.get("flaky") and ctx.seed % 3 == 0:
        step = dtype.type(0.5)  # one seed in three happens to converge whatever the step size
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(optim["steps"]):
            x = x - step * x
    loss = float(data["scale"] * np.sum(x.astype(np.float64) ** 2))
    return {"has_nan": bool(np.isnan(x).any()), "loss": loss}
"""

GOOD = {
    "data": {"kind": "dense", "noise": 0.0, "scale": 1.0},
    "optim": {"lr": 0.5, "log_every": 10, "steps": 2000},
    "model": {"init": 1.0, "dtype": "float64", "n": 8, "L": 1.0},
}
# 8 differences, in this order: the first half switches `kind` without `n`, which cannot be built.
BAD_ONE = {
    "data": {"kind": "sparse", "noise": 0.01, "scale": 2.0},
    "optim": {"lr": 2.5, "log_every": 50, "steps": 2000},
    "model": {"init": 3.0, "dtype": "float32", "n": 16, "L": 1.0},
}
BAD_PAIR = {
    "data": {"kind": "dense", "noise": 0.01, "scale": 2.0},
    "optim": {"lr": 1.5, "log_every": 50, "steps": 2500},
    "model": {"init": 3.0, "dtype": "float32", "n": 12, "L": 2.0},
}
NO_NAN = "{metric: has_nan, equals: false}"


@pytest.fixture
def ws(make_ws) -> Path:
    arms = {"fixed": {"optim": GOOD["optim"]}, "broken": {"optim": {**GOOD["optim"], "lr": 2.5}}}
    experiment = f"""
        run: toy:descend
        params: {json.dumps({"data": GOOD["data"], "model": GOOD["model"]})}
        matrix: {{noise_note: [a, b]}}
        arms: {json.dumps(arms)}
        seeds: [0]
        timeout_s: 60
    """
    fix = "fix:\n  description: lower lr\n  verified_by: {arm: fixed, metric: has_nan, equals: false, over: all}\n"
    return make_ws(
        {
            "toy.py": TOY,
            "good.yaml": yaml.safe_dump(GOOD, sort_keys=False),
            "bad_one.yaml": yaml.safe_dump(BAD_ONE, sort_keys=False),
            "bad_pair.yaml": yaml.safe_dump(BAD_PAIR, sort_keys=False),
            "hypotheses/H-LR.yaml": hypothesis("H-LR", experiment, fix),
        }
    )


def isolate_json(ws: Path, capsys, *args: str) -> dict:
    code = main(["--workspace", str(ws), "isolate", "--entry", "toy:descend", "--json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_finds_the_single_culprit_and_reports_the_unbuildable_configuration(ws: Path, capsys) -> None:
    data = isolate_json(ws, capsys, "--good", "good.yaml", "--bad", "bad_one.yaml", "--test", NO_NAN)
    assert [c["key"] for c in data["culprits"]] == ["optim.lr"] and data["minimal"] is True
    assert data["culprits"][0] == {"key": "optim.lr", "good": 0.5, "bad": 2.5}
    assert data["n_deltas"] == 8 and data["executed"] == data["runs"] == data["tests"] == len(data["table"])
    first, second = data["table"][:2]
    assert (first["arm"], first["outcome"], second["arm"], second["outcome"]) == ("good", "pass", "bad", "fail")
    unresolved = [row for row in data["table"] if row["outcome"] == "unresolved"]
    assert unresolved and all("data.kind" in row["keys"] and "model.n" not in row["keys"] for row in unresolved)
    assert "a sparse problem needs n >= 16" in unresolved[0]["note"]
    # every configuration is an ordinary recorded run, its id the path under reports/
    for row in data["table"]:
        (run_id,) = row["run_ids"]
        record = json.loads((ws / "reports" / run_id / "run.json").read_text())
        assert record["hypothesis"] == data["label"] and record["arm"] == row["arm"]
        assert record["status"] == ("error" if row["outcome"] == "unresolved" else "ok")
        assert record["provenance"]["command"][:2] == ["investigate", "--workspace"]


def test_finds_a_pair_that_fails_only_together_and_a_rerun_is_all_cache_hits(ws: Path, capsys) -> None:
    args = ("--good", "good.yaml", "--bad", "bad_pair.yaml", "--test", NO_NAN, "--jobs", "2")
    first = isolate_json(ws, capsys, *args)
    assert sorted(c["key"] for c in first["culprits"]) == ["model.L", "optim.lr"] and first["minimal"] is True
    pair = next(row for row in first["table"] if sorted(row["keys"]) == ["model.L", "optim.lr"])
    assert pair["outcome"] == "fail"
    alone = [row for row in first["table"] if row["keys"] in (["optim.lr"], ["model.L"])]
    assert alone and all(row["outcome"] == "pass" for row in alone)
    again = isolate_json(ws, capsys, *args)
    assert again["executed"] == 0 and again["cached"] == again["runs"] == first["runs"]
    assert again["culprits"] == first["culprits"] and again["label"] == first["label"]


def test_text_output_shows_the_table_the_culprit_and_the_runs_spent(ws: Path, capsys) -> None:
    argv = ["--workspace", str(ws), "isolate", "--entry", "toy:descend", "--good", "good.yaml"]
    assert main([*argv, "--bad", "bad_one.yaml", "--test", NO_NAN, "--by-section"]) == 0
    out = capsys.readouterr().out
    assert "isolate: 8 keys differ between good (good.yaml) and bad (bad_one.yaml)" in out
    assert "a run passes when has_nan equals false" in out
    assert "optim.lr: 0.5 -> 2.5" in out and "(sections: optim)" in out
    assert "1-minimal: removing any one key makes it pass" in out
    assert " good " in out and " bad " in out and "runs: " in out
    assert "executed, 0 cached) in" in out


def test_hypothesis_arms_test_from_verified_by_and_its_recorded_runs_are_reused(ws: Path, capsys) -> None:
    argv = ["--workspace", str(ws)]
    assert main([*argv, "run", "H-LR", "--where", "noise_note=a"]) == 0
    capsys.readouterr()
    assert main([*argv, "isolate", "--hypothesis", "H-LR", "--good", "fixed", "--bad", "broken"]) == 1
    assert "pick one noise_note with --where noise_note=VALUE (one of a, b)" in capsys.readouterr().err
    assert (
        main([*argv, "isolate", "--hypothesis", "H-LR", "--good", "fixd", "--bad", "broken", "--where", "noise_note=a"])
        == 1
    )
    assert "--good fixd: neither an arm of H-LR (fixed, broken) nor a YAML file" in capsys.readouterr().err
    code = main([*argv, "isolate", "--hypothesis", "H-LR", "--good", "fixed", "--bad", "broken"]
                + ["--where", "noise_note=a", "--json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["good"] == "H-LR arm fixed" and data["test"] == [{"metric": "has_nan", "equals": False}]
    assert [c["key"] for c in data["culprits"]] == ["optim.lr"]
    # the two arms were run by `investigate run H-LR`: the endpoints are cache hits
    assert data["n_deltas"] == 1 and data["executed"] == 0 and data["cached"] == 2
    assert data["label"].startswith("ISOLATE-H-LR-")


def test_write_hypothesis_validates_and_is_never_overwritten(ws: Path, capsys) -> None:
    args = ["--good", "good.yaml", "--bad", "bad_pair.yaml", "--test", NO_NAN]
    data = isolate_json(ws, capsys, *args, "--write-hypothesis", "H-LR-PAIR")
    assert data["hypothesis_written"] == "hypotheses/H-LR-PAIR.yaml"
    assert main(["--workspace", str(ws), "validate"]) == 0
    capsys.readouterr()
    hyp = load_workspace(ws).hypothesis("H-LR-PAIR")
    assert hyp.experiment is not None and hyp.experiment.run == "toy:descend"
    assert hyp.experiment.arms["good"]["optim"]["lr"] == 0.5 and hyp.experiment.arms["bad"]["model"]["L"] == 2.0
    before = (ws / "hypotheses/H-LR-PAIR.yaml").read_text()
    reports = sorted((ws / "reports").iterdir())
    code = main(["--workspace", str(ws), "isolate", "--entry", "toy:descend", *args, "--write-hypothesis", "H-LR-PAIR"])
    assert code == 1 and "hypotheses/H-LR-PAIR.yaml already exists" in capsys.readouterr().err
    assert (ws / "hypotheses/H-LR-PAIR.yaml").read_text() == before
    assert sorted((ws / "reports").iterdir()) == reports  # refused before spending a run


def test_flaky_failure_is_isolated_with_replicates(ws: Path, capsys) -> None:
    flaky_good = {**GOOD, "flaky": True}
    flaky_bad = {**flaky_good, "optim": {**GOOD["optim"], "lr": 2.5}, "data": {**GOOD["data"], "scale": 3.0}}
    (ws / "flaky_good.yaml").write_text(yaml.safe_dump(flaky_good))
    (ws / "flaky_bad.yaml").write_text(yaml.safe_dump(flaky_bad))
    args = ("--good", "flaky_good.yaml", "--bad", "flaky_bad.yaml", "--test", NO_NAN, "--jobs", "2")
    data = isolate_json(ws, capsys, *args, "--replicates", "12", "--confidence", "0.9")
    assert [c["key"] for c in data["culprits"]] == ["optim.lr"]
    assert data["runs"] > data["tests"]
    bad = next(row for row in data["table"] if row["arm"] == "bad")
    assert bad["outcome"] == "fail" and len(bad["run_ids"]) == bad["replicates"] > 1
    assert main(["--workspace", str(ws), "isolate", "--entry", "toy:descend", *args, "--replicates", "3"]) == 1
    assert "cannot establish a pass" in capsys.readouterr().err


def test_user_errors(ws: Path, capsys) -> None:
    base = ["--workspace", str(ws), "isolate", "--good", "good.yaml"]
    assert main([*base, "--bad", "bad_one.yaml", "--test", NO_NAN]) == 1
    assert "--entry module:function, or --hypothesis H-X" in capsys.readouterr().err
    assert main([*base, "--bad", "nope.yaml", "--entry", "toy:descend", "--test", NO_NAN]) == 1
    assert "--bad nope.yaml: not a YAML file of params" in capsys.readouterr().err
    assert main([*base, "--bad", "bad_one.yaml", "--entry", "toy:descend"]) == 1
    assert "--test '{metric: trains_clean, equals: true}'" in capsys.readouterr().err
    assert (
        main([*base, "--bad", "bad_one.yaml", "--entry", "toy:descend", "--test", "{metric: x, over: any, lt: 1}"]) == 1
    )
    assert "a per-run test needs a plain condition" in capsys.readouterr().err
    # both endpoints pass: nothing to isolate, and the message says what each one did
    assert main([*base, "--bad", "good.yaml", "--entry", "toy:descend", "--test", NO_NAN]) == 1
    assert "identical" in capsys.readouterr().err
    calm = ws / "calm.yaml"
    calm.write_text(yaml.safe_dump({**GOOD, "data": {**GOOD["data"], "scale": 5.0}}))
    assert main([*base, "--bad", str(calm), "--entry", "toy:descend", "--test", NO_NAN]) == 1
    err = capsys.readouterr().err
    assert "the good configuration tests pass and the bad one pass" in err and "bad: pass; runs: " in err


# Passes only when run with the hypothesis' settings: its interpreter, its env and in its run dir.
SETTINGS = """
import os
from pathlib import Path


def gated(params, ctx):
    applied = os.environ.get("INTERP_WRAPPED") == "yes" and os.environ.get("MODE") == "fast"
    applied = applied and Path(os.getcwd()).resolve() == Path(ctx.run_dir).resolve()
    return {"applied": applied, "passes": applied and not (params["a"] or params["b"])}
"""
PASSES = "{metric: passes, equals: true}"


@pytest.fixture
def settings_ws(make_ws) -> Path:
    import stat
    import sys

    experiment = """
        run: gate:gated
        params: {a: false, b: false}
        arms: {good: {}, bad: {a: true, b: true}}
        python: ./interp.sh
        env: {MODE: fast}
        cwd: run
        timeout_s: 60
    """
    root = make_ws(
        {
            "gate.py": SETTINGS,
            "interp.sh": f'#!/bin/sh\nINTERP_WRAPPED=yes exec "{sys.executable}" "$@"\n',
            "good.yaml": "a: false\nb: false\n",
            "bad.yaml": "a: true\nb: true\n",
            "hypotheses/H-RT.yaml": hypothesis("H-RT", experiment),
        }
    )
    (root / "interp.sh").chmod((root / "interp.sh").stat().st_mode | stat.S_IXUSR)
    return root


def test_the_hypothesis_python_env_and_cwd_apply_to_every_run(settings_ws: Path, capsys) -> None:
    argv = ["--workspace", str(settings_ws), "isolate", "--hypothesis", "H-RT", "--good", "good", "--bad", "bad"]
    assert main([*argv, "--test", PASSES, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["culprits"] == [{"key": "a", "good": False, "bad": True}]
    ids = [i for row in data["table"] for i in row["run_ids"]]
    for run_id in ids:
        record = json.loads((settings_ws / "reports" / run_id / "run.json").read_text())
        assert record["metrics"]["applied"] is True
        assert record["key_parts"]["runtime"]["env"] == {"MODE": "fast"}


def test_entry_takes_python_env_and_cwd_as_options(settings_ws: Path, capsys) -> None:
    argv = ["--workspace", str(settings_ws), "isolate", "--entry", "gate:gated", "--good", "good.yaml", "--bad"]
    assert main([*argv, "bad.yaml", "--test", PASSES, "--json"]) == 1  # the settings are missing: good fails
    assert "the good configuration tests fail" in capsys.readouterr().err
    options = ["--python", "./interp.sh", "--env", "MODE=fast", "--cwd", "run"]
    assert main([*argv, "bad.yaml", "--test", PASSES, "--json", *options]) == 0
    assert json.loads(capsys.readouterr().out)["culprits"][0]["key"] == "a"
    assert main([*argv, "bad.yaml", "--test", PASSES, "--env", "BAD-NAME=1"]) == 1
    assert "not an environment variable name" in capsys.readouterr().err


def test_one_stamp_per_call_and_every_culprit_set_the_table_proves(settings_ws: Path, capsys) -> None:
    argv = ["--workspace", str(settings_ws), "isolate", "--hypothesis", "H-RT", "--good", "good", "--bad", "bad"]
    assert main([*argv, "--test", PASSES, "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    stamps = [p for p in (settings_ws / "reports").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(stamps) == 1  # the endpoints' round and each later round record into one directory
    assert "  a: false -> true" in out
    assert "also failing alone, 1-minimal by the table's own tests:\n  b: false -> true" in out
    assert main([*argv, "--test", PASSES, "--jobs", "2", "--json"]) == 0
    sets = json.loads(capsys.readouterr().out)["culprit_sets"]
    assert [[c["key"] for c in found] for found in sets] == [["a"], ["b"]]
