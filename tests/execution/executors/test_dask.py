"""The Dask executor on a real cluster: a scheduler and two workers as processes of their own.

The same runs as locally give the same records and verdicts; Ctrl-C kills the runs on the workers;
a killed client loses no finished run; and an embedded LocalCluster needs no cluster at all.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate
from investigate.store.lost import OUTCOME, WORKER, find_lost
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.cli.test_processes import GUARDED, cli, wait_for_pids
from tests.conftest import EXPERIMENTS, FIXTURES, hypothesis
from tests.execution.executors.test_local import wait_dead
from tests.execution.test_launch import shadow_ws
from tests.execution.test_runner import CMD_SCRIPT
from tests.plan.test_commandline import build

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, uses prctl")

REPO = Path(__file__).resolve().parents[3]
# Start a program that gets SIGTERM when this test process dies, however it dies (kill -9 too).
DIE_WITH_PYTEST = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGTERM); os.execv(sys.argv[1], sys.argv[1:])"
)
# Timing and where-it-ran fields; all else in a record is the same whichever executor ran it.
VARYING = {"run_id", "run_dir", "started_at", "duration_s", "original_duration_s", "peak_rss_mb", "cpu_s"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler file: `dask scheduler` and two one-thread `dask worker`s on 127.0.0.1."""
    from distributed import Client

    where = tmp_path_factory.mktemp("dask")
    scheduler_file = where / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        log = open(where / f"{name}.log", "wb")  # closed below: the process keeps its own descriptor
        argv = [sys.executable, "-c", DIE_WITH_PYTEST, sys.executable, "-m", "dask", *args]
        procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file), "--idle-timeout", "120")  # fmt: skip
        for i in range(2):
            start(f"worker{i}", "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                  "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "30", "--name", f"w{i}")  # fmt: skip
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield str(scheduler_file)
    finally:
        for proc in procs:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def workspace(root: Path, extra: dict[str, str] | None = None) -> Path:
    """The numpy fixture workspace plus experiments that are ok, NaN, an error, a timeout and a command."""
    shutil.copytree(FIXTURES / "numpy_ws", root, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    files = {
        "exps/__init__.py": "",
        "exps/core.py": EXPERIMENTS,
        "exps/guarded.py": GUARDED,
        "cmd.py": CMD_SCRIPT,
        "hypotheses/H-GROW.yaml": hypothesis("H-GROW", "run: exps.core:grow\nmatrix: {r: [0.5, 2.0]}\nseeds: [0, 1]\n"),
        "hypotheses/H-BOOM.yaml": hypothesis("H-BOOM", "run: exps.core:boom\nparams: {what: config}\n"),
        "hypotheses/H-NAP.yaml": hypothesis("H-NAP", "run: exps.core:nap\ntimeout_s: 1\n"),
        "hypotheses/H-CMD.yaml": hypothesis(
            "H-CMD", 'command: "python cmd.py {run_dir} {seed} {r}"\nmatrix: {r: [0.5, 3]}\n'
        ),
        "hypotheses/H-GUARD.yaml": hypothesis("H-GUARD", "run: exps.guarded:nap_with_grandchild\ntimeout_s: 60\n"),
        "hypotheses/H-CMDFAIL.yaml": hypothesis("H-CMDFAIL", 'command: "python cmd.py {run_dir}"\n'),
        "hypotheses/H-SHORT.yaml": hypothesis("H-SHORT", "run: exps.core:nap\nparams: {sleep: 3}\n"),
        "hypotheses/H-LONG.yaml": hypothesis("H-LONG", "run: exps.core:nap\nseeds: [0, 1]\ntimeout_s: 60\n"),
        **(extra or {}),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def comparable(record: RunRecord) -> dict[str, Any]:
    data = record.model_dump(exclude=VARYING)
    data["provenance"] = {k: v for k, v in data["provenance"].items() if k != "command"}
    return json.loads(json.dumps(data), parse_constant=str)  # NaN == NaN, as text


def by_run(records: list[RunRecord]) -> dict[tuple[str, str, str, int], RunRecord]:
    return {(r.hypothesis, r.arm, json.dumps(r.point, sort_keys=True), r.seed): r for r in records}


def verdicts(root: Path) -> dict[str, str]:
    ws = load_workspace(root)
    latest = latest_records(read_records(ws))
    return {
        h: evaluate(hyp, [r for r in latest if r.hypothesis == h], ws).outcome.value for h, hyp in ws.hypotheses.items()
    }


def test_the_same_runs_give_the_same_records_and_verdicts_as_locally(cluster: str, tmp_path: Path, capsys) -> None:
    root = workspace(tmp_path / "ws")
    ids = ["H-STEP-SIZE", "H-INIT-SCALE", "H-GROW", "H-BOOM", "H-NAP", "H-CMD", "H-CMDFAIL"]
    assert main(["--workspace", str(root), "run", *ids, "--jobs", "2"]) == 4
    local, local_verdicts = by_run(read_records(load_workspace(root))), verdicts(root)
    capsys.readouterr()
    assert main(["--workspace", str(root), "run", *ids, "--force", "--executor", "dask", "--scheduler", cluster]) == 4
    err = capsys.readouterr().err
    assert "24 runs recorded" in err and "3 failed" in err
    everything = read_records(load_workspace(root))
    remote = by_run([r for r in everything if "--executor" in r.provenance["command"]])
    assert remote.keys() == local.keys() and len(remote) == 24
    for key, record in remote.items():
        assert comparable(record) == comparable(local[key]), key
        assert record.provenance["hostname"] == socket.gethostname()  # the worker's, which is this machine
    statuses = sorted(r.status for r in remote.values())
    assert statuses.count("error") == 2 and statuses.count("timeout") == 1  # a raise, a failed command, a nap
    assert remote[("H-GROW", "default", '{"r": 2.0}', 0)].metrics["has_nan"] is True
    assert verdicts(root) == local_verdicts
    assert local_verdicts["H-STEP-SIZE"] == "fixed"
    run_dirs = [root / r.run_dir for r in remote.values()]
    assert not [p for d in run_dirs for p in d.iterdir() if p.name.startswith("_")]  # no marker or guard file left


def test_ctrl_c_kills_the_runs_on_the_workers_and_records_them_interrupted(
    cluster: str, tmp_path: Path, capsys
) -> None:
    root = workspace(tmp_path / "ws")
    # three runs, two workers: one waits in a queue
    proc = cli(root, "run", "H-GUARD", "H-LONG", "--executor", "dask", "--scheduler", cluster, "--jobs", "3")
    pids = wait_for_pids(root, proc)
    capsys.readouterr()
    assert main(["--workspace", str(root), "status"]) == 0
    assert "in flight: 3 runs (" in capsys.readouterr().out
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert wait_dead(pids["run"]) and wait_dead(pids["grandchild"])
    recs = {(r.hypothesis, r.seed): r for r in read_records(load_workspace(root))}
    assert sorted(recs) == [("H-GUARD", 0), ("H-LONG", 0), ("H-LONG", 1)]
    assert {r.status for r in recs.values()} == {"interrupted"}
    assert recs[("H-GUARD", 0)].error == "interrupted by Ctrl-C (SIGINT)"
    assert recs[("H-GUARD", 0)].provenance["hostname"] == socket.gethostname()
    assert "interrupted: 3 of 3 runs recorded" in err


def test_a_killed_client_loses_no_finished_run(cluster: str, tmp_path: Path, capsys) -> None:
    root = workspace(tmp_path / "ws")
    proc = cli(root, "run", "H-GUARD", "H-SHORT", "--executor", "dask", "--scheduler", cluster)
    pids = wait_for_pids(root, proc)
    (short,) = (root / "reports").glob("*/H-SHORT/all/default-seed0")
    proc.send_signal(signal.SIGSTOP)  # frozen: it cannot record what finishes now
    deadline = time.monotonic() + 30
    while not (short / OUTCOME).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (short / OUTCOME).exists() and not (short / "run.json").exists()
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_dead(pids["run"]) and wait_dead(pids["grandchild"])  # the scheduler dropped its tasks
    (lost_guard,) = [r for r in find_lost(load_workspace(root)) if r.hypothesis == "H-GUARD"]
    capsys.readouterr()
    assert main(["--workspace", str(root), "run", "H-SHORT", "--executor", "dask", "--scheduler", cluster]) == 0
    err = capsys.readouterr().err
    assert "recorded 1 run(s) that finished after their investigate process died" in err
    assert "cached" in err
    ws = load_workspace(root)
    # the recovered record is the run's own, so the cache hit needs no pointer record of its own
    (recovered,) = read_records(ws, "H-SHORT")
    assert recovered.status == "ok" and recovered.metrics == {"slept": True} and recovered.run_dir == ws.relative(short)
    assert recovered.provenance["command"][-4:] == ["--executor", "dask", "--scheduler", cluster]
    assert recovered.reused_from is None
    assert [r.run_dir for r in find_lost(ws)] == [lost_guard.run_dir]  # stopped by its guard: still lost
    assert json.loads((root / lost_guard.run_dir / OUTCOME).read_text())["kind"] == "cancelled"


def test_an_embedded_local_cluster_from_the_workspace_setting(tmp_path: Path, capsys) -> None:
    root = workspace(tmp_path / "ws")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'executor = "dask"\n')
    assert main(["--workspace", str(root), "run", "H-GROW", "H-BOOM", "--jobs", "2"]) == 4
    recs = read_records(load_workspace(root))
    assert sorted(r.status for r in recs) == ["error", "ok", "ok", "ok", "ok"]
    assert all(r.provenance["hostname"] == socket.gethostname() for r in recs)
    assert not list((root / "reports").glob("*/*/*/*/" + WORKER))
    assert "5 runs recorded" in capsys.readouterr().err


def test_isolate_runs_its_rounds_on_the_cluster(cluster: str, make_ws, capsys) -> None:
    import yaml

    from tests.cli.test_isolate import BAD_ONE, GOOD, NO_NAN, TOY

    root = make_ws(
        {
            "toy.py": TOY,
            "good.yaml": yaml.safe_dump(GOOD, sort_keys=False),
            "bad.yaml": yaml.safe_dump(BAD_ONE, sort_keys=False),
        }
    )
    argv = ["--workspace", str(root), "isolate", "--entry", "toy:descend", "--good", "good.yaml", "--bad", "bad.yaml"]
    assert main([*argv, "--test", NO_NAN, "--json", "--executor", "dask", "--scheduler", cluster]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["key"] for c in data["culprits"]] == ["optim.lr"] and data["minimal"] is True
    assert data["executed"] == data["runs"] > 2
    recs = read_records(load_workspace(root))
    assert len(recs) == data["runs"] and all(r.provenance["hostname"] == socket.gethostname() for r in recs)


def test_a_workspace_package_named_like_ours_runs_on_the_workers(cluster: str, make_ws) -> None:
    # the workers' PYTHONPATH holds this repository (its own ptycho): the workspace root still comes first
    root = shadow_ws(make_ws, own=True)
    assert main(["--workspace", str(root), "run", "H-WHERE", "--executor", "dask", "--scheduler", cluster]) == 0
    (rec,) = read_records(load_workspace(root), "H-WHERE")
    assert rec.metrics["origin"] == "workspace" and Path(rec.metrics["first"]).resolve() == root.resolve()
    assert rec.metrics["package_env"] is False


def test_python_env_and_cwd_apply_on_the_worker_as_locally(cluster: str, make_ws) -> None:
    exp = "run: exps.which:which\npython: ./interp.sh\ncwd: run\nenv: {MODE: fast}\n"
    root = build(make_ws, **{"H-WHICH": exp, "H-CMDENV": 'command: "sh args.sh {run_dir}"\nenv: {GREETING: hi}\n'})
    assert main(["--workspace", str(root), "run", "H-WHICH", "H-CMDENV"]) == 0
    assert main(["--workspace", str(root), "run", "H-WHICH", "H-CMDENV", "--force", "--executor", "dask",
                 "--scheduler", cluster]) == 0  # fmt: skip
    ws = load_workspace(root)
    for hid in ("H-WHICH", "H-CMDENV"):
        local, remote = read_records(ws, hid)
        assert "--executor" in remote.provenance["command"] and remote.key_parts == local.key_parts
        metrics = {k: v for k, v in remote.metrics.items() if k != "cwd"}
        assert metrics == {k: v for k, v in local.metrics.items() if k != "cwd"}
        assert Path(remote.metrics["cwd"]).resolve() == (root / remote.run_dir).resolve() or hid == "H-CMDENV"
    which = read_records(ws, "H-WHICH")[-1].metrics
    assert (which["wrapped"], which["mode"]) == ("yes", "fast")
    assert read_records(ws, "H-CMDENV")[-1].metrics["greeting"] == "hi"


def test_an_interpreter_other_than_the_planned_one_is_refused_on_the_worker(
    cluster: str, make_ws, monkeypatch, capsys
) -> None:
    # the client sees another python than the workers do (as when a venv differs between machines)
    monkeypatch.setattr(
        "investigate.plan.interpreter.probe", lambda python, env, child: {"version": "3.99.0", "packages": "0" * 64}
    )
    root = build(make_ws, **{"H-WHICH": "run: exps.which:which\npython: ./interp.sh\n"})
    assert main(["--workspace", str(root), "run", "H-WHICH", "--executor", "dask", "--scheduler", cluster]) == 4
    (rec,) = read_records(load_workspace(root), "H-WHICH")
    assert rec.status == "error" and rec.metrics == {}
    assert "experiment.python" in rec.error and "planned with (Python 3.99.0)" in rec.error
    assert not (root / rec.run_dir / "_result.json").exists()  # nothing ran under the wrong interpreter


def test_an_unreachable_scheduler_is_a_user_error(make_ws, monkeypatch, capsys) -> None:
    monkeypatch.setattr("investigate.execution.executors.dask.CONNECT_S", 1)
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-A.yaml": hypothesis("H-A", "run: exps.core:noop\n"),
        }
    )
    assert main(["--workspace", str(root), "run", "H-A", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_an_embedded_cluster_starts_no_more_workers_than_runs(make_ws, monkeypatch, capsys) -> None:
    from investigate.execution.executors import dask as dask_executor

    started: list[int] = []
    real = dask_executor._connect

    def counting(address, workers):
        client, cluster = real(address, workers)
        started.append(len(cluster.workers))
        return client, cluster

    monkeypatch.setattr(dask_executor, "_connect", counting)
    root = make_ws({"exps/__init__.py": "", "exps/core.py": EXPERIMENTS,
                    "hypotheses/H-A.yaml": hypothesis("H-A", "run: exps.core:noop\nseeds: [0, 1]\n")})  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-A", "--executor", "dask", "--jobs", "12"]) == 0
    assert started == [2]  # two runs, two worker processes (not twelve)
    assert main(["--workspace", str(root), "run", "H-A", "--executor", "dask", "--jobs", "12"]) == 0
    assert started == [2]  # every run a cache hit: no cluster at all
