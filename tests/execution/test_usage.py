"""Each record's peak memory and CPU time: measured for the run's processes, a command's included."""

from __future__ import annotations

import json

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

HOG = """
import time


def hog(params, ctx):
    block = bytearray(params["mb"] * 1024 * 1024)  # touched: resident, not just reserved
    t0 = time.process_time()
    while time.process_time() - t0 < params["cpu_s"]:
        pass
    return {"size": len(block)}
"""
HOG_SCRIPT = "import sys, json\nb = bytearray(150 * 1024 * 1024)\njson.dump({'n': len(b)}, open(sys.argv[1] + '/metrics.json', 'w'))\n"


def test_peak_memory_and_cpu_time_are_recorded_for_runs_and_commands(make_ws) -> None:
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/hog.py": HOG,
            "hog.py": HOG_SCRIPT,
            "hypotheses/H-HOG.yaml": hypothesis("H-HOG", "run: exps.hog:hog\nparams: {mb: 120, cpu_s: 0.5}\n"),
            "hypotheses/H-CMD.yaml": hypothesis("H-CMD", 'command: "python hog.py {run_dir}"'),
        }
    )
    assert main(["--workspace", str(root), "run", "H-HOG", "H-CMD"]) == 0
    ws = load_workspace(root)
    (run,), (cmd,) = read_records(ws, "H-HOG"), read_records(ws, "H-CMD")
    assert run.peak_rss_mb is not None and run.peak_rss_mb >= 120
    assert run.cpu_s is not None and 0.5 <= run.cpu_s < 30
    assert cmd.peak_rss_mb is not None and cmd.peak_rss_mb >= 150  # the command is a child of the guard
    assert main(["--workspace", str(root), "run", "H-HOG", "--force", "--set", "mb=1"]) == 0
    small = [r for r in read_records(load_workspace(root), "H-HOG") if r.overrides]
    # the run's own memory, not the size of the process that started it (this test process is larger)
    assert small[0].peak_rss_mb is not None and small[0].peak_rss_mb < 60


def test_records_without_the_fields_still_load() -> None:
    old = {"run_id": "r", "hypothesis": "H", "entry": "m:f", "arm": "a", "point": {}, "seed": 0, "params": {},
           "status": "ok", "started_at": "2026-01-01T00:00:00Z", "duration_s": 1.0, "cache_key": "k"}  # fmt: skip
    record = RunRecord.model_validate_json(json.dumps(old))
    assert record.peak_rss_mb is None and record.cpu_s is None and record.overrides is None
