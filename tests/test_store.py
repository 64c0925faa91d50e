import json
import math

from investigate.schema import RunRecord
from investigate.store import cache_index, latest_records, new_stamp_dir, point_slug, read_records, write_record
from investigate.workspace import load_workspace
from tests.conftest import hypothesis


def record(**overrides) -> RunRecord:
    base = dict(
        run_id="x",
        hypothesis="H-A",
        entry="m:f",
        arm="a",
        point={"scenario": "s1"},
        seed=0,
        params={},
        status="ok",
        started_at="2026-01-01T00:00:00",
        duration_s=1.0,
        cache_key="k",
    )
    return RunRecord(**{**base, **overrides})


def test_point_slug() -> None:
    assert point_slug({}) == "all"
    assert point_slug({"scenario": "gs1_custom"}) == "scenario=gs1_custom"
    assert point_slug({"a": 1, "b": "x/y z"}) == "a=1,b=x_y_z"


def test_stamp_dirs_never_collide(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    dirs = {new_stamp_dir(ws) for _ in range(5)}
    assert len(dirs) == 5 and all(d.parent == ws.reports_dir for d in dirs)


def test_write_and_read_back_nan_and_infinity(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    run_dir = new_stamp_dir(ws) / "H-A" / "all" / "default-seed0"
    write_record(ws, run_dir, record(metrics={"loss": float("nan"), "peak": float("inf"), "low": -math.inf}))
    text = (run_dir / "run.json").read_text()
    assert '"loss": NaN' in text and '"peak": Infinity' in text and '"low": -Infinity' in text
    (back,) = read_records(ws)
    assert math.isnan(back.metrics["loss"]) and back.metrics["peak"] == math.inf
    assert back.run_dir == run_dir.relative_to(ws.root).as_posix()
    assert "run_dir" not in json.loads(text)


def test_read_records_sorted_filtered_and_tolerant(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    stamp = new_stamp_dir(ws)
    write_record(ws, stamp / "H-A" / "all" / "a-seed0", record(started_at="2026-01-02"))
    write_record(ws, stamp / "H-B" / "all" / "a-seed0", record(hypothesis="H-B", started_at="2026-01-01"))
    broken = stamp / "H-A" / "all" / "a-seed1"
    broken.mkdir(parents=True)
    (broken / "run.json").write_text("{half")
    (ws.reports_dir / "notes").mkdir()  # not a stamp: ignored
    assert [r.hypothesis for r in read_records(ws)] == ["H-B", "H-A"]
    assert [r.hypothesis for r in read_records(ws, "H-A")] == ["H-A"]


def test_latest_records_and_cache_index() -> None:
    old = record(started_at="1", metrics={"v": 1})
    new = record(started_at="2", metrics={"v": 2}, status="error", cache_key="k")
    other_seed = record(started_at="1", seed=1)
    assert latest_records([old, new, other_seed]) == [other_seed, new]
    assert cache_index([old, new]) == {"k": old}  # failed runs are never reused
