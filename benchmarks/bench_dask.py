"""Measure the Dask executor against the local one on this machine and print JSON.

1. sweep: ``--runs`` runs (default 100) of a ``--seconds`` experiment (a sleep: executor overhead,
   not CPU contention), through ``investigate run --force``: local ``--jobs 2``; Dask on a running
   cluster of two one-thread workers (``--scheduler``); Dask on an embedded LocalCluster of two
   workers (its start and stop included). Wall time, overhead ratio to local (goal <= 1.1),
   time to the first result line, overhead per run once results flow.
2. noop: ``--noop-runs`` runs that return at once, local and on the running cluster: a worker's
   time per run once results flow (start-up excluded), and the client's serial work per run
   (marker, lock, submit; gathering the result, writing the record), timed in this process.
3. scheduler: ``--tasks`` no-op Dask tasks on the same cluster: scheduler time per task
   (submit all, wait for all) and the time to a first result.
4. extrapolation: a 1,000-run sweep on 50 workers from the measured parts:
   ``startup + max(1000 * (client + scheduler), 1000 / 50 * (T_run + overhead per run))``.

Each of 1-3 is measured ``--repeat`` times (the machine may be loaded by other work).

Usage: python benchmarks/bench_dask.py [--runs 100] [--seconds 1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EXPERIMENT = """
import time


def nap(params, ctx):
    time.sleep(params["seconds"])
    return {"slept": params["seconds"]}


def noop(params, ctx):
    return {}
"""


def workspace(root: Path, runs: int, seconds: float, noop_runs: int) -> Path:
    (root / "exps").mkdir(parents=True)
    (root / "hypotheses").mkdir()
    (root / "pyproject.toml").write_text("[tool.investigate]\n")
    (root / "exps" / "__init__.py").write_text("")
    (root / "exps" / "bench.py").write_text(EXPERIMENT)
    head = "title: t\nstatement: s\nprediction: p\nexperiment:\n"
    (root / "hypotheses" / "H-SWEEP.yaml").write_text(
        f"id: H-SWEEP\n{head}  run: exps.bench:nap\n  params: {{seconds: {seconds}}}\n"
        f"  seeds: {list(range(runs))}\n  timeout_s: 600\n"
    )
    (root / "hypotheses" / "H-NOOP.yaml").write_text(
        f"id: H-NOOP\n{head}  run: exps.bench:noop\n  seeds: {list(range(noop_runs))}\n"
    )
    return root


class Cluster:
    """``dask scheduler`` and two ``dask worker --nthreads 1`` on 127.0.0.1, stopped by ``close``."""

    def __init__(self, where: Path) -> None:
        self.file = where / "scheduler.json"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        common = ["--no-dashboard", "--host", "127.0.0.1"]
        self.procs = [self._start(env, "scheduler", "--port", "0", "--scheduler-file", str(self.file), *common)]
        worker = ["worker", "--scheduler-file", str(self.file), "--nthreads", "1", "--death-timeout", "30", *common]
        self.procs += [self._start(env, *worker) for _ in range(2)]
        from distributed import Client

        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with Client(scheduler_file=str(self.file), timeout=60) as client:
            client.wait_for_workers(2, timeout=60)

    @staticmethod
    def _start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "dask", *args]
        return subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def close(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()


def invocation(root: Path, hyp: str, *extra: str) -> dict[str, Any]:
    """One ``investigate run`` subprocess: wall time, time to the first result line, the client's CPU."""
    argv = [sys.executable, "-m", "investigate", "--workspace", str(root), "run", hyp, "--force", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = None
    for line in proc.stderr:
        if first is None and line.startswith("[1/"):
            first = time.monotonic() - t0
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}")
    records = [json.loads(p.read_text()) for p in sorted((root / "reports").glob(f"*/{hyp}/*/*/run.json"))]
    newest = max(p.parts[-5] for p in (root / "reports").glob(f"*/{hyp}/*/*/run.json"))
    own = [r for r in records if r["run_id"].startswith(newest + "/")]
    return {
        "wall_s": round(wall, 3),
        "first_result_s": round(first, 3) if first is not None else None,
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 3),  # with its children that it waited for
        "runs": len(own),
        "mean_run_duration_s": round(statistics.fmean(r["duration_s"] for r in own), 4),
    }


def cycle(measured: dict[str, Any], n: int, workers: int = 2) -> float:
    """Seconds a worker spends per run once results flow: the runs after the first ``workers``
    ones fill ``wall - first result``, so start-up (imports, connecting, a LocalCluster) is left out."""
    return (measured["wall_s"] - measured["first_result_s"]) * workers / (n - workers)


def sweep(root: Path, cluster: Cluster, runs: int, seconds: float) -> dict[str, Any]:
    local = invocation(root, "H-SWEEP", "--jobs", "2")
    remote = invocation(root, "H-SWEEP", "--executor", "dask", "--scheduler", str(cluster.file), "--jobs", "2")
    embedded = invocation(root, "H-SWEEP", "--executor", "dask", "--jobs", "2")
    out: dict[str, Any] = {"ideal_s": runs * seconds / 2}
    for name, measured in (
        ("local_jobs2", local),
        ("dask_running_cluster", remote),
        ("dask_embedded_localcluster", embedded),
    ):
        out[name] = {**measured, "overhead_per_run_s": round(cycle(measured, runs) - seconds, 4)}
        if measured is not local:
            out[name]["ratio_to_local"] = round(measured["wall_s"] / local["wall_s"], 3)
    return out


def noop(root: Path, cluster: Cluster, n: int) -> dict[str, Any]:
    local = invocation(root, "H-NOOP", "--jobs", "2")
    remote = invocation(root, "H-NOOP", "--executor", "dask", "--scheduler", str(cluster.file), "--jobs", "2")
    local["worker_time_per_run_s"] = round(cycle(local, n), 4)
    remote["worker_time_per_run_s"] = round(cycle(remote, n), 4)
    return {
        "runs": n,
        "local_jobs2": local,
        "dask_running_cluster": remote,
        "dask_minus_local_per_run_s": round(remote["worker_time_per_run_s"] - local["worker_time_per_run_s"], 4),
        "client_serial_per_run_s": client_cost(root, cluster),
    }


def client_cost(root: Path, cluster: Cluster) -> dict[str, float]:
    """The client's serial work per run (marker, lock, submit; result, record), timed in this process."""
    import contextlib
    import io

    from investigate.execution.executors.dask import DaskExecutor, DaskSession
    from investigate.execution.runner import Runner
    from investigate.plan.expand import Filters, expand
    from investigate.workspace.load import load_workspace

    spent = {"start": 0.0, "poll_with_results": 0.0, "finish": 0.0}

    def timed(cls: Any, name: str, key: str, only_with_results: bool = False) -> None:
        real = getattr(cls, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            out = real(*args, **kwargs)
            if not only_with_results or out:
                spent[key] += time.perf_counter() - t0
            return out

        setattr(cls, name, wrapper)

    ws = load_workspace(root)
    runs = expand(ws, ws.hypothesis("H-NOOP"), Filters())
    timed(Runner, "_start", "start")
    timed(Runner, "_finish", "finish")
    timed(DaskExecutor, "poll", "poll_with_results", only_with_results=True)
    session = DaskSession(str(cluster.file), 2)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            summary = Runner(ws, ["bench"], jobs=2, force=True, executor=DaskExecutor(session, 2)).run_all(runs)
    finally:
        session.close()
    n = len(summary.records)
    per_run = {k: round(v / n, 5) for k, v in spent.items()}
    return {**per_run, "total": round(sum(spent.values()) / n, 5)}


def _nothing(i: int) -> int:
    return i


def scheduler(cluster: Cluster, tasks: int) -> dict[str, Any]:
    from distributed import Client, wait

    with Client(scheduler_file=str(cluster.file), timeout=60) as client:
        t0 = time.monotonic()
        client.submit(_nothing, -1, pure=False).result()
        first = time.monotonic() - t0
        t0 = time.monotonic()
        wait(client.map(_nothing, range(tasks), pure=False))
        total = time.monotonic() - t0
    return {
        "tasks": tasks,
        "wall_s": round(total, 3),
        "per_task_s": round(total / tasks, 5),
        "first_result_s": round(first, 4),
    }


def extrapolate(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """1,000 runs on 50 workers, from the median of each measured part.

    The client and the scheduler are serial: at most one run per (client + scheduler) seconds
    (summed, though they are separate processes: an upper bound). The workers are parallel: 50 runs
    per (experiment + overhead per run). Start-up comes once, before the first result.
    """
    med = statistics.median
    client = med(r["noop"]["client_serial_per_run_s"]["total"] for r in results)
    sched = med(r["scheduler"]["per_task_s"] for r in results)
    per_run = med(r["sweep"]["dask_running_cluster"]["overhead_per_run_s"] for r in results)
    first = med(r["sweep"]["dask_running_cluster"]["first_result_s"] - seconds for r in results)
    out: dict[str, Any] = {
        "inputs": {"client_serial_per_run_s": client, "scheduler_per_task_s": sched,
                   "overhead_per_run_on_worker_s": per_run, "startup_to_first_result_s": round(first, 3)},
    }  # fmt: skip
    for run_s in (1.0, 60.0):
        serial = 1000 * (client + sched)
        parallel = 1000 / 50 * (run_s + per_run)
        total = first + max(serial, parallel)
        out[f"experiment_{run_s:g}s"] = {
            "predicted_wall_s": round(total, 1),
            "ideal_s": 1000 / 50 * run_s,
            "bound_by": "client+scheduler" if serial > parallel else "workers",
            "efficiency": round(1000 / 50 * run_s / total, 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--noop-runs", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = workspace(Path(tmp) / "ws", args.runs, args.seconds, args.noop_runs)
        cluster = Cluster(Path(tmp))
        try:
            results = []
            for _ in range(args.repeat):
                results.append({
                    "sweep": sweep(root, cluster, args.runs, args.seconds),
                    "noop": noop(root, cluster, args.noop_runs),
                    "scheduler": scheduler(cluster, args.tasks),
                    "load_1min": round(os.getloadavg()[0], 2),
                })  # fmt: skip
        finally:
            cluster.close()
    report = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "repetitions": results,
        "extrapolation_1000_runs_50_workers": extrapolate(results, args.seconds),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
