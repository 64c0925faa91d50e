"""Flat rows: a run spread over columns, and which runs count towards the verdict."""

from __future__ import annotations

from investigate.formats.schema import RunRecord
from investigate.views.tables import column_order, run_rows


def record(run_id: str, seed: int, status: str = "ok", started: str = "2026-01-01T00:00:00Z") -> RunRecord:
    return RunRecord(
        run_id=run_id, hypothesis="H-X", entry="m:f", arm="a", point={"L": 1.0}, seed=seed,
        params={"L": 1.0, "lr": 0.5, "model": {"depth": 2}}, status=status, metrics={"x": seed},
        started_at=started, duration_s=1.0, cache_key=f"k{run_id}",
    )  # fmt: skip


def test_run_rows_spread_and_mark_superseded_runs() -> None:
    old = record("r1", 0, started="2026-01-01T00:00:00Z")
    newer = record("r2", 0, started="2026-01-02T00:00:00Z")
    other = record("r3", 1)
    rows = run_rows([old, newer, other])
    assert [r["counts"] for r in rows] == [False, True, True]  # same arm, point and seed: the newer ok decides
    row = rows[0]
    assert row["L"] == 1.0 and "param.L" not in row
    assert row["param.lr"] == 0.5 and row["param.model.depth"] == 2 and row["metric.x"] == 0
    columns = column_order(rows, ["L"])
    assert columns[:5] == ["run_id", "hypothesis", "arm", "seed", "L"]
    assert columns.index("param.lr") < columns.index("metric.x") < columns.index("status")
