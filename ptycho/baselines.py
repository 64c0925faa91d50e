"""The classical baselines as arms of a sim_lines run: `reconstructor: epie | rpie | dm | energy`
reconstructs the same simulated test scan without a network and scores it exactly like the
network's stitch (same pixels, same metrics), so a hypothesis can compare them cell by cell.

Like for like: `pearson_r` and the original's metrics are scored over the pixels the network's
central-crop stitch covers (the bounding box of the crops, minus its holes), the `*_lit` metrics
over every pixel the (believed) probe lit. The reconstruction sees only the test split's
measured patterns, the model's probe (perturbed under `probe_error`, refined if
`refine_probe`), and the nominal positions: no training, no TensorFlow.
"""

from __future__ import annotations

import time

import numpy as np

from . import classical, infer, reconstruct, refine
from .stages import Run

RECONSTRUCTORS = ("network", *classical.METHODS, "energy")


def check(opts: dict) -> None:
    if opts["reconstructor"] not in RECONSTRUCTORS:
        raise ValueError(f"unknown reconstructor {opts['reconstructor']!r}; choose one of {', '.join(RECONSTRUCTORS)}")
    if opts["reconstructor"] != "network" and opts["refine_iterations"]:
        raise ValueError("refine_iterations refines the network's stitch; a classical reconstructor takes none")


def settings(opts: dict, seed: int) -> classical.Settings:
    return classical.Settings(
        method=opts["reconstructor"],
        max_iterations=int(opts["classical_max_iterations"]),
        holdout=float(opts["classical_holdout"]),
        holdout_mode=opts["classical_holdout_mode"],
        patience=int(opts["classical_patience"]),
        refine_probe=bool(opts["refine_probe"]),
        seed=seed,
    )


def evaluate(run: Run, obj: np.ndarray, X: np.ndarray, positions: np.ndarray) -> dict:
    """Reconstruct `obj`'s test scan (X at `positions`) with the run's classical reconstructor
    and score it against `obj` (the comparison object)."""
    opts, t0 = run.opts, time.perf_counter()
    size, N, M = obj.shape[0], int(opts["N"]), run.icfg.M
    required = infer.required_canvas(positions, N)
    rec = reconstruct.Reconstruction(canvas={"required_canvas": required, "padded_size": required, "fits_canvas": True})
    out: dict = {"reconstructor": opts["reconstructor"]}
    if opts["reconstructor"] == "energy":
        image = classical.energy_estimate(X, positions, run.model_probe, obj.shape)
        misfit = refine.fourier_error(np.where(np.isfinite(image), image, 0), X, positions, run.model_probe)
        out.update({"classical_iterations_chosen": 0, "classical_iterations_run": 0})
    else:
        result = classical.reconstruct(X, positions, run.model_probe, obj.shape, settings(opts, int(run.ctx.seed)))
        image, misfit = result["image"], result["fourier_error"]
        out.update(
            {
                "classical_iterations_chosen": result["iterations_chosen"],
                "classical_iterations_run": result["iterations_run"],
                "classical_probe_error_rel": float(
                    np.linalg.norm(_gauge_fixed(result["probe"], run.probe) - run.probe) / np.linalg.norm(run.probe)
                ),
            }
        )
    out["fourier_error_classical"] = float(misfit)
    # the network's stitch covers only its central crops: score the same pixels
    ones = np.ones((len(positions), N, N), np.complex64)
    covered = np.isfinite(infer.reassemble(ones, positions, size, M, required, "count")["image"])
    reconstruct.record(run, rec, obj, np.where(covered, image, np.nan + 0j), image, positions, 0.0)
    out.update(reconstruct.score(rec))
    out["reconstruct_seconds"] = time.perf_counter() - t0
    return out


def _gauge_fixed(probe: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The refined probe times the complex gain that best matches the true one: object and probe
    trade a global gain and phase, which the data cannot see."""
    return probe * (np.vdot(probe, truth) / np.vdot(probe, probe))
