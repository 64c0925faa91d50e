"""Everything the store writes, it reads back: the nastiest values a run can carry."""

import math

import pytest

from investigate.formats.recordjson import MAX_DEPTH, RecordError, decode, depth, encode
from investigate.store.records import read_records, scan_store
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis
from tests.store.test_records import put, record


def nested(levels: int) -> dict:
    """A dict ``levels`` deep: {"k": {"k": ... {"k": 1}}}."""
    value: object = 1
    for _ in range(levels):
        value = {"k": value}
    return value  # type: ignore[return-value]


NASTY_METRICS = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "huge_int": 10**400,
    "huge_neg": -(10**400),
    "tiny": 5e-324,
    "surrogate": "\ud800",
    "pair_halves": "\udfff\ud83d",
    "unicode": "héllo 🚀 ΔΣ 中文",
    "separators": "\u2028\u2029\x00\x1f",
    "big": "x" * 5_000_000,
    "none": None,
    "flag": True,
}


def test_nasty_metrics_and_params_round_trip(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    params = {"deep": nested(300), "\ud800key": [1, [2, [3]]], "ünï": "🚀", "big": 10**400}
    put(ws, "2026-01-01T000000Z", record(metrics=NASTY_METRICS, params=params, point={"scenario": "s—1"}))
    scan = scan_store(ws)
    assert scan.problems == []
    (back,) = scan.records
    assert math.isnan(back.metrics["nan"])
    assert {k: v for k, v in back.metrics.items() if k != "nan"} == {
        k: v for k, v in NASTY_METRICS.items() if k != "nan"
    }
    assert back.params == params and depth(back.params["deep"]) == 300
    assert back.point == {"scenario": "s—1"}


def test_every_value_written_reads_back_through_the_fast_and_the_fallback_path() -> None:
    for metrics in ({"a": 1.5}, {"s": "\ud800"}, {"d": nested(250)}, {"n": math.nan}):
        rec = record(metrics=metrics)
        back = decode(encode(rec.model_dump(exclude={"run_dir"})))
        assert back.model_dump(exclude={"metrics"}) == rec.model_dump(exclude={"metrics"})


def test_too_deep_is_refused_on_write_and_nothing_is_written(make_ws) -> None:
    ws = load_workspace(make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")}))
    with pytest.raises(RecordError, match=f"nests {MAX_DEPTH + 1} levels deep; at most {MAX_DEPTH}"):
        put(ws, "2026-01-01T000000Z", record(params=nested(MAX_DEPTH)))  # + the record itself
    assert read_records(ws) == [] and scan_store(ws).problems == []
    put(ws, "2026-01-01T000000Z", record(params=nested(MAX_DEPTH - 1)))  # the deepest that fits
    (back,) = read_records(ws)
    assert depth(back.params) == MAX_DEPTH - 1


def test_values_json_cannot_write_are_refused() -> None:
    with pytest.raises(RecordError, match="cannot be written as JSON"):
        encode({"metrics": {"n": 10**5000}})  # past Python's int-to-text digit limit
    with pytest.raises(RecordError, match="cannot be written as JSON"):
        encode({"metrics": {"b": b"bytes"}})


def test_decode_reasons() -> None:
    assert _reason(b"") == "empty file"
    assert _reason(b'{"run_id": "x",').startswith("invalid JSON: Expecting property name")
    assert _reason(b'"text"') == "not a run record: Input should be an object"
    assert _reason(b"[" * 2000 + b"]" * 2000) == "invalid JSON: nested too deeply to read"
    assert _reason(b'["\\ud800", ' + b"[" * 300 + b"]" * 300 + b"]") == "expected a JSON object, got list"
    assert _reason(b"\xff\xfe{").startswith("invalid JSON")


def test_depth_counts_containers() -> None:
    assert depth(1) == 0 and depth({}) == 1 and depth({"a": [1, {"b": []}]}) == 4
    assert depth(nested(5000)) == 5000  # iterative: no recursion limit


def _reason(raw: bytes) -> str:
    with pytest.raises(RecordError) as info:
        decode(raw)
    return str(info.value)
