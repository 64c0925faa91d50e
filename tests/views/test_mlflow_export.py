"""investigate export mlflow: records become MLflow runs in a local store (no server)."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.views.mlflow_export import record_fields


def test_record_fields_split_numbers_text_and_tags() -> None:
    rec = RunRecord(
        run_id="s/H-A/L=5.0/raw-seed1", hypothesis="H-A", entry="m:f", arm="raw", point={"L": 5.0}, seed=1,
        params={"lr": 0.5, "training": {"epochs": 3}, "tags": ["a"]}, status="error",
        metrics={"loss": math.nan, "has_nan": True, "note": "diverged", "missing": None},
        started_at="2026-01-20T10:00:00+00:00", duration_s=2.5, cache_key="abc", error="Traceback ...\nValueError: x",
        provenance={"git_commit": "f00"}, run_dir="reports/s/H-A/L=5.0/raw-seed1",
    )  # fmt: skip
    params, metrics, tags = record_fields(rec, "confirmed", "INI")
    assert params == {"lr": "0.5", "tags": '["a"]', "training.epochs": "3"}
    assert math.isnan(metrics["loss"]) and metrics["has_nan"] == 1.0 and set(metrics) == {"loss", "has_nan"}
    assert tags["metric.note"] == "diverged" and tags["metric.missing"] == "null"
    assert (tags["hypothesis"], tags["arm"], tags["point"], tags["seed"]) == ("H-A", "raw", '{"L": 5.0}', "1")
    assert (tags["status"], tags["verdict"], tags["initiative"], tags["cache_key"]) == (
        "error",
        "confirmed",
        "INI",
        "abc",
    )
    assert tags["git_commit"] == tags["mlflow.source.git.commit"] == "f00"
    assert tags["investigate.run_id"] == rec.run_id and tags["error"].endswith("ValueError: x")


def test_without_mlflow_the_error_says_what_to_install(numpy_ws: Path) -> None:
    code = "import sys; sys.modules['mlflow'] = None\nimport investigate.cli.main\nsys.exit(investigate.cli.main.main(sys.argv[1:]))\n"
    argv = ["--workspace", str(numpy_ws), "export", "mlflow", "--tracking-uri", "sqlite:///x.db"]
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "export to MLflow needs mlflow: pip install 'investigate[mlflow]'" in done.stderr


def store_uri(tmp_path: Path, monkeypatch) -> str:
    if importlib.util.find_spec("sqlalchemy") and importlib.util.find_spec("alembic"):
        return f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the file store behind an opt-in
    return (tmp_path / "mlruns").as_uri()


def test_export_to_a_local_store_and_again(numpy_ws: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("mlflow", reason="mlflow is not installed (pip install 'investigate[mlflow]')")
    from mlflow.tracking import MlflowClient

    ws = ["--workspace", str(numpy_ws)]
    assert main([*ws, "run", "H-STEP-SIZE", "--jobs", "2"]) == 0
    uri = store_uri(tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["export", "mlflow", "--tracking-uri", uri, "--artifacts", *ws]) == 0
    out = capsys.readouterr().out
    assert out.startswith("exported 12 run(s), 0 already there; experiments: TOY-GD-001;")

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("TOY-GD-001")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert len(runs) == 12
    raw5 = next(r for r in runs if r.data.tags["arm"] == "raw" and r.data.tags["point"] == '{"L": 5.0}'
                and r.data.tags["seed"] == "0")  # fmt: skip
    assert raw5.info.status == "FINISHED" and raw5.data.tags["verdict"] == "fixed"
    assert raw5.data.params["lr"] == "0.5" and raw5.data.params["clip_lr"] == "false"
    assert raw5.data.metrics["has_nan"] == 1.0 and not math.isfinite(raw5.data.metrics["final_loss"])
    assert raw5.data.tags["hypothesis"] == "H-STEP-SIZE" and raw5.data.tags["status"] == "ok"
    assert raw5.info.run_name == "H-STEP-SIZE raw seed0 L=5.0"
    names = {a.path for a in client.list_artifacts(raw5.info.run_id)}
    assert {"run.json", "history.json"} <= names

    # a second export adds nothing; a new record (a forced re-run) is added
    assert main(["export", "mlflow", "--tracking-uri", uri, *ws]) == 0
    assert capsys.readouterr().out.startswith("exported 0 run(s), 12 already there;")
    assert main([*ws, "run", "H-STEP-SIZE", "--where", "L=1.0", "--seeds", "0", "--force"]) == 0
    capsys.readouterr()
    assert main(["export", "mlflow", "--tracking-uri", uri, "--experiment", "toy", *ws]) == 0
    assert capsys.readouterr().out.startswith("exported 12 run(s), 0 already there; experiments: toy;")
