"""docs/api_tour.py, the notebook's plain-script twin, runs on the shipped evidence: it prints the
NETWORK-VALUE-001 runs as a DataFrame of the records' shape and saves a figure that is not blank."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from investigate.store.records import read_records
from investigate.workspace.load import load_workspace

ROOT = Path(__file__).resolve().parents[2]


def test_tour_runs_on_the_shipped_evidence(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "tour.png"
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "api_tour.py"), "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ws = load_workspace(ROOT)
    records = [r for h in ws.initiative("NETWORK-VALUE-001").hypotheses for r in read_records(ws, h)]
    shape = re.search(r"NETWORK-VALUE-001 runs: shape \((\d+), (\d+)\)", done.stdout)
    assert shape is not None, done.stdout
    assert int(shape.group(1)) == len(records) > 0
    metrics = {m for r in records for m in r.metrics}
    assert int(shape.group(2)) > len(metrics)  # a column per metric, plus the run's own fields
    from matplotlib import image

    pixels = image.imread(out)
    assert pixels.shape[0] > 100 and float(np.var(pixels)) > 0.001
