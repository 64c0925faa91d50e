"""investigate export mlflow: records become MLflow runs in a local store (no server)."""

from __future__ import annotations

import importlib.util
import json
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.store.records import read_records
from investigate.views.mlflow_export import record_fields
from investigate.views.mlflow_target import _can_create_in
from investigate.workspace.load import load_workspace


def test_record_fields_split_numbers_text_and_tags() -> None:
    rec = RunRecord(
        run_id="s/H-A/L=5.0/raw-seed1", hypothesis="H-A", entry="m:f", arm="raw", point={"L": 5.0}, seed=1,
        params={"lr": 0.5, "training": {"epochs": 3}, "tags": ["a"]}, status="error",
        metrics={"loss": math.nan, "has_nan": True, "note": "diverged", "missing": None},
        started_at="2026-01-20T10:00:00+00:00", duration_s=2.5, cache_key="abc", error="Traceback ...\nValueError: x",
        provenance={"git_commit": "f00"}, run_dir="reports/s/H-A/L=5.0/raw-seed1",
    )  # fmt: skip
    fields = record_fields(rec, "confirmed", "INI")
    params, metrics, tags = fields.params, fields.metrics, fields.tags
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
    # history.json's curve: one metric point per step (the toy keeps every 40th loss, so 50 of them)
    curve = client.get_metric_history(raw5.info.run_id, "loss")
    assert [m.step for m in curve] == list(range(50)) and curve[0].value > 0

    # a second export adds nothing; a new record (a forced re-run) is added
    assert main(["export", "mlflow", "--tracking-uri", uri, *ws]) == 0
    assert capsys.readouterr().out.startswith("exported 0 run(s), 12 already there;")
    assert main([*ws, "run", "H-STEP-SIZE", "--where", "L=1.0", "--seeds", "0", "--force"]) == 0
    capsys.readouterr()
    assert main(["export", "mlflow", "--tracking-uri", uri, "--experiment", "toy", *ws]) == 0
    assert capsys.readouterr().out.startswith("exported 12 run(s), 0 already there; experiments: toy;")


ODD_PY = """
def odd(params, ctx):
    return {"loss(val)": 0.25, "a@b": 2.0, "": 3.0, "ok": 4.0, "loss_val_": 5.0, "note(x)": "text", "../up": 1.5}
"""


def odd_ws(make_ws) -> Path:
    from tests.conftest import hypothesis

    root = make_ws({"exps/__init__.py": "", "exps/odd.py": ODD_PY,
                    "hypotheses/H-ODD.yaml": hypothesis("H-ODD", "run: exps.odd:odd\nparams: {'w(1)': 1}")})  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-ODD"]) == 0
    return root


def only_run(uri: str, name: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(name)
    return client.search_runs([experiment.experiment_id], max_results=10)


def test_names_mlflow_refuses_are_renamed_with_the_mapping_kept(make_ws, tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("mlflow")
    root, uri = odd_ws(make_ws), store_uri(tmp_path, monkeypatch)
    assert main(["--workspace", str(root), "export", "mlflow", "--tracking-uri", uri]) == 0
    (run,) = only_run(uri, root.name)
    assert run.info.status == "FINISHED" and run.data.tags["investigate.export"] == "complete"
    renamed = json.loads(run.data.tags["investigate.renamed"])
    originals = {new: old for new, old in renamed["metric"].items()}
    metrics = run.data.metrics
    assert metrics["ok"] == 4.0 and metrics["loss_val_"] == 5.0  # the legal names stay as they are
    by_original = {old: metrics[new] for new, old in originals.items()}
    assert by_original == {"loss(val)": 0.25, "a@b": 2.0, "": 3.0, "../up": 1.5}  # nothing lost, nothing merged
    assert len(metrics) == 6
    assert run.data.params[next(k for k, v in renamed["param"].items() if v == "w(1)")] == "1"
    assert run.data.tags[next(k for k, v in renamed["tag"].items() if v == "metric.note(x)")] == "text"


def test_an_export_that_breaks_off_is_marked_failed_and_redone(make_ws, tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("mlflow")
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    root, uri = odd_ws(make_ws), store_uri(tmp_path, monkeypatch)
    argv = ["--workspace", str(root), "export", "mlflow", "--tracking-uri", uri]
    real = MlflowClient.log_batch

    def broken(self, run_id, metrics=(), params=(), tags=()):  # the store fails once metrics are sent
        if metrics:
            raise MlflowException("store went away")
        return real(self, run_id, metrics=metrics, params=params, tags=tags)

    monkeypatch.setattr(MlflowClient, "log_batch", broken)
    assert main(argv) == 1
    assert "store went away" in capsys.readouterr().err
    (run,) = only_run(uri, root.name)
    assert run.info.status == "FAILED" and run.data.tags["investigate.export"] == "failed"

    monkeypatch.setattr(MlflowClient, "log_batch", real)
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("exported 1 run(s) (1 redone after an interrupted export), 0 already")
    (run,) = only_run(uri, root.name)  # the broken one deleted, one complete run
    assert run.info.status == "FINISHED" and len(run.data.metrics) == 6
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("exported 0 run(s), 1 already there")


def test_a_run_left_running_by_a_killed_export_is_redone(make_ws, tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    root, uri = odd_ws(make_ws), store_uri(tmp_path, monkeypatch)
    (rec,) = read_records(load_workspace(root), "H-ODD")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment(root.name)
    client.create_run(experiment, tags={"investigate.run_id": rec.run_id})  # what an export killed at once leaves
    assert main(["--workspace", str(root), "export", "mlflow", "--tracking-uri", uri]) == 0
    assert "(1 redone after an interrupted export)" in capsys.readouterr().out
    (run,) = only_run(uri, root.name)
    assert run.info.status == "FINISHED" and run.data.metrics["ok"] == 4.0


def export_fails(root: Path, uri: str, capsys, *extra: str) -> tuple[str, float]:
    capsys.readouterr()
    start = time.monotonic()
    assert main(["--workspace", str(root), "export", "mlflow", "--tracking-uri", uri, *extra]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err, time.monotonic() - start


def test_a_server_that_refuses_or_never_answers_fails_in_seconds(make_ws, capsys) -> None:
    pytest.importorskip("mlflow")
    root = odd_ws(make_ws)
    err, took = export_fails(root, "http://127.0.0.1:9", capsys)
    assert took < 10 and "mlflow (http://127.0.0.1:9)" in err
    with socket.socket() as silent:  # listens, never accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        err, took = export_fails(root, uri, capsys, "--timeout", "1")
    assert took < 15 and f"mlflow ({uri})" in err


def test_stores_that_cannot_work_are_refused_in_one_line(make_ws, tmp_path: Path, capsys) -> None:
    pytest.importorskip("mlflow")
    root = odd_ws(make_ws)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(bytes(range(256)) * 16)
    err, _ = export_fails(root, f"sqlite:///{garbage}", capsys)
    assert err.endswith("is not an SQLite database (it does not start with 'SQLite format 3')")
    (tmp_path / "adir.db").mkdir()
    err, took = export_fails(root, f"sqlite:///{tmp_path / 'adir.db'}", capsys)
    assert err.endswith("adir.db is a directory, not an SQLite database file") and took < 5
    (tmp_path / "afile").write_text("x")
    err, _ = export_fails(root, f"sqlite:///{tmp_path / 'afile' / 'new.db'}", capsys)
    assert "cannot be created:" in err and "afile is a file, not a directory" in err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if _can_create_in(locked):  # root ignores the mode: a directory nobody may write then
            locked = Path("/sys")
        if _can_create_in(locked):
            pytest.skip("no directory here refuses a new file")
        err, _ = export_fails(root, f"sqlite:///{locked / 'new.db'}", capsys)
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert err.endswith(f"cannot be created: the directory {locked} is read-only")
