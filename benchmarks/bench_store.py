"""Time every read command over generated stores of two sizes, warm and page-cache cold; print JSON.

Each workspace (default: 100 and 10,000 hypotheses in initiatives of 100, ten run records each,
so 1,000 and 100,000 ``run.json`` files; a tenth of the keys with a newer timeout over an ok run)
is generated once. Every timing is a fresh ``python -m investigate`` process, of the checkout given
by ``--code`` (default: this one), so two versions can be timed on the same stores:

- warm: the index and the OS page cache in place (the best of ``--repeat``);
- os_cold: the index in place, after the kernel dropped its page, inode and directory caches
  (``--drop-page-cache``; root only, writes /proc/sys/vm/drop_caches): a reboot, or a network
  file system, where every stat goes to the disk;
- rebuild: ``status`` with the index deleted (a fresh clone): the store is read from its files.

The commands: status, list --json, show H, tree I, audit H, summary I, compare H, run --dry-run H,
validate (which re-reads every file by design). For each one-hypothesis or one-initiative command
the JSON also gives the ratio of its warm time at the large size to the small one.

Usage: python benchmarks/bench_store.py [--sizes 100,10000] [--repeat R] [--keep DIR]
       [--code CHECKOUT] [--drop-page-cache] [--commands status,show]
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
INDEX_FILES = ("reports/.index.sqlite",)
H, INI = "H-GEN-00000", "GEN-000"
COMMANDS = {
    "status": ["status"],
    "list_json": ["list", "--json"],
    "show_H": ["show", H],
    "tree_I": ["tree", INI],
    "audit_H": ["audit", H],
    "summary_I": ["summary", INI],
    "compare_H": ["compare", H],
    "dry_run_H": ["run", "--dry-run", H],
    "validate": ["validate"],
}
SCOPED = ("show_H", "tree_I", "audit_H", "summary_I", "compare_H", "dry_run_H")
ANSWERS = {"audit_H": (0, 1)}  # audit exits 1 when it has findings: an answer, not a failure


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
    (root / "bexp").mkdir()
    (root / "bexp" / "__init__.py").write_text("")
    (root / "bexp" / "e.py").write_text("def noop(params, ctx):\n    return {}\n")
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


def clear_index(root: Path) -> None:
    for name in INDEX_FILES:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(root / name) + suffix).unlink(missing_ok=True)


def child_env(code: Path) -> dict[str, str]:
    """The timed processes' environment: the checkout being timed first on the path, and its
    bytecode cached as an installed copy's is."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(code)}


def timed(root: Path, code: Path, name: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh ``investigate COMMAND`` process."""
    argv = [sys.executable, "-m", "investigate", "--workspace", str(root), *COMMANDS[name]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # cwd: the workspace, never a checkout (``python -m`` puts the cwd ahead of PYTHONPATH)
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(code), cwd=root, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ANSWERS.get(name, (0,)):
        raise SystemExit(f"{name} exited {done.returncode}: {done.stderr[-800:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(wall, 3), round(cpu, 3)


def drop_page_cache() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def measure(root: Path, code: Path, names: list[str], repeat: int, os_cold: bool) -> dict[str, object]:
    out: dict[str, object] = {}
    clear_index(root)
    out["rebuild_status"] = dict(zip(("wall_s", "cpu_s"), timed(root, code, "status"), strict=True))
    for name in names:
        timed(root, code, name)  # whatever this command caches, in place
        warm = [timed(root, code, name) for _ in range(repeat)]
        row: dict[str, object] = {"warm_s": min(w for w, _ in warm), "warm_cpu_s": min(c for _, c in warm)}
        if os_cold:
            drop_page_cache()
            row["os_cold_s"] = timed(root, code, name)[0]
        out[name] = row
    return out


def cpu_reference() -> float:
    """Seconds of a fixed pure-Python loop: how fast this machine is right now (a shared host's
    speed drifts), to compare timings taken at different times."""
    t0 = time.process_time()
    sum(i * i for i in range(10_000_000))
    return round(time.process_time() - t0, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000", help="hypotheses per store, comma-separated")
    parser.add_argument("--runs-per-hypothesis", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2, help="warm timings per command (the best counts)")
    parser.add_argument("--keep", type=Path, help="generate the stores under (or reuse them from) this directory")
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout whose investigate is timed")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="which of: " + ", ".join(COMMANDS))
    parser.add_argument("--drop-page-cache", action="store_true", help="also time each command OS-cold (root)")
    args = parser.parse_args()
    names = args.commands.split(",")
    base = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench_store_"))
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "code": str(args.code)}
    results["cpu_reference_s"] = cpu_reference()
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            root = base / f"ws{size}"
            generated = None
            if not (root / "pyproject.toml").exists():
                t0 = time.perf_counter()
                generate(root, size, args.runs_per_hypothesis)
                generated = round(time.perf_counter() - t0, 1)
            records = size * args.runs_per_hypothesis
            results[str(records)] = {"hypotheses": size, "generate_s": generated,
                                     **measure(root, args.code, names, args.repeat, args.drop_page_cache)}  # fmt: skip
        sizes = [str(int(s) * args.runs_per_hypothesis) for s in args.sizes.split(",")]
        if len(sizes) == 2:
            small, large = results[sizes[0]], results[sizes[1]]
            assert isinstance(small, dict) and isinstance(large, dict)
            results["scaling_warm"] = {
                n: round(large[n]["warm_s"] / small[n]["warm_s"], 2) for n in SCOPED if n in names
            }
        results["cpu_reference_after_s"] = cpu_reference()
        print(json.dumps(results, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
