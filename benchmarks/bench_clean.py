"""Measure ``investigate clean`` over a generated store and print JSON.

The store: 1,000 hypotheses, 5 (arm, seed) runs each, every run recorded twice in two stamps (an
older error, then an ok run): 10,000 records, of which 5,000 are superseded failures.
``clean --dry-run`` plans, ``clean`` removes; both are timed, with what they found.

Usage: python benchmarks/bench_clean.py [--hypotheses N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from investigate.cli.main import main

PYPROJECT = '[tool.investigate]\nhypotheses = "hypotheses"\nplans = "plans"\nreports = "reports"\n'
STAMPS = ("2026-01-01T000000Z", "2026-01-02T000000Z")


def build(root: Path, n_hyp: int) -> int:
    (root / "hypotheses").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    count = 0
    for i in range(n_hyp):
        hid = f"H-B{i:04d}"
        (root / "hypotheses" / f"{hid}.yaml").write_text(
            f"id: {hid}\ntitle: t\nstatement: s\nprediction: p\nexperiment:\n  run: m:f\n"
        )
        for seed in range(5):
            for day, (stamp, status) in enumerate(zip(STAMPS, ("error", "ok"), strict=True)):
                run_dir = root / "reports" / stamp / hid / "all" / f"default-seed{seed}"
                run_dir.mkdir(parents=True)
                record = {
                    "run_id": f"{stamp}/{hid}/all/default-seed{seed}", "hypothesis": hid, "entry": "m:f",
                    "arm": "default", "point": {}, "seed": seed, "params": {}, "status": status,
                    "metrics": {"v": 1} if status == "ok" else {}, "error": None if status == "ok" else "boom",
                    "started_at": f"2026-01-0{day + 1}T00:00:00Z", "duration_s": 1.0, "cache_key": f"k{i}-{seed}",
                }  # fmt: skip
                (run_dir / "run.json").write_text(json.dumps(record))
                (run_dir / "log.txt").write_text("log\n")
                count += 1
    return count


def timed(argv: list[str]) -> tuple[int, float, str]:
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, time.perf_counter() - t0, out.getvalue()


def main_bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hypotheses", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        records = build(root, args.hypotheses)
        code, dry_s, out = timed(["--workspace", str(root), "clean", "--dry-run", "--json"])
        assert code == 0
        planned = json.loads(out)
        code, clean_s, _ = timed(["--workspace", str(root), "clean"])
        assert code == 0
        left = sum(1 for _ in (root / "reports").glob("*/*/*/*/run.json"))
        print(
            json.dumps(
                {
                    "records": records,
                    "dry_run_s": round(dry_s, 3),
                    "clean_s": round(clean_s, 3),
                    "counts": planned["counts"],
                    "bytes": planned["bytes"],
                    "records_left": left,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main_bench()
