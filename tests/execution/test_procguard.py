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
