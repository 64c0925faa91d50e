"""Inference and reassembly of patch predictions onto a padded canvas.

The canvas is centred on the origin of object coordinates, and patches are placed at their
absolute scan positions (the original's convention), so it must span N + 2 max|offset| pixels.
The legacy padded size did not: that is the offset-overflow bug. Functions here are numpy
except `predict`, which imports TensorFlow lazily.
"""

from __future__ import annotations

import math

import numpy as np

from . import params


def required_canvas(positions: np.ndarray, N: int) -> int:
    """ceil(N + 2 max|offset|), made even: the smallest canvas holding every patch."""
    size = math.ceil(N + 2 * float(np.max(np.abs(positions))))
    return size + size % 2


def legacy_padded_size() -> int:
    """Read from params.cfg, as the original: N + (gridsize - 1) offset + max_position_jitter."""
    cfg = params.cfg
    return int(cfg["N"] + (cfg["gridsize"] - 1) * cfg["offset"] + cfg["max_position_jitter"])


def jitter_for(required: int, N: int, gridsize: int, offset: int, current: int) -> int:
    """The fix: raise max_position_jitter until the legacy formula reaches the required size."""
    return max(int(current), int(required - N - (gridsize - 1) * offset))


def predict(infer_model, X: np.ndarray, rel: np.ndarray, batch_size: int):
    """Object patches from normalised diffraction; inputs scaled by cfg's intensity_scale."""
    scale = float(params.cfg["intensity_scale"])
    amp, phase = infer_model.predict([X * scale, rel], batch_size=batch_size, verbose=0)
    return amp, phase


def reassemble(
    patches: np.ndarray,
    positions: np.ndarray,
    obj_size: int,
    M: int,
    padded_size: int,
    overlap_norm: str = "count",
    probe: np.ndarray | None = None,
) -> dict:
    """Stitch the central M x M crop of each patch at its position.

    patches (n, N, N) complex, positions (n, 2) centres. Returns the object-frame image
    (obj_size^2), the overlap count, and the fraction of crop pixels that fell off the canvas.
    overlap_norm "count": divide by the count, uncovered pixels NaN (safe). "epsilon": divide by
    count + 0.001 everywhere, the old behaviour that leaves uncovered pixels as fake zeros.
    "probe": the whole patch, each pixel weighted by the illumination |probe|^2 that constrained
    it (the weighting of a ptychographic object update); pixels with (almost) no light are NaN.
    """
    n, N = patches.shape[0], patches.shape[1]
    if overlap_norm == "probe":
        if probe is None:
            raise ValueError("overlap_norm 'probe' needs the probe")
        M, weight = N, np.abs(np.asarray(probe, np.complex128)) ** 2
    elif overlap_norm in ("count", "epsilon"):
        weight = np.ones((N, N))
    else:
        raise ValueError(f"unknown overlap_norm {overlap_norm!r} (count | epsilon | probe)")
    lo = N // 2 - M // 2
    crops = patches[:, lo : lo + M, lo : lo + M]
    weight = weight[lo : lo + M, lo : lo + M]
    r = positions[:, 0].astype(int)[:, None] - M // 2 + np.arange(M)[None, :]  # (n, M) rows
    c = positions[:, 1].astype(int)[:, None] - M // 2 + np.arange(M)[None, :]
    rr, cc = np.broadcast_to(r[:, :, None], (n, M, M)), np.broadcast_to(c[:, None, :], (n, M, M))
    centre = padded_size // 2
    on_canvas = (rr + centre >= 0) & (rr + centre < padded_size) & (cc + centre >= 0) & (cc + centre < padded_size)
    in_object = (rr >= 0) & (rr < obj_size) & (cc >= 0) & (cc < obj_size)
    keep = on_canvas & in_object
    w = np.broadcast_to(weight, (n, M, M))[keep]
    total = np.zeros((obj_size, obj_size), np.complex128)
    count = np.zeros((obj_size, obj_size), np.float64)  # sum of weights: the overlap count
    np.add.at(total, (rr[keep], cc[keep]), crops[keep] * w)
    np.add.at(count, (rr[keep], cc[keep]), w)
    if overlap_norm == "epsilon":
        image = total / (count + 0.001)
    else:
        # "probe": below 1e-3 of the brightest probe pixel, a pixel was effectively never lit
        floor = 1e-3 * float(weight.max()) if overlap_norm == "probe" else 0.0
        covered = count > floor
        with np.errstate(invalid="ignore", divide="ignore"):
            image = np.where(covered, total / np.where(covered, count, 1.0), np.nan + 0j)
    lost = 1.0 - keep.sum() / max(in_object.sum(), 1)
    return {"image": image, "count": count, "signal_lost_fraction": float(lost)}


def eval_region(positions: np.ndarray, M: int, obj_size: int) -> tuple[slice, slice]:
    """Bounding box of the crops that were stitched (where a comparison makes sense)."""
    lo = np.clip(positions.min(axis=0).astype(int) - M // 2, 0, obj_size)
    hi = np.clip(positions.max(axis=0).astype(int) - M // 2 + M, 0, obj_size)
    return slice(lo[0], hi[0]), slice(lo[1], hi[1])
