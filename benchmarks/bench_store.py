"""Measure ``status`` and ``list`` over a large generated workspace, cold and warm, and print JSON.

The workspace (default 10,000 hypotheses in 100 initiatives, 10 run records each = 100,000
``run.json`` files, a tenth of the keys with a newer timeout over an ok run) is generated once in a
temporary directory. Every timing is a fresh ``python -m investigate`` process:

- cold: the cache (``reports/.index.sqlite``, which also holds the parsed YAML) is deleted first,
  so the process parses every YAML file and every ``run.json`` and rebuilds it;
- warm: the caches from the previous process are in place.

The OS page cache is warm in both cases. With ``--drop-page-cache`` (root only: it writes
/proc/sys/vm/drop_caches, and slows everything else on the machine for a while) a third timing,
``os_cold``, runs with the index in place after the kernel dropped its page, inode and directory
caches: the first command after a reboot, dominated by the disk.

Wall time depends on what else the machine runs; CPU time (user + system of the process) much
less, so both are printed, along with the load average.

Usage: python benchmarks/bench_store.py [--hypotheses N] [--runs-per-hypothesis K] [--repeat R]
       [--keep DIR]   (generate into DIR, or reuse DIR if it was generated before)
       [--drop-page-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = '[tool.investigate]\nhypotheses = "hypotheses"\nplans = "plans"\nreports = "reports"\n'
SCENARIOS = ("gs1_ideal", "gs1_custom", "gs2_ideal", "gs2_custom", "dose")
ARMS = ("stale", "synced")
STAMPS = ("2026-01-01T000000Z", "2026-01-02T000000Z")
PER_INITIATIVE = 100
CACHE_FILES = ("reports/.index.sqlite",)  # record files, directory listings, summaries and parsed YAML


def hypothesis_yaml(hid: str, initiative: str) -> str:
    return f"""id: {hid}
title: Generated hypothesis {hid}
initiative: {initiative}
statement: >
  A generated statement long enough to look like a real one, about stale configuration values
  reaching the loader before the training handoff.
prediction: >
  Syncing removes the NaNs in every scenario; leaving it stale reproduces them.
experiment:
  run: bexp.e:noop
  params: {{profile: quick, lr: 0.001}}
  matrix: {{scenario: [{", ".join(SCENARIOS)}]}}
  arms:
    stale: {{sync: false}}
    synced: {{sync: true}}
  seeds: [0]
verdict:
  confirmed:
    all:
      - {{arm: synced, metric: has_nan, equals: false, over: all}}
      - {{arm: stale, metric: has_nan, equals: true, over: any}}
  ruled_out:
    any:
      - {{arm: synced, metric: has_nan, equals: true, over: any}}
      - {{arm: stale, metric: loss, lt: 0.5, over: mean}}
"""


def initiative_yaml(ini: str, hyps: list[str]) -> str:
    nodes = "".join(
        f"    n{i}:\n      question: Q{i}?\n      hypothesis: {h}\n"
        + (f"      ruled_out: n{i + 1}\n" if i + 1 < min(len(hyps), 5) else "")
        for i, h in enumerate(hyps[:5])
    )
    return f"id: {ini}\ntitle: Generated initiative\nhypotheses: [{', '.join(hyps)}]\ndecision_tree:\n  start: n0\n  nodes:\n{nodes}"


def record(hid: str, stamp: str, scenario: str, arm: str, k: int, status: str) -> dict[str, object]:
    slug = f"scenario={scenario}"
    diverged = arm == "stale" and k % 3 == 0
    return {
        "run_id": f"{stamp}/{hid}/{slug}/{arm}-seed0",
        "hypothesis": hid,
        "entry": "bexp.e:noop",
        "arm": arm,
        "point": {"scenario": scenario},
        "seed": 0,
        "params": {"profile": "quick", "lr": 0.001, "sync": arm == "synced", "scenario": scenario},
        "status": status,
        "metrics": {} if status != "ok" else {"has_nan": diverged, "loss": float("nan") if diverged else 0.1 * k},
        "artifacts": ["history.json", "metrics.json"] if status == "ok" else [],
        "error": None if status == "ok" else "timed out after 900 s",
        "started_at": f"{stamp[:10]}T00:00:{k:02d}.000000+00:00",
        "duration_s": 12.5,
        "cache_key": f"{hid}-{scenario}-{arm}",
        "reused_from": None,
        "original_duration_s": None,
        "provenance": {
            "git_commit": "0" * 40,
            "git_dirty": False,
            "git_diff_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "versions": {"python": "3.11.7", "numpy": "1.26.4", "pydantic": "2.8.2"},
            "hostname": "bench",
            "command": ["investigate", "run", hid],
        },
    }


def generate(root: Path, n_hyp: int, per_hyp: int) -> int:
    """Write the workspace; returns the number of run records."""
    (root / "hypotheses").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    ids = [f"H-GEN-{i:05d}" for i in range(n_hyp)]
    for start in range(0, n_hyp, PER_INITIATIVE):
        ini = f"GEN-{start // PER_INITIATIVE:03d}"
        chunk = ids[start : start + PER_INITIATIVE]
        (root / "plans" / ini).mkdir(parents=True)
        (root / "plans" / ini / "initiative.yaml").write_text(initiative_yaml(ini, chunk))
        for hid in chunk:
            (root / "hypotheses" / f"{hid}.yaml").write_text(hypothesis_yaml(hid, ini))
    keys = [(s, a) for a in ARMS for s in SCENARIOS]
    count = 0
    for h, hid in enumerate(ids):
        for k in range(per_hyp):
            # Past the first pass over the keys, and for the last run of one hypothesis in ten, a
            # newer stamp re-runs an earlier key and times out: a --force re-run over an ok run.
            newer = k >= len(keys) or (h % 10 == 0 and k == per_hyp - 1)
            scenario, arm = keys[(0 if newer else k) % len(keys)]
            stamp = STAMPS[1] if newer else STAMPS[0]
            status = "timeout" if newer else ("error" if k == 7 and h % 4 == 0 else "ok")
            run_dir = root / "reports" / stamp / hid / f"scenario={scenario}" / f"{arm}-seed0"
            if run_dir.exists():
                run_dir = run_dir.with_name(f"{arm}-seed0-{k}")
            run_dir.mkdir(parents=True)
            data = record(hid, stamp, scenario, arm, k, status)
            (run_dir / "run.json").write_text(json.dumps(data, indent=2, allow_nan=True))
            count += 1
    return count


def clear_caches(root: Path) -> None:
    for name in CACHE_FILES:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(root / name) + suffix).unlink(missing_ok=True)


def child_env() -> dict[str, str]:
    """The environment of the timed processes: this checkout first on the path, and its bytecode
    cached as any installed copy's is (where PYTHONDONTWRITEBYTECODE is set, every call would
    compile the modules that have none again: about 0.05 s more per call)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO)}


def timed(root: Path, command: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh ``investigate COMMAND`` process."""
    env = child_env()
    argv = [sys.executable, "-m", "investigate", "--workspace", str(root), command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command} exited {done.returncode}: {done.stderr[-500:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(wall, 3), round(cpu, 3)


def drop_page_cache() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def measure(root: Path, repeat: int, os_cold: bool) -> dict[str, object]:
    """Per command: cold (caches deleted) then warm, ``repeat`` times; wall and CPU seconds. The
    OS-cold runs come last: a dropped page cache would slow the cold runs after it (they read every
    file, the OS-cold run only stats them)."""
    out: dict[str, object] = {}
    timings: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for command in ("status", "list"):
        runs = timings[command] = {"cold": [], "warm": []}
        for _ in range(repeat):
            clear_caches(root)
            runs["cold"].append(timed(root, command))
            runs["warm"].append(timed(root, command))
    for command in ("status", "list") if os_cold else ():
        for _ in range(repeat):
            timed(root, command)  # the index in place
            drop_page_cache()
            timings[command].setdefault("os_cold", []).append(timed(root, command))
    for command, runs in timings.items():
        row: dict[str, object] = {}
        for kind, pairs in runs.items():
            row[f"{kind}_wall_s"] = [w for w, _ in pairs]
            row[f"{kind}_cpu_s"] = [c for _, c in pairs]
            row[f"{kind}_best_s"] = min(w for w, _ in pairs)
        out[command] = row
    return out


def cpu_reference() -> float:
    """Seconds of a fixed pure-Python loop: how fast this machine is right now (a shared host's
    speed drifts by a quarter within an hour), to compare timings taken at different times."""
    t0 = time.process_time()
    sum(i * i for i in range(10_000_000))
    return round(time.process_time() - t0, 3)


def startup(repeat: int) -> float:
    """A bare ``investigate --version``: the interpreter and import cost every command pays."""
    env = child_env()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "investigate", "--version"], capture_output=True, env=env, check=True)
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypotheses", type=int, default=10_000)
    parser.add_argument("--runs-per-hypothesis", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2, help="cold/warm pairs per command")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    parser.add_argument(
        "--drop-page-cache", action="store_true", help="also time a run after dropping the OS caches (root only)"
    )
    args = parser.parse_args()
    tmp = None
    if args.keep is None:
        tmp = tempfile.mkdtemp(prefix="bench_store_")
        root = Path(tmp) / "ws"
    else:
        root = args.keep.resolve()
    try:
        results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
        results["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
        if (root / "pyproject.toml").exists():
            records = sum(1 for _ in (root / "reports").glob("*/*/*/*/run.json"))
            results["generate_s"] = None
        else:
            t0 = time.perf_counter()
            records = generate(root, args.hypotheses, args.runs_per_hypothesis)
            results["generate_s"] = round(time.perf_counter() - t0, 1)
        results["hypotheses"] = sum(1 for _ in (root / "hypotheses").glob("*.yaml"))
        results["records"] = records
        results["cpu_reference_s"] = cpu_reference()
        results["startup_s"] = startup(3)
        timings = measure(root, args.repeat, args.drop_page_cache)
        results.update(timings)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        results["cpu_reference_after_s"] = cpu_reference()
        results["targets"] = {
            f"{command}_{kind}": timings[command][f"{kind}_best_s"] <= limit  # type: ignore[index]
            for command in ("status", "list")
            for kind, limit in (("warm", 1.0), ("cold", 5.0))
        }
        print(json.dumps(results, indent=2))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
