import json
import math
import os
import time
from pathlib import Path

from investigate.formats.schema import RunRecord
from investigate.rules.counting import cache_index, latest_records, newer_failures
from investigate.store.records import lost_runs, new_stamp_dir, point_slug, read_records, scan_store, write_record
from investigate.workspace.load import Workspace, load_workspace
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


def put(ws: Workspace, stamp: str, rec: RunRecord, run: str | None = None) -> Path:
    """Write ``rec`` where the runner would: reports/<stamp>/<hyp>/<point>/<arm>-seed<k>/run.json."""
    run_dir = ws.reports_dir / stamp / rec.hypothesis / point_slug(rec.point) / (run or f"{rec.arm}-seed{rec.seed}")
    write_record(ws, run_dir, rec)
    return run_dir / "run.json"


def age(root: Path, seconds: float = 60) -> None:
    """Move every mtime under ``root`` into the past, so caches may key on it (see index.RACY_NS)."""
    past = time.time_ns() - int(seconds * 1e9)
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), ns=(past, past))
        os.utime(dirpath, ns=(past, past))


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
    (broken.parent / "a-seed2").mkdir()
    (broken.parent / "a-seed2" / ".run.json.x.tmp").write_text("{")  # a crashed writer's temp file
    (ws.reports_dir / "notes").mkdir()  # not a stamp: ignored
    assert [r.hypothesis for r in read_records(ws)] == ["H-B", "H-A"]
    assert [r.hypothesis for r in read_records(ws, "H-A")] == ["H-A"]
    scan = scan_store(ws)
    assert [r.hypothesis for r in scan.records] == ["H-B", "H-A"]
    (problem,) = scan.problems
    assert problem.path == f"reports/{stamp.name}/H-A/all/a-seed1/run.json"
    assert problem.reason.startswith("invalid JSON: ")


def test_truncated_records_are_problems_with_reasons_not_silently_dropped(make_ws) -> None:
    # The audit: 12 records, 4 truncated by a full disk; reading found 8 and said nothing.
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    paths = [put(ws, "2026-01-01T000000Z", record(seed=k, run_id=f"r{k}")) for k in range(12)]
    for path in paths[:4]:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    paths[3].write_bytes(b"")
    scan = scan_store(ws)
    assert len(scan.records) == 8 and len(read_records(ws)) == 8
    reasons = {p.path.rsplit("/", 2)[-2]: p.reason for p in scan.problems}
    assert sorted(reasons) == ["a-seed0", "a-seed1", "a-seed2", "a-seed3"]
    assert reasons["a-seed3"] == "empty file"
    assert all(r.startswith("invalid JSON: ") for k, r in reasons.items() if k != "a-seed3")


def test_wrong_shape_records_name_the_field(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    path = put(ws, "2026-01-01T000000Z", record())
    data = json.loads(path.read_text())
    del data["run_id"]
    data["status"] = "done"
    path.write_text(json.dumps(data))
    (ws.reports_dir / "2026-01-02T000000Z" / "H-A" / "all" / "a-seed0").mkdir(parents=True)
    (ws.reports_dir / "2026-01-02T000000Z" / "H-A" / "all" / "a-seed0" / "run.json").write_text("[1, 2]")
    reasons = sorted(p.reason for p in scan_store(ws).problems)
    assert reasons[0] == "not a run record: Input should be an object"
    assert reasons[1].startswith("not a run record: run_id: Field required (and 1 more)")


def test_newest_ok_record_decides_and_newer_failures_stay_visible() -> None:
    ok = record(started_at="1", run_id="a", metrics={"v": 1})
    timeout = record(started_at="2", run_id="b", status="timeout")  # run --force that timed out
    newer_ok = record(started_at="3", run_id="c", metrics={"v": 3})
    other_seed = record(started_at="1", seed=1, run_id="d")
    failed_only = record(started_at="1", seed=2, run_id="e", status="error")
    failed_again = record(started_at="2", seed=2, run_id="f", status="interrupted")
    assert latest_records([ok, timeout, other_seed]) == [ok, other_seed]
    assert newer_failures([ok, timeout, other_seed]) == [timeout]
    assert latest_records([timeout, ok, newer_ok]) == [newer_ok]  # read order does not matter
    assert newer_failures([ok, timeout, newer_ok]) == []  # older than the ok record that counts
    assert latest_records([failed_only, failed_again]) == [failed_again]  # no ok: the newest failure
    assert newer_failures([failed_only, failed_again]) == []
    tie = record(started_at="1", run_id="z", metrics={"v": 9})
    assert latest_records([tie, ok]) == latest_records([ok, tie]) == [tie]


def test_cache_index_reuses_only_ok_runs() -> None:
    old = record(started_at="1", metrics={"v": 1})
    new = record(started_at="2", metrics={"v": 2}, status="error", cache_key="k")
    assert cache_index([old, new]) == {"k": old}


def test_lost_runs_are_started_dirs_without_a_record(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    put(ws, "2026-01-01T000000Z", record())
    lost = ws.reports_dir / "2026-01-01T000000Z" / "H-A" / "scenario=s1" / "a-seed1"
    lost.mkdir()
    (lost / "_started.json").write_text("{}")
    (lost.parent / "a-seed2").mkdir()  # neither marker nor record: not a run
    finished = lost.parent / "a-seed0" / "_started.json"
    finished.write_text("{}")  # a finished run keeps its marker: not lost
    assert lost_runs(ws) == ["reports/2026-01-01T000000Z/H-A/scenario=s1/a-seed1"]
