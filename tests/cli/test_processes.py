"""Real ``python -m investigate`` processes: two at once, and Ctrl-C / SIGTERM in the middle of a run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.store.lost import find_lost
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis
from tests.execution.executors.test_local import alive, wait_dead

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# A run that reports its own pid and a grandchild's (one that ignores SIGTERM), then naps.
GUARDED = """
import json, os, subprocess, sys, time


def nap_with_grandchild(params, ctx):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    ctx.save_json("pids.json", {"run": os.getpid(), "grandchild": child.pid})
    time.sleep(params.get("sleep", 30))
    return {}


def count(params, ctx):
    with open(params["log"], "a") as log:  # O_APPEND: one whole line per execution
        log.write(f"{params['n']}\\n")
    time.sleep(0.3)
    return {"n": params["n"]}
"""

REPO = Path(__file__).resolve().parents[2]


def cli(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "investigate", "--workspace", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_concurrent_invocations_lose_nothing(make_ws) -> None:
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-GROW.yaml": hypothesis(
                "H-GROW", "run: exps.core:grow\nmatrix: {r: [0.5, 2.0]}\nseeds: [0, 1]\n"
            ),
        }
    )
    procs = [cli(root, "run", "H-GROW", "--force", "--jobs", "2") for _ in range(2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    recs = read_records(load_workspace(root))
    assert len(recs) == 8 and all(r.status == "ok" for r in recs)
    assert len({r.run_dir for r in recs}) == 8
    assert len([p for p in (root / "reports").iterdir() if not p.name.startswith(".")]) == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_records_the_run_in_flight_and_exits_130(make_ws, signum) -> None:
    # noop runs finish first (jobs 1, in order), then the nap is killed mid-run.
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-FAST.yaml": hypothesis("H-FAST", "run: exps.core:noop\nseeds: [0, 1]\n"),
            "hypotheses/H-SLOW.yaml": hypothesis("H-SLOW", "run: exps.core:nap\nseeds: [0, 1]\n"),
        }
    )
    proc = cli(root, "run", "H-FAST", "H-SLOW")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list((root / "reports").glob("*/H-SLOW/all/default-seed0/log.txt")):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    recs = {(r.hypothesis, r.seed): r for r in read_records(load_workspace(root))}
    assert recs[("H-FAST", 0)].status == "ok" and recs[("H-FAST", 1)].status == "ok"
    assert recs[("H-SLOW", 0)].status == "interrupted"
    assert recs[("H-SLOW", 0)].error == ("interrupted by SIGTERM" if signum == signal.SIGTERM else
                                         "interrupted by Ctrl-C (SIGINT)")  # fmt: skip
    assert ("H-SLOW", 1) not in recs  # never started, so nothing to record
    assert "interrupted: 3 of 4 runs recorded" in err


def guarded_ws(make_ws, extra: dict[str, str] | None = None) -> Path:
    return make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "exps/guarded.py": GUARDED,
            "hypotheses/H-FAST.yaml": hypothesis("H-FAST", "run: exps.core:noop\n"),
            "hypotheses/H-GUARD.yaml": hypothesis("H-GUARD", "run: exps.guarded:nap_with_grandchild\ntimeout_s: 60\n"),
            **(extra or {}),
        }
    )


def wait_for_pids(root: Path, proc: subprocess.Popen[str]) -> dict[str, int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        found = list((root / "reports").glob("*/H-GUARD/all/default-seed0/pids.json"))
        if found:
            return {k: int(v) for k, v in json.loads(found[0].read_text()).items()}
        time.sleep(0.05)
    raise AssertionError(f"the run never started: {proc.communicate()[1] if proc.poll() is not None else ''}")


@linux_only
def test_kill_9_takes_the_runs_along_and_the_next_invocation_reports_them_lost(make_ws, capsys) -> None:
    root = guarded_ws(make_ws)
    proc = cli(root, "run", "H-GUARD")
    pids = wait_for_pids(root, proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_dead(pids["run"]) and wait_dead(pids["grandchild"])
    (lost,) = find_lost(load_workspace(root))
    assert lost.hypothesis == "H-GUARD" and lost.pid == proc.pid and lost.run_dir.endswith("all/default-seed0")
    assert main(["--workspace", str(root), "run", "H-FAST"]) == 0
    assert "warning: 1 earlier run(s) started but were never recorded" in capsys.readouterr().err


@linux_only
def test_a_run_in_progress_is_not_lost(make_ws) -> None:
    root = guarded_ws(make_ws)
    proc = cli(root, "run", "H-GUARD")
    pids = wait_for_pids(root, proc)
    try:
        assert find_lost(load_workspace(root)) == []
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert wait_dead(pids["grandchild"])


@linux_only
def test_a_second_ctrl_c_during_shutdown_still_kills_and_records(make_ws) -> None:
    root = guarded_ws(make_ws)
    proc = cli(root, "run", "H-GUARD")
    pids = wait_for_pids(root, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.025)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    (rec,) = read_records(load_workspace(root))
    assert rec.status == "interrupted" and rec.error == "interrupted by Ctrl-C (SIGINT)"
    assert not alive(pids["run"]) and wait_dead(pids["grandchild"])
    assert find_lost(load_workspace(root)) == []


def test_concurrent_invocations_execute_each_cache_key_once(make_ws, tmp_path: Path) -> None:
    log = tmp_path / "executions.txt"
    count = hypothesis("H-COUNT", f"run: exps.guarded:count\nparams: {{log: {log}}}\nmatrix: {{n: [1, 2, 3]}}\n")
    root = guarded_ws(make_ws, {"hypotheses/H-COUNT.yaml": count})
    procs = [cli(root, "run", "H-COUNT", "--jobs", "2") for _ in range(4)]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(log.read_text().split()) == ["1", "2", "3"]
    recs = read_records(load_workspace(root))
    # an invocation that finds a run already recorded under the same hypothesis writes nothing more
    assert all(r.status == "ok" for r in recs) and {r.metrics["n"] for r in recs} == {1, 2, 3}
    assert sorted(r.metrics["n"] for r in recs if r.reused_from is None) == [1, 2, 3]
