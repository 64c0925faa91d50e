"""The guard inside a run's process: it dies with its parent, by prctl on Linux or by the watchdog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.execution.executors.test_local import wait_dead

REPO = Path(__file__).resolve().parents[2]

# The run: guards itself (with prctl disabled when asked, so the watchdog must act), then naps.
RUN = """
import sys, time
import investigate.execution.procguard as guard
if sys.argv[1] == "watchdog":
    guard._set_parent_death_signal = lambda signum: False
guard.die_with_parent()
time.sleep(60)
"""

# Its parent: starts the run in a group of its own, says the run's pid, and exits at once.
PARENT = """
import os, subprocess, sys
env = {**os.environ, "INVESTIGATE_PARENT_PID": str(os.getpid())}
run = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], env=env, start_new_session=True)
print(run.pid, flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("mode", ["prctl", "watchdog"])
def test_a_run_dies_when_its_parent_does(mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", PARENT, RUN, mode], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert wait_dead(int(done.stdout.strip()))


# A daemon the usual way: fork, setsid, fork again, the middle one exits; its pid in a file.
DAEMON_PY = """
import os, sys, time


def start_daemon(pidfile):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(pidfile + ".tmp", "w") as out:
                out.write(str(os.getpid()))
            os.replace(pidfile + ".tmp", pidfile)
            time.sleep(120)
        os._exit(0)
    while not os.path.exists(pidfile):
        time.sleep(0.01)
    return int(open(pidfile).read())


def leaves(params, ctx):
    start_daemon(str(ctx.run_dir / "daemon.pid"))
    return {"ok": True}


def hangs(params, ctx):
    start_daemon(str(ctx.run_dir / "daemon.pid"))
    time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_CHILD_SUBREAPER, /proc")
@pytest.mark.parametrize("entry", ["leaves", "hangs", "command"])
def test_a_setsid_daemon_started_by_a_run_dies_with_it(make_ws, entry: str) -> None:
    from investigate.cli.main import main
    from investigate.store.records import read_records
    from investigate.workspace.load import load_workspace
    from tests.conftest import hypothesis

    experiment = {
        "leaves": "run: exps.daemon:leaves",
        "hangs": "run: exps.daemon:hangs\ntimeout_s: 3",
        "command": 'command: sh -c "setsid sleep 120 & echo $! > {run_dir}/daemon.pid; echo {{}} > {run_dir}/metrics.json"',
    }[entry]
    root = make_ws({"exps/__init__.py": "", "exps/daemon.py": DAEMON_PY,
                    "hypotheses/H-D.yaml": hypothesis("H-D", experiment)})  # fmt: skip
    main(["--workspace", str(root), "run", "H-D"])
    (rec,) = read_records(load_workspace(root), "H-D")
    assert rec.status == ("timeout" if entry == "hangs" else "ok"), rec.error
    pid = int((root / rec.run_dir / "daemon.pid").read_text())
    assert wait_dead(pid) and not alive(pid)
