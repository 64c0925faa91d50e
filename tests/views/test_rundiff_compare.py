"""investigate diff and investigate compare, end to end through main(argv)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.views.compare import cell
from investigate.views.rundiff import flatten

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summary_ws"
RUN = "2026-01-20T102300Z/H-CONFIG/scenario=gs1_ideal/{}"


def strict(text: str):
    return json.loads(text, parse_constant=lambda token: pytest.fail(f"not JSON: {token}"))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    return tmp_path / "ws"


def test_diff_by_run_dir_and_by_run_id(ws: Path, capsys, monkeypatch) -> None:
    a = f"reports/{RUN.format('stale-seed0')}"
    b = f"reports/{RUN.format('synced-seed0')}"
    assert main(["--workspace", str(ws), "diff", a, b]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"A: {a} (H-CONFIG, stale, scenario=gs1_ideal, seed 0, ok)"
    assert "  arm: 'stale' → 'synced'" in out
    assert "  has_nan: true → false" in out
    assert "  amp_mean: 0 → 0.41  (Δ +0.41)" in out
    assert "params: same" in out  # the fixture's records keep only the point and profile
    # run ids as `show` prints them work too, from any directory inside the workspace
    monkeypatch.chdir(ws / "plans")
    ids = [json.loads((ws / p / "run.json").read_text())["run_id"] for p in (a, b)]
    assert main(["diff", ids[0], ids[1], "--json"]) == 0
    data = strict(capsys.readouterr().out)
    assert data["a"]["arm"] == "stale" and {"key": "arm", "a": "stale", "b": "synced"} in data["record"]
    assert {"key": "has_nan", "a": True, "b": False} in data["metrics"]


def test_diff_of_an_unknown_run_suggests(ws: Path, capsys) -> None:
    assert main(["--workspace", str(ws), "diff", "20260120-config-0", "20260120-config-02"]) == 1
    assert "unknown run '20260120-config-0' (did you mean" in capsys.readouterr().err


def test_diff_shows_only_what_differs_with_absent_keys(ws: Path, capsys) -> None:
    path = ws / "reports" / RUN.format("synced-seed1") / "run.json"
    data = json.loads(path.read_text())
    data["params"]["lr"] = 0.1
    data["metrics"]["loss"] = float("nan")
    data["provenance"]["versions"] = {"numpy": "2.0"}
    path.write_text(json.dumps(data))
    assert main(["--workspace", str(ws), "diff", RUN.format("synced-seed0"), RUN.format("synced-seed1"), "--json"]) == 0
    out = strict(capsys.readouterr().out)
    assert out["params"] == [{"key": "lr", "b": 0.1}]
    assert {"key": "loss", "b": "NaN"} in out["metrics"]
    assert out["provenance"] == [{"key": "versions.numpy", "b": "2.0"}]
    assert main(["--workspace", str(ws), "diff", RUN.format("synced-seed0"), RUN.format("synced-seed1")]) == 0
    text = capsys.readouterr().out
    assert "  lr: (absent) → 0.1" in text and "  versions.numpy: (absent) → '2.0'" in text


def test_flatten_nested_keys() -> None:
    assert flatten({"a": {"b": {"c": 1}, "d": []}, "e": {}}) == {"a.b.c": 1, "a.d": [], "e": {}}


def test_compare_by_arm_and_point_with_effects(numpy_ws: Path, capsys) -> None:
    ws = ["--workspace", str(numpy_ws)]
    assert main([*ws, "run", "H-STEP-SIZE", "--jobs", "2"]) == 0
    capsys.readouterr()
    assert main([*ws, "compare", "H-STEP-SIZE", "--metric", "has_nan", "--control", "raw"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "H-STEP-SIZE has_nan: mean ± sd over seeds by matrix point × arm"
    assert text[1].split() == ["L", "raw", "clipped"]
    # lr 0.5: L=1 converges in both arms, L=5 diverges unless clipped
    assert text[2].split()[:5] == ["1", "0", "±", "0", "(n"] and "L=" not in text[2]
    assert text[4].split()[:2] == ["5", "1"]
    assert "  effect vs control raw, difference of means with 95 % interval:" in text
    assert "    clipped − raw at 5: -1 [-1, -1] (2 pairs)" in text
    assert any(line.startswith("    clipped − raw pooled: ") for line in text)

    assert main([*ws, "compare", "H-STEP-SIZE", "--json"]) == 0
    data = strict(capsys.readouterr().out)
    assert list(data["metrics"]) == ["has_nan"]  # the metrics the rules name
    assert data["control"] == "raw" and data["control_declared"] is True  # experiment.control: raw
    final = None
    assert main([*ws, "compare", "H-STEP-SIZE", "--metric", "final_loss", "--json"]) == 0
    final = strict(capsys.readouterr().out)["metrics"]["final_loss"]
    raw_at_5 = final["cells"][2]["raw"]
    assert raw_at_5["n"] == 0 and raw_at_5["left_out"] and set(raw_at_5["left_out"]) <= {"NaN", "Infinity"}

    assert main([*ws, "compare", "H-STEP-SIZE", "--metric", "final_los"]) == 1
    assert "no run reports metric 'final_los' (did you mean final_loss" in capsys.readouterr().err


def test_cell_counts_non_numbers_beside_the_mean() -> None:
    def rec(value):
        return RunRecord(run_id="r", hypothesis="H", entry="m:f", arm="a", point={}, seed=0, params={}, status="ok",
                         metrics={"m": value}, started_at="t", duration_s=0, cache_key="k")  # fmt: skip

    c = cell([rec(1.0), rec(3.0), rec(float("nan")), rec("oops")], "m")
    assert (c.n, c.mean, round(c.sd, 3)) == (2, 2.0, 1.414)
    assert c.text() == "2 ± 1.41 (n 2); nan in 1/4; oops in 1/4"


def test_diff_names_the_part_of_the_cache_key_that_differs(make_ws, capsys) -> None:
    from investigate.store.records import read_records
    from investigate.workspace.load import load_workspace
    from tests.plan.test_commandline import build

    root = build(make_ws, **{"H-WHICH": "run: exps.which:which\npython: ./interp.sh\nenv: {MODE: fast}\n"})
    assert main(["--workspace", str(root), "run", "H-WHICH"]) == 0
    hyp = root / "hypotheses" / "H-WHICH.yaml"
    hyp.write_text(hyp.read_text().replace("MODE: fast", "MODE: slow"))
    assert main(["--workspace", str(root), "run", "H-WHICH"]) == 0
    a, b = read_records(load_workspace(root), "H-WHICH")
    capsys.readouterr()
    assert main(["--workspace", str(root), "diff", a.run_id, b.run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    assert 'cache key: differs: experiment.env: {"MODE": "fast"} → {"MODE": "slow"}' in out
    assert main(["--workspace", str(root), "diff", a.run_id, a.run_id, "--json"]) == 0
    assert strict(capsys.readouterr().out)["cache_key_reasons"] == []
