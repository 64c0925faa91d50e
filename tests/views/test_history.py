"""history.json: rows or a mapping of metric to values; bounded; numbers only."""

from __future__ import annotations

import json
from pathlib import Path

from investigate.views import history


def test_both_shapes_give_the_same_curves(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "history.json").write_text(json.dumps({"loss": [3.0, 2.0, "x", 1.0], "note": "text"}))
    (tmp_path / "b").mkdir()
    rows = [{"step": 10, "loss": 3.0, "ok": True}, {"step": 20, "loss": float("nan")}, {"loss": 1.0}]
    (tmp_path / "b" / "history.json").write_text(json.dumps(rows))
    assert history.read_history(tmp_path / "a") == {"loss": [(0, 3.0), (1, 2.0), (3, 1.0)]}
    curves = history.read_history(tmp_path / "b")
    assert [s for s, _ in curves["loss"]] == [10, 20, 2] and "ok" not in curves


def test_absent_broken_or_too_large_is_no_curve(tmp_path: Path, monkeypatch) -> None:
    assert history.read_history(tmp_path) == {}
    (tmp_path / "history.json").write_text("{not json")
    assert history.read_history(tmp_path) == {}
    (tmp_path / "history.json").write_text(json.dumps({"loss": [1.0] * 100}))
    monkeypatch.setattr(history, "MAX_BYTES", 10)
    assert history.read_history(tmp_path) == {}


def test_curves_nested_under_metrics_beside_other_facts(tmp_path: Path) -> None:
    data = {"metrics": {"loss": [2.0, 1.0], "val_loss": [3.0]}, "has_nan": False, "epoch_seconds": [0.5, 0.4]}
    (tmp_path / "history.json").write_text(json.dumps(data))
    assert history.read_history(tmp_path) == {
        "loss": [(0, 2.0), (1, 1.0)],
        "val_loss": [(0, 3.0)],
        "epoch_seconds": [(0, 0.5), (1, 0.4)],
    }
