"""From a trained network to numbers: infer the test patches, stitch them per object,
optionally refine against the measured data, then score the result against the truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import infer, metrics, params, refine, sim
from .config import update_legacy_dict

if TYPE_CHECKING:
    from .stages import Run


@dataclass
class Reconstruction:
    """Per compared object, the pixels that are scored, in the same order in every list."""

    canvas: dict  # required_canvas, padded_size, fits_canvas
    preds: list = field(default_factory=list)  # the reconstruction over the evaluation region
    truths: list = field(default_factory=list)
    coarse: list = field(default_factory=list)  # low-passed truth, same region
    lost: list = field(default_factory=list)  # signal_lost_fraction of each stitch
    network: list = field(default_factory=list)  # with refinement: the network's own stitch
    # with refinement: Fourier error of (the network's stitch, the refined object, the start)
    misfit: list = field(default_factory=list)
    lit_preds: list = field(default_factory=list)  # every lit pixel (metrics.lit_mask)
    lit_truths: list = field(default_factory=list)
    lit_network: list = field(default_factory=list)  # with refinement: the network over lit pixels
    lost_truth: list = field(default_factory=list)  # signal_lost_fraction_truth of each object
    # the truth shifted by half the frame (chance_truth): same pixels, cannot match
    chance: list = field(default_factory=list)
    lit_chance: list = field(default_factory=list)


def chance_truth(obj: np.ndarray) -> np.ndarray:
    """The truth circularly shifted by half the frame in both axes: an object with the same
    statistics that no reconstruction of `obj` can match, so r against it is chance level."""
    return np.roll(obj, (obj.shape[0] // 2, obj.shape[1] // 2), axis=(0, 1))


def truth_signal_lost(obj: np.ndarray, positions: np.ndarray, N: int, M: int, padded_size: int) -> float:
    """Stitch the true patches through the real reassembly onto the configured canvas and
    measure the energy that did not arrive: 1 - sum |stitched|^2 / sum |stitched on a canvas
    that fits|^2 (count-normalised, so a stitched pixel is the truth's own value). No network."""
    patches = sim.extract_patches(obj, positions, N)
    size = obj.shape[0]

    def energy(canvas_size: int) -> float:
        image = infer.reassemble(patches, positions, size, M, canvas_size, "count")["image"]
        return float(np.nansum(np.abs(image) ** 2))

    full = energy(max(infer.required_canvas(positions, N), padded_size))
    return 0.0 if full == 0 else 1.0 - energy(padded_size) / full


def canvas(opts: dict, icfg, positions: np.ndarray, sync: bool) -> dict:
    """Canvas bookkeeping before inference; the jitter fix edits the dataclass, which reaches
    params.cfg only through the bridge."""
    N, g = opts["N"], opts["gridsize"]
    required = infer.required_canvas(positions, N)
    if opts["canvas_padding"] == "jitter":
        icfg.max_position_jitter = infer.jitter_for(required, N, g, icfg.offset, icfg.max_position_jitter)
    elif opts["canvas_padding"] != "legacy":
        raise ValueError(f"unknown canvas_padding {opts['canvas_padding']!r} (legacy | jitter)")
    if sync:
        update_legacy_dict(params.cfg, icfg)
    padded = infer.legacy_padded_size()
    return {"required_canvas": required, "padded_size": padded, "fits_canvas": required <= padded}


def reconstruct(run: Run, infer_model: Any, te: dict, targets: list, sync: bool) -> Reconstruction:
    """Predict every test patch, then stitch (and refine) each target object on its own."""
    N = run.opts["N"]
    amp, phase = infer.predict(infer_model, te["X"], te["rel"], run.icfg.batch_size)
    # groups are flattened member-major within each group: patch k of group j is row j*c + k
    patches = np.moveaxis(amp * np.exp(1j * phase), -1, 1).reshape(-1, N, N)
    positions = te["positions"].reshape(-1, 2)
    rec = Reconstruction(canvas=canvas(run.opts, run.icfg, positions, sync))
    measured = np.moveaxis(te["X"], -1, 1).reshape(-1, N, N)  # patch order
    for obj, sel in targets:
        _add_target(run, rec, obj, patches[sel], positions[sel], measured[sel])
    return rec


def _add_target(run: Run, rec: Reconstruction, obj, patches, positions, measured) -> None:
    icfg, size = run.icfg, obj.shape[0]
    stitched = infer.reassemble(
        patches, positions, size, icfg.M, rec.canvas["padded_size"], icfg.overlap_norm, run.model_probe
    )
    region = infer.eval_region(positions, icfg.M, size)
    image = stitched["image"]
    lit = metrics.lit_mask(refine.illumination(positions, run.model_probe, obj.shape))
    # every lit pixel needs a value: the network's whole patches, weighted by the light they saw
    whole = infer.reassemble(patches, positions, size, icfg.M, rec.canvas["padded_size"], "probe", run.model_probe)
    lit_image = whole["image"]
    if run.opts["refine_iterations"]:
        rec.network.append(image[region])
        rec.lit_network.append(lit_image[lit])
        refined = _refine(run, rec, image, measured, positions)
        # same pixels as the network's stitch, so the two are compared like for like
        image = np.where(np.isfinite(image), refined, np.nan + 0j)
        lit_image = refined
    rec.preds.append(image[region])
    rec.truths.append(obj[region])
    rec.coarse.append(metrics.lowpass(np.abs(obj))[region])
    rec.lost.append(stitched["signal_lost_fraction"])
    rec.lit_preds.append(lit_image[lit])
    rec.lit_truths.append(obj[lit])
    shifted = chance_truth(obj)
    rec.chance.append(shifted[region])
    rec.lit_chance.append(shifted[lit])
    rec.lost_truth.append(truth_signal_lost(obj, positions, run.opts["N"], icfg.M, rec.canvas["padded_size"]))


def _refine(run: Run, rec: Reconstruction, image, measured, positions) -> np.ndarray:
    """Refine from the network's stitch or from a flat object; record the Fourier misfits."""
    iterations = int(run.opts["refine_iterations"])
    if run.opts["refine_init"] == "network":
        refined = refine.refine(image, measured, positions, run.model_probe, iterations)
        network_error = refined["fourier_error_before"]
    else:  # "flat": the control arm, same data, probe and iteration budget, no network
        start = refine.flat_start(image.shape, measured, run.model_probe)
        refined = refine.refine(start, measured, positions, run.model_probe, iterations)
        network_error = refine.refine(image, measured, positions, run.model_probe, 0)["fourier_error_before"]
    rec.misfit.append((network_error, refined["fourier_error_after"], refined["fourier_error_before"]))
    return refined["image"]


def _flat(images: list) -> np.ndarray:
    return np.concatenate([im.ravel() for im in images])


def score(rec: Reconstruction) -> dict:
    """The reconstruction against the truth; with refinement, the network's own numbers too."""
    out = dict(rec.canvas)
    out["signal_lost_fraction"] = float(np.mean(rec.lost))
    pred, truth = _flat(rec.preds), _flat(rec.truths)
    out.update(metrics.amplitude_stats(np.abs(pred), np.abs(truth)))
    out["pearson_r_lowpass"] = metrics.pearson_r(np.abs(pred), _flat(rec.coarse))
    lit_pred, lit_truth = np.abs(_flat(rec.lit_preds)), np.abs(_flat(rec.lit_truths))
    out["pearson_r_lit"] = metrics.pearson_r(lit_pred, lit_truth)
    out["n_pixels_lit"] = int(np.sum(np.isfinite(lit_pred)))
    out["pearson_r_chance"] = metrics.pearson_r(np.abs(pred), np.abs(_flat(rec.chance)))
    out["pearson_r_lit_chance"] = metrics.pearson_r(lit_pred, np.abs(_flat(rec.lit_chance)))
    out["signal_lost_fraction_truth"] = float(np.mean(rec.lost_truth))
    if rec.network:  # the refined image is the reconstruction; keep the network's own numbers
        net = np.abs(_flat(rec.network))
        out["network_pearson_r"] = metrics.pearson_r(net, np.abs(truth))
        out["network_least_squares_scalar"] = metrics.least_squares_scalar(net, np.abs(truth))
        out["fourier_error_network"] = float(np.mean([m[0] for m in rec.misfit]))
        out["fourier_error_refined"] = float(np.mean([m[1] for m in rec.misfit]))
        out["fourier_error_start"] = float(np.mean([m[2] for m in rec.misfit]))
        out["network_pearson_r_lit"] = metrics.pearson_r(np.abs(_flat(rec.lit_network)), lit_truth)
    out.update(metrics.phase_stats(np.angle(pred), np.angle(truth)))
    return out


def save(ctx, rec: Reconstruction, history: dict | None) -> None:
    """The first object's reconstruction as arrays and PNGs."""
    ctx.save_npy("amplitude.npy", np.abs(rec.preds[0]).astype(np.float32))
    ctx.save_npy("phase.npy", np.angle(rec.preds[0]).astype(np.float32))
    metrics.save_images(ctx, rec.preds[0], rec.truths[0], history)
