"""Speed (and, at the reference workload, quality) of the ptycho subject. Prints JSON.

  python benchmarks/bench_ptycho.py [--only scenarios,overhead,reference,refine,profiles] [--seed 0]

scenarios: standard-profile wall time per sim_lines scenario, each in a fresh process (TF
           import included, as an investigation run pays it).
overhead:  median per-epoch time of our training loop (model.fit + callbacks + NaN watch) vs a
           bare model.fit and a bare tf.function loop over the same model and data.
reference: the original's measured workload (N=64, 512 training patterns, 5 epochs, gs1):
           our wall time and held-out amplitude pearson_r vs the original's 142 s and 0.757.
profiles:  per-run wall time (fresh process) of gs1_ideal with refine_iterations 20 at the
           quick, small and standard profiles: what a wide sweep costs per run.
refine:    overlap-constrained refinement (numpy, no TF) on the standard test scan: seconds
           per iteration and the Fourier misfit / pearson_r from a 4-px-blurred start.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL = {"wall_seconds": 142.0, "pearson_r": 0.757, "seconds_per_epoch": 20.3}

RUN_ONE = """
import json, sys, tempfile, pathlib
from investigate.execution.context import RunContext
from ptycho import experiments
p = json.loads(sys.argv[1])
fn = getattr(experiments, p.pop("_fn", "sim_lines_scenario"))
d = pathlib.Path(tempfile.mkdtemp())
print("RESULT" + json.dumps(fn(p, RunContext(run_dir=d, seed=int(sys.argv[2])))))
"""


def run_subprocess(params: dict, seed: int) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN_ONE, json.dumps(params), str(seed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return {"process_wall_seconds": wall, **json.loads(line[len("RESULT") :])}


def bench_scenarios(seed: int) -> dict:
    out = {}
    for sc in ("gs1_ideal", "gs1_custom", "gs2_ideal", "gs2_custom"):
        r = run_subprocess({"profile": "standard", "scenario": sc, "save_artifacts": False}, seed)
        out[sc] = {
            k: r.get(k)
            for k in ("process_wall_seconds", "wall_seconds", "train_seconds", "epochs_run", "pearson_r", "n_params")
        }
    return out


OVERHEAD = """
import json, time, numpy as np
import tensorflow as tf, keras
from ptycho import grouping, model, params, pipelines, sim, stages, train
from ptycho.config import update_legacy_dict
opts = pipelines.sim_lines_options({"profile": "standard", "scenario": "gs1_ideal"})
tcfg, _ = stages.configs(opts, opts["n_images"])
stages.set_tf_seed(0)
probe = sim.make_probe(opts["N"], "ideal", 10.0, True)
data = sim.simulate_lines(opts["object_size"], opts["N"], opts["n_images"], probe, 1e9, opts["buffer"], 0)
update_legacy_dict(params.cfg, tcfg)
tr_idx, _ = sim.y_split(data["coords"])
g = grouping.load_grouped(data, tr_idx, tcfg.n_groups, np.random.default_rng(1))
E = 4
def fresh():
    m, _ = model.build_model(probe, g["X"])
    s = params.cfg["intensity_scale"]
    return m, [g["X"] * s, g["rel"]], g["X"] * s
res = {}
m, x, y = fresh()
tcfg.nepochs = E
h = train.train(m, x, y, tcfg)
res["ours_epoch_s"] = float(np.median(h["epoch_seconds"][1:]))
m, x, y = fresh()
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None): self.s.append(time.perf_counter() - self.t)
t = T(); t.s = []
m.fit(x, y, batch_size=tcfg.batch_size, epochs=E, verbose=0, callbacks=[t])
res["bare_fit_epoch_s"] = float(np.median(t.s[1:]))
m, x, y = fresh()
opt = keras.optimizers.Adam(1e-3)
loss_fn = m.loss
@tf.function
def step(a, b, c):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(c, m([a, b], training=True)))
    grads = tape.gradient(loss, m.trainable_variables)
    opt.apply_gradients(zip(grads, m.trainable_variables))
    return loss
ds = tf.data.Dataset.from_tensor_slices((x[0], x[1], y)).shuffle(4096).batch(tcfg.batch_size)
times = []
for e in range(E):
    t0 = time.perf_counter()
    for a, b, c in ds: step(a, b, c)
    times.append(time.perf_counter() - t0)
res["bare_loop_epoch_s"] = float(np.median(times[1:]))
res["n_train_samples"] = int(len(y))
res["overhead_vs_fit"] = res["ours_epoch_s"] / res["bare_fit_epoch_s"]
res["overhead_vs_loop"] = res["ours_epoch_s"] / res["bare_loop_epoch_s"]
print("RESULT" + json.dumps(res))
"""


def bench_profiles(seed: int) -> dict:
    out = {}
    for profile in ("quick", "small", "standard"):
        p = {"profile": profile, "scenario": "gs1_ideal", "refine_iterations": 20, "save_artifacts": False}
        r = run_subprocess(p, seed)
        out[profile] = {k: r.get(k) for k in ("process_wall_seconds", "wall_seconds", "train_seconds", "pearson_r")}
    return out


def bench_overhead() -> dict:
    proc = subprocess.run([sys.executable, "-c", OVERHEAD], cwd=ROOT, capture_output=True, text=True, check=True)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def bench_reference(seed: int) -> dict:
    # 1024 simulated points -> y-split -> 512 training patterns, as in the original's run
    p = {
        "profile": "paper",
        "scenario": "gs1_ideal",
        "n_images": 1024,
        "n_groups": 512,
        "epochs": 5,
        "save_artifacts": False,
    }
    r = run_subprocess(p, seed)
    keep = (
        "process_wall_seconds",
        "train_seconds",
        "epochs_run",
        "pearson_r",
        "amp_pred_mean",
        "amp_true_mean",
        "least_squares_scalar",
        "n_params",
    )
    ours = {k: r.get(k) for k in keep}
    ours["seconds_per_epoch"] = r["train_seconds"] / max(r["epochs_run"], 1)
    return {"ours": ours, "original": ORIGINAL, "wall_ratio": ours["process_wall_seconds"] / ORIGINAL["wall_seconds"]}


def bench_refine(seed: int, iterations: int = 20) -> dict:
    import numpy as np

    from ptycho import metrics, pipelines, refine, sim

    out = {}
    for sc in ("gs1_ideal", "gs1_custom"):
        opts = pipelines.sim_lines_options({"profile": "standard", "scenario": sc})
        ps = pipelines.probe_settings(opts)
        probe = sim.make_probe(opts["N"], opts["probe"], ps["probe_scale"], ps["probe_mask"])
        data = sim.simulate_lines(
            opts["object_size"],
            opts["N"],
            opts["n_images"],
            probe,
            opts["nphotons"],
            opts["buffer"],
            seed,
            object_norm="none",
        )
        _, test = sim.y_split(data["coords"])
        truth = data["object_sim"]
        start = metrics.lowpass(np.abs(truth)).astype(np.complex128)
        t0 = time.perf_counter()
        res = refine.refine(start, data["X"][test], data["coords"][test], probe, iterations)
        seconds = time.perf_counter() - t0
        lit = np.isfinite(res["image"])
        out[sc] = {
            "patterns": len(test),
            "iterations": iterations,
            "seconds": seconds,
            "seconds_per_iteration": seconds / iterations,
            "pearson_r_start": metrics.pearson_r(np.abs(start[lit]), np.abs(truth[lit])),
            "pearson_r_refined": metrics.pearson_r(np.abs(res["image"][lit]), np.abs(truth[lit])),
            "fourier_error_start": res["fourier_error_before"],
            "fourier_error_refined": res["fourier_error_after"],
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="scenarios,overhead,reference,refine,profiles")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    out: dict = {"python": sys.version.split()[0]}
    if "scenarios" in parts:
        out["standard_scenarios"] = bench_scenarios(args.seed)
    if "overhead" in parts:
        out["training_overhead"] = bench_overhead()
    if "reference" in parts:
        out["reference_workload"] = bench_reference(args.seed)
    if "refine" in parts:
        out["refine"] = bench_refine(args.seed)
    if "profiles" in parts:
        out["profiles"] = bench_profiles(args.seed)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
