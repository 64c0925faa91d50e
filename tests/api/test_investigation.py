"""The Python API against a recorded workspace: frames match the records, the verdicts and effects match
what ``show`` computes, and ``run`` goes through the CLI's runner (a second call is all cache hits)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import investigate.api as inv
from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate
from investigate.store.records import read_records
from investigate.views.tables import effect_rows
from investigate.workspace.load import load_workspace


@pytest.fixture
def api(recorded_numpy_ws: Path) -> inv.Investigation:
    return inv.open(recorded_numpy_ws)


def test_runs_frame_has_one_row_per_record_and_spread_columns(api: inv.Investigation, recorded_numpy_ws: Path) -> None:
    records = read_records(load_workspace(recorded_numpy_ws), "H-STEP-SIZE")
    df = api.runs("H-STEP-SIZE")
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(records) == 12
    for column in ("run_id", "hypothesis", "arm", "seed", "L", "param.lr", "metric.has_nan", "status",
                   "duration_s", "cache_key", "reused_from", "started_at"):  # fmt: skip
        assert column in df.columns, column
    assert list(df.columns[:5]) == ["run_id", "hypothesis", "arm", "seed", "L"]
    assert "param.L" not in df.columns  # a matrix key is its own column, once
    by_id = {r.run_id: r for r in records}
    for row in df.itertuples(index=False):
        rec = by_id[row.run_id]
        assert row.L == rec.point["L"] and row.arm == rec.arm
        assert df.loc[df.run_id == rec.run_id, "metric.has_nan"].item() == rec.metrics["has_nan"]
    # the divergence is real: raw diverges at L=5 (lr·L = 2.5 > 2), clipped never
    raw5 = df[(df.arm == "raw") & (df.L == 5.0)]
    assert raw5["metric.has_nan"].all()
    assert not df[df.arm == "clipped"]["metric.has_nan"].any()


def test_runs_filters(api: inv.Investigation) -> None:
    assert len(api.runs()) == 15  # both hypotheses
    some = api.runs(where={"L": [1.0, 3.0]})
    assert set(some.L.dropna()) == {1.0, 3.0}  # H-STEP-SIZE's matrix key
    assert (some[some.hypothesis == "H-INIT-SCALE"]["param.L"] == 3.0).all()  # a plain param of H-INIT-SCALE
    assert len(some) == 8 + 3
    assert len(api.runs(status="error")) == 0
    assert len(api.runs(status=["ok", "error"])) == 15
    assert set(api.runs(initiative="TOY-GD-001").hypothesis) == {"H-STEP-SIZE", "H-INIT-SCALE"}
    with pytest.raises(InvestigateError, match=r"did you mean lr"):
        api.runs("H-STEP-SIZE", where={"lrr": 0.5})
    with pytest.raises(UnknownIdError, match="H-STEP-SIZE"):
        api.runs("H-STEP-SIZ")


def test_verdicts_and_effects_match_show(api: inv.Investigation, recorded_numpy_ws: Path) -> None:
    ws = load_workspace(recorded_numpy_ws)
    verdicts = api.verdicts().set_index("hypothesis")
    expected = evaluate(ws.hypothesis("H-STEP-SIZE"), latest_records(read_records(ws, "H-STEP-SIZE")), ws)
    assert verdicts.loc["H-STEP-SIZE", "verdict"] == expected.outcome.value == "fixed"
    effects = api.effects("H-STEP-SIZE")
    assert effects.to_dict("records") == pd.DataFrame(effect_rows(expected)).to_dict("records")
    pooled = effects[effects.point.isna() & (effects.metric == "has_nan")].iloc[0]
    # clipped − raw on has_nan pooled over L: lr·L = 0.5, 1.5, 2.5, so raw diverges at L=5 only (2 of 6)
    assert pooled.mean_diff == pytest.approx(-2 / 6)
    assert pooled.ci95_low <= pooled.mean_diff <= pooled.ci95_high


def test_audit_and_listings(api: inv.Investigation) -> None:
    findings = api.audit()
    assert list(findings.columns) == ["hypothesis", "kind", "detail"]
    assert set(api.hypotheses().id) == {"H-STEP-SIZE", "H-INIT-SCALE"}
    assert api.initiatives().id.tolist() == ["TOY-GD-001"]


def test_html_display(api: inv.Investigation) -> None:
    view = api.hypothesis("H-STEP-SIZE")
    html = view._repr_html_()
    assert "H-STEP-SIZE" in html and ">fixed<" in html and "<table" in html
    assert "clipped − raw" in html  # the effect row
    assert "verdict: fixed" in repr(view)
    tree = api.tree("TOY-GD-001")
    assert tree._repr_html_().count("<svg") == 1


def test_run_uses_the_runner_and_the_cache(recorded_numpy_ws: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(recorded_numpy_ws, root)
    api = inv.open(root)
    plan = api.plan("H-STEP-SIZE", where={"L": 1.0})
    assert len(plan) == 4 and plan.hit.all()
    fresh = api.run("H-INIT-SCALE", seeds=[7])
    assert len(fresh) == 1 and fresh.seed.tolist() == [7] and fresh.status.tolist() == ["ok"]
    assert len(api.runs("H-INIT-SCALE")) == 4  # recorded in the store, seen on the next call
    again = api.run("H-INIT-SCALE", seeds=[7])
    assert again.run_id.tolist() == fresh.run_id.tolist()  # its own ok record: nothing executed


def test_records_written_outside_the_tool_show_on_the_next_call(recorded_numpy_ws: Path, tmp_path: Path) -> None:
    from tests.records import write_run

    root = tmp_path / "ws"
    shutil.copytree(recorded_numpy_ws, root)
    api = inv.open(root)
    assert len(api.runs("H-INIT-SCALE")) == 3
    write_run(root, "H-INIT-SCALE", "default", 9, {"has_nan": True})
    assert len(api.runs("H-INIT-SCALE")) == 4
    assert api.verdicts().set_index("hypothesis").loc["H-INIT-SCALE", "verdict"] == "confirmed"
