"""status / list / validate over the store, end to end through ``main(argv)``.

Records are written with ``write_record`` (what the runner does) so each case is exact and fast.
"""

import json
from pathlib import Path

import pytest

import investigate.views.statusrows as overview_module
from investigate.cli.main import main
from investigate.store.records import point_slug
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis
from tests.store.test_records import age, put, record

STAMP, LATER = "2026-01-01T000000Z", "2026-01-02T000000Z"
EXPERIMENT = """
run: m:f
matrix: {scenario: [s1, s2]}
arms: {a: {}, b: {}}
"""
RULES = """verdict:
  confirmed: {arm: b, metric: loss, lt: 0.5, over: all}
  ruled_out: {arm: b, metric: loss, ge: 0.5, over: any}
"""
MEAN_RULES = """verdict:
  confirmed: {arm: b, metric: loss, lt: 0.5, over: mean}
"""
INITIATIVE = "id: INI\ntitle: t\nhypotheses: [H-A, H-B]\n"


def build(make_ws, **extra: str) -> Path:
    files = {
        "hypotheses/H-A.yaml": hypothesis("H-A", EXPERIMENT, "initiative: INI\n" + RULES),
        "hypotheses/H-B.yaml": hypothesis("H-B", EXPERIMENT, "initiative: INI\n" + RULES),
        "plans/INI/initiative.yaml": INITIATIVE,
        **{f"hypotheses/{hid}.yaml": text for hid, text in extra.items()},
        "m.py": "def f(params, ctx):\n    return {}\n",  # validate resolves entry points
    }
    return make_ws(files)


def runs(root: Path, hyp: str, loss: object = 0.1, stamp: str = STAMP, **overrides) -> list[Path]:
    """One ok run per (scenario, arm) of ``hyp``: four records."""
    ws = load_workspace(root)
    out = []
    for scenario in ("s1", "s2"):
        for arm in ("a", "b"):
            point = {"scenario": scenario}
            rec = record(
                hypothesis=hyp, arm=arm, point=point, run_id=f"{stamp}/{hyp}/{point_slug(point)}/{arm}",
                started_at=stamp, metrics={"loss": _arm_loss(arm, loss)}, **overrides,
            )  # fmt: skip
            out.append(put(ws, stamp, rec))
    return out


def _arm_loss(arm: str, loss: object) -> object:
    # Arm a mirrors arm b's loss around 0.5, so the rules on b discriminate between the arms
    # (a rule that holds on every arm would make the verdict inconclusive).
    return round(1 - loss, 6) if arm == "a" and isinstance(loss, float) else loss


def status_json(root: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["--workspace", str(root), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_unreadable_records_are_reported_and_excluded_never_silently(make_ws, capsys) -> None:
    root = build(make_ws)
    paths = runs(root, "H-A") + runs(root, "H-B")
    paths[1].write_bytes(paths[1].read_bytes()[:40])  # truncated, as by a full disk
    data = status_json(root, capsys)
    assert data["INI"]["H-A"]["runs"]["ok"] == 3 and data["INI"]["H-B"]["runs"]["ok"] == 4
    (problem,) = data["(store)"]["unreadable"]
    assert problem["path"] == f"reports/{STAMP}/H-A/scenario=s1/b-seed0/run.json"
    assert problem["reason"].startswith("invalid JSON: ")
    assert main(["--workspace", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert "store: unreadable run records: 1 (left out above); runs without a record: 0" in out
    assert f"unreadable reports/{STAMP}/H-A/scenario=s1/b-seed0/run.json: invalid JSON: " in out
    # validate lists every one and fails
    assert main(["--workspace", str(root), "validate"]) == 1
    captured = capsys.readouterr()
    assert (
        f"error: reports/{STAMP}/H-A/scenario=s1/b-seed0/run.json: unreadable run record: invalid JSON" in captured.err
    )
    assert "unreadable run records: 1 (7 read fine)" in captured.err
    # list says so on stderr, and still exits 0
    assert main(["--workspace", str(root), "list"]) == 0
    assert "warning: unreadable run records left out: 1" in capsys.readouterr().err


def test_validate_ok_counts_records(make_ws, capsys) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    assert main(["--workspace", str(root), "validate"]) == 0
    assert "ok: 2 hypotheses, 1 initiatives, 4 run records" in capsys.readouterr().out


def test_records_the_tool_writes_with_surrogates_and_deep_params_are_counted(make_ws, capsys) -> None:
    # The audit: such records were written fine and then silently dropped by the reader.
    root = build(make_ws)
    runs(root, "H-A", params={"note": "\ud800", "deep": {"k": {"k": {"k": [[[[]]]]}}}})
    deep: object = 1
    for _ in range(300):
        deep = {"k": deep}
    runs(root, "H-B", params={"deep": deep})
    data = status_json(root, capsys)
    assert data["INI"]["H-A"]["runs"]["ok"] == 4 and data["INI"]["H-B"]["runs"]["ok"] == 4
    assert "(store)" not in data
    assert data["INI"]["H-A"]["verdict"] == "confirmed"


def test_a_newer_failed_rerun_does_not_erase_the_ok_evidence(make_ws, capsys) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    ws = load_workspace(root)
    timeout = record(hypothesis="H-A", arm="b", run_id="later", started_at=LATER, status="timeout", error="timed out")
    put(ws, LATER, timeout)  # `run H-A --force` that timed out on (s1, b)
    row = status_json(root, capsys)["INI"]["H-A"]
    assert row["verdict"] == "confirmed" and row["runs"]["ok"] == 4 and row["runs"]["timeout"] == 0
    assert row["newer_failures"] == [{"run_dir": f"reports/{LATER}/H-A/scenario=s1/b-seed0", "status": "timeout"}]
    assert main(["--workspace", str(root), "status"]) == 0
    assert "confirmed    ok=4  (newer failed runs, not counted: timeout=1)" in capsys.readouterr().out
    assert main(["--workspace", str(root), "list"]) == 0
    assert "(1 newer failed runs not counted)" in capsys.readouterr().out


def test_one_hypothesis_that_cannot_be_evaluated_does_not_take_down_the_others(make_ws, capsys) -> None:
    root = build(make_ws, **{"H-BIG": hypothesis("H-BIG", EXPERIMENT, MEAN_RULES)})
    runs(root, "H-A", loss="nan")  # a string: no numeric rule can compare it
    runs(root, "H-B")
    runs(root, "H-BIG", loss=10**400)  # too large for a float
    data = status_json(root, capsys)
    # the verdict engine fails that comparison with a note on H-A alone, or reports an error on its line
    assert data["INI"]["H-A"]["verdict"] in ("error", "inconclusive", "untested")
    assert data["INI"]["H-B"]["verdict"] == "confirmed" and data["INI"]["H-B"]["error"] is None
    big = data["(no initiative)"]["H-BIG"]  # the verdict engine may learn to read it; it must not crash status
    assert (big["verdict"] == "error" and "OverflowError" in big["error"]) or big["error"] is None
    assert main(["--workspace", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert "H-A" in out and "confirmed" in out
    assert main(["--workspace", str(root), "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["H-A"]["verdict"] != "confirmed" and rows["H-B"]["verdict"] == "confirmed"
    assert main(["--workspace", str(root), "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("H-A "))
    assert "confirmed" not in line
    assert main(["--workspace", str(root), "validate"]) == 0  # the records themselves are fine


def test_status_shows_lost_runs(make_ws, capsys) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    lost = root / "reports" / LATER / "H-A" / "scenario=s1" / "a-seed0"
    lost.mkdir(parents=True)
    (lost / "_started.json").write_text("{}")
    assert status_json(root, capsys)["(store)"] == {
        "unreadable": [],
        "lost": [f"reports/{LATER}/H-A/scenario=s1/a-seed0"],
    }
    assert main(["--workspace", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert f"no record  reports/{LATER}/H-A/scenario=s1/a-seed0: no run.json (lost" in out


def test_unchanged_hypotheses_are_not_evaluated_again(make_ws, capsys, monkeypatch) -> None:
    monkeypatch.setattr("investigate.store.files.RACY_NS", 0)  # `age` cannot put ctimes back
    root = build(make_ws)
    runs(root, "H-A")
    runs(root, "H-B", loss=0.9)
    age(root)
    first = status_json(root, capsys)
    assert (root / "reports" / ".index.sqlite").is_file()
    evaluated: list[str] = []
    real = overview_module.summarize

    def counting(ws, hyp_id, records):
        evaluated.append(hyp_id)
        return real(ws, hyp_id, records)

    monkeypatch.setattr(overview_module, "summarize", counting)
    assert status_json(root, capsys) == first and evaluated == []
    runs(root, "H-B", stamp=LATER)  # new evidence for H-B only
    age(root / "reports" / LATER)
    second = status_json(root, capsys)
    assert evaluated == ["H-B"]
    assert second["INI"]["H-B"]["verdict"] == "confirmed" and first["INI"]["H-B"]["verdict"] == "ruled_out"
    assert second["INI"]["H-A"] == first["INI"]["H-A"]


@pytest.mark.parametrize("command", ["status", "list"])
def test_rows_of_just_written_files_are_not_cached(make_ws, capsys, command) -> None:
    # Files changed within the last two seconds may change again without their times moving.
    root = build(make_ws)
    runs(root, "H-A")
    assert main(["--workspace", str(root), command, "--json"]) == 0
    capsys.readouterr()
    import sqlite3

    with sqlite3.connect(root / "reports" / ".index.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM rows").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM records WHERE stat LIKE 'racy:%'").fetchone() == (4,)


def test_status_json_reports_bh_qvalues_across_an_initiatives_contrasts(make_ws, capsys) -> None:
    contrast = "verdict:\n  confirmed: {arm: b, vs: a, metric: loss, lt: 0, over: all}\n"
    root = make_ws({
        "hypotheses/H-A.yaml": hypothesis("H-A", EXPERIMENT + "seeds: [0, 1, 2]\n", "initiative: INI\n" + contrast),
        "hypotheses/H-B.yaml": hypothesis("H-B", EXPERIMENT + "seeds: [0, 1, 2]\n", "initiative: INI\n" + contrast),
        "plans/INI/initiative.yaml": INITIATIVE,
    })  # fmt: skip
    ws = load_workspace(root)
    for hyp, gap, spread in (("H-A", 0.5, 0.02), ("H-B", 0.3, 0.05)):
        for scenario in ("s1", "s2"):
            for seed in range(3):
                for arm, loss in (("a", 1.0 + 0.01 * seed), ("b", 1.0 - gap + spread * seed)):
                    point = {"scenario": scenario}
                    rec = record(hypothesis=hyp, arm=arm, point=point, seed=seed, started_at=STAMP,
                                 run_id=f"{STAMP}/{hyp}/{point_slug(point)}/{arm}-seed{seed}", metrics={"loss": loss})  # fmt: skip
                    put(ws, STAMP, rec)
    data = status_json(root, capsys)
    rows = data["(q-values)"]["INI"]
    assert [r["hypothesis"] for r in rows] == ["H-A", "H-B"]
    small, large = sorted(rows, key=lambda r: r["p"])
    assert large["q"] == large["p"] and small["q"] == min(2 * small["p"], large["q"])  # BH over two looks
    assert "(q-values)" not in capsys.readouterr().out
    assert main(["--workspace", str(root), "status"]) == 0
    assert "(q-values)" not in capsys.readouterr().out
