"""Time pages of ``investigate serve`` over the 100,000-record benchmark store and print JSON.

The store is the one ``bench_store.py`` generates (10,000 hypotheses x 10 records; reused with
``--keep DIR``). A real server (uvicorn on 127.0.0.1, a free port, its own process group) is
started once; each page is then fetched ``--repeat`` times over HTTP and the wall time of each
fetch (request to last byte) is reported. The goal is at most 0.5 s a page of the runs list.

Pages: the runs of one hypothesis; the first, 10th and 100th page of all runs (50 a page; pages
read the hypotheses in id order until full, so a deep page reads every hypothesis before it); all
runs filtered by status; one hypothesis; one run.

Usage: python benchmarks/bench_ui.py [--hypotheses N] [--runs-per-hypothesis K] [--repeat R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import REPO, child_env, generate  # the sibling benchmark's store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        body = response.read()
        status = response.status
    return time.perf_counter() - t0, status, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypotheses", type=int, default=10_000)
    parser.add_argument("--runs-per-hypothesis", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_ui_") if args.keep is None else None
    root = Path(tmp) / "ws" if tmp else args.keep.resolve()
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    proc = None
    try:
        if not (root / "pyproject.toml").exists():
            t0 = time.perf_counter()
            results["records"] = generate(root, args.hypotheses, args.runs_per_hypothesis)
            results["generate_s"] = round(time.perf_counter() - t0, 1)
        else:
            results["records"] = sum(1 for _ in (root / "reports").glob("*/*/*/*/run.json"))
        results["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "investigate", "--workspace", str(root), "serve", "--port", str(port)],
            env=child_env(REPO),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"serve exited {proc.returncode}") from None
                time.sleep(0.2)
        results["server_start_s"] = round(time.perf_counter() - t0, 2)
        base = f"http://127.0.0.1:{port}"
        hyp = f"H-GEN-{args.hypotheses // 2:05d}"
        run_id = f"2026-01-01T000000Z/{hyp}/scenario=gs1_ideal/stale-seed0"
        pages = {
            "runs_of_one_hypothesis": f"/runs?hypothesis={hyp}",
            "all_runs_page_1": "/runs",
            "all_runs_page_10": "/runs?page=10",
            "all_runs_page_100": "/runs?page=100",
            "all_runs_status_timeout_page_1": "/runs?status=timeout",
            "hypothesis_page": f"/hypothesis/{hyp}",
            "run_page": f"/run/{run_id}",
        }
        timings: dict[str, object] = {}
        for name, path in pages.items():
            walls = []
            for _ in range(args.repeat):
                wall, status, size = fetch(base + path)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}")
                walls.append(wall)
            timings[name] = {
                "path": path,
                "median_s": round(statistics.median(walls), 4),
                "best_s": round(min(walls), 4),
                "worst_s": round(max(walls), 4),
                "bytes": size,
            }
        results["pages"] = timings
        results["goal_s"] = 0.5
        results["within_goal"] = {
            name: t["median_s"] <= 0.5  # type: ignore[index]
            for name, t in timings.items()
            if name.startswith(("runs_", "all_runs"))
        }
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(results, indent=2))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
