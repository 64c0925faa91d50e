"""Real ``python -m investigate`` processes: two at once, and Ctrl-C / SIGTERM in the middle of a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from investigate.store import read_records
from investigate.workspace import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis

REPO = Path(__file__).resolve().parents[1]


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
    assert len([p for p in (root / "reports").iterdir() if p.is_dir()]) == 2  # one stamp each; the index is a file


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
    assert ("H-SLOW", 1) not in recs  # never started, so nothing to record
    assert "interrupted: 3 of 4 runs recorded" in err
