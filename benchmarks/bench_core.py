"""Measure the framework's own costs and print JSON.

- overhead per run: a no-op experiment, subprocess included (``--jobs 1``)
- ``list`` / ``status`` over a generated workspace of 1,000 hypotheses and 10,000 run records
- a cached re-run of a 24-run hypothesis whose experiment sleeps 1 s, against its first run

Usage: python benchmarks/bench_core.py [--quick]   (--quick shrinks the sleep experiment)
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
from investigate.store.records import point_slug

PYPROJECT = '[tool.investigate]\nhypotheses = "hypotheses"\nplans = "plans"\nreports = "reports"\n'
EXPERIMENTS = "import time\n\ndef noop(params, ctx):\n    return {}\n\ndef nap(params, ctx):\n    time.sleep(params['sleep'])\n    return {'slept': params['sleep']}\n"


def hyp(hid: str, experiment: str) -> str:
    return f"id: {hid}\ntitle: t\nstatement: s\nprediction: p\nexperiment:\n{experiment}"


def quiet_main(argv: list[str]) -> tuple[int, float]:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, time.perf_counter() - t0


def base_ws(root: Path) -> None:
    (root / "hypotheses").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "bexp").mkdir()
    (root / "bexp" / "__init__.py").write_text("")
    (root / "bexp" / "e.py").write_text(EXPERIMENTS)


def bench_overhead(root: Path, n: int = 10) -> dict:
    base_ws(root)
    (root / "hypotheses" / "H-NOOP.yaml").write_text(hyp("H-NOOP", f"  run: bexp.e:noop\n  seeds: {list(range(n))}\n"))
    code, wall = quiet_main(["--workspace", str(root), "run", "H-NOOP", "--jobs", "1"])
    assert code == 0
    return {"runs": n, "wall_s": round(wall, 3), "per_run_s": round(wall / n, 4)}


def bench_listing(root: Path, n_hyp: int = 1000, per_hyp: int = 10) -> dict:
    base_ws(root)
    stamp = root / "reports" / "2026-01-01T000000Z"
    for i in range(n_hyp):
        hid = f"H-GEN-{i:04d}"
        (root / "hypotheses" / f"{hid}.yaml").write_text(
            hyp(
                hid,
                "  run: bexp.e:noop\n  matrix: {scenario: [a, b, c, d, e]}\n  arms: {stale: {x: 0}, synced: {x: 1}}\n",
            )
        )
        for k in range(per_hyp):
            point = {"scenario": "abcde"[k % 5]}
            arm = ("stale", "synced")[k // 5]
            run_dir = stamp / hid / point_slug(point) / f"{arm}-seed0"
            run_dir.mkdir(parents=True)
            record = {
                "run_id": f"{stamp.name}/{hid}/{point_slug(point)}/{arm}-seed0",
                "hypothesis": hid,
                "entry": "bexp.e:noop",
                "arm": arm,
                "point": point,
                "seed": 0,
                "params": {"x": k // 5, **point},
                "status": "ok" if k % 7 else "error",
                "metrics": {"loss": float("nan") if k == 3 else 0.1 * k, "has_nan": k == 3},
                "artifacts": [],
                "error": None,
                "started_at": f"2026-01-01T00:00:{k:02d}",
                "duration_s": 1.0,
                "cache_key": f"{hid}-{k}",
                "reused_from": None,
                "provenance": {"git_commit": None},
            }
            (run_dir / "run.json").write_text(json.dumps(record, allow_nan=True))
    out = {"hypotheses": n_hyp, "records": n_hyp * per_hyp}
    for command in ("status", "list"):
        code, wall = quiet_main(["--workspace", str(root), command])
        assert code == 0, command
        out[f"{command}_s"] = round(wall, 3)
    return out


def bench_cache(root: Path, sleep_s: float) -> dict:
    base_ws(root)
    experiment = f"  run: bexp.e:nap\n  params: {{sleep: {sleep_s}}}\n  matrix: {{scenario: [a, b, c, d]}}\n  arms: {{stale: {{}}, synced: {{fix: true}}}}\n  seeds: [0, 1, 2]\n"
    (root / "hypotheses" / "H-SLEEP.yaml").write_text(hyp("H-SLEEP", experiment))
    code, first = quiet_main(["--workspace", str(root), "run", "H-SLEEP", "--jobs", "1"])
    assert code == 0
    code, cached = quiet_main(["--workspace", str(root), "run", "H-SLEEP", "--jobs", "1"])
    assert code == 0
    return {
        "runs": 24,
        "sleep_s": sleep_s,
        "first_s": round(first, 3),
        "cached_s": round(cached, 3),
        "speedup": round(first / cached, 1),
    }


def run_all(quick: bool) -> dict:
    results = {"python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        results["overhead_per_run"] = bench_overhead(Path(tmp) / "overhead")
        results["list_status_1000x10"] = bench_listing(Path(tmp) / "listing")
        results["cache_24_runs"] = bench_cache(Path(tmp) / "cache", 0.2 if quick else 1.0)
    results["targets"] = {
        "status_le_1s": results["list_status_1000x10"]["status_s"] <= 1.0,
        "cache_speedup_ge_100": results["cache_24_runs"]["speedup"] >= 100,
    }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s experiment instead of 1 s")
    print(json.dumps(run_all(parser.parse_args().quick), indent=2))
