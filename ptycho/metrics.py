"""Comparison of a reconstruction with the truth, and the artifacts that show it."""

from __future__ import annotations

import numpy as np


def _finite_pair(pred: np.ndarray, truth: np.ndarray):
    pred, truth = np.asarray(pred, np.float64).ravel(), np.asarray(truth, np.float64).ravel()
    ok = np.isfinite(pred) & np.isfinite(truth)
    return pred[ok], truth[ok]


def pearson_r(pred, truth):
    p, t = _finite_pair(pred, truth)
    if p.size < 2 or p.std() == 0 or t.std() == 0:
        return None
    return float(np.mean((p - p.mean()) * (t - t.mean())) / (p.std() * t.std()))  # population


# A pixel counts as lit when the summed probe intensity |P|^2 of the scan reaching it exceeds
# this fraction of the peak: the faint tails beyond it carry too few photons to constrain the
# object, while everything a probe's main lobe crossed is in, edges of the scan included.
LIT_FRACTION = 0.01


def lit_mask(illumination: np.ndarray, fraction: float = LIT_FRACTION) -> np.ndarray:
    """Pixels the scan lit: illumination > fraction x its maximum."""
    illumination = np.asarray(illumination, np.float64)
    return illumination > fraction * float(illumination.max())


LOWPASS_SIGMA = 4.0  # px: keeps the broad background, drops the 1-5 px line detail


def lowpass(image: np.ndarray, sigma: float = LOWPASS_SIGMA) -> np.ndarray:
    """Gaussian-smoothed copy: the truth as a reconstruction without fine detail would see it.

    pearson_r against this (pearson_r_lowpass) near 1 while pearson_r stays low says the
    reconstruction got the coarse structure right and lost the detail: a resolution limit.
    """
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(np.asarray(image, np.float64), sigma)


def least_squares_scalar(pred, truth):
    """The a minimising |a pred - truth|^2: how far off the absolute scale is."""
    p, t = _finite_pair(pred, truth)
    denom = float(np.sum(p * p))
    return None if denom <= 1e-12 else float(np.sum(p * t) / denom)


def amplitude_stats(pred_amp, true_amp) -> dict:
    p, t = _finite_pair(pred_amp, true_amp)
    empty = p.size == 0
    return {
        "amp_pred_mean": None if empty else float(p.mean()),
        "amp_true_mean": None if empty else float(t.mean()),
        "pearson_r": pearson_r(p, t),
        "least_squares_scalar": least_squares_scalar(p, t),
        "mae": None if empty else float(np.mean(np.abs(p - t))),
        "rmse": None if empty else float(np.sqrt(np.mean((p - t) ** 2))),
        "n_pixels": int(p.size),
    }


def phase_stats(pred_phase, true_phase) -> dict:
    p, t = _finite_pair(pred_phase, true_phase)
    if p.size == 0:
        return {"phase_mean": None, "phase_std": None, "phase_rmse": None}
    d = np.angle(np.exp(1j * (p - t)))  # wrapped difference
    # a global phase offset is not observable; removing it can push values past ±π, so re-wrap
    # (without it an error of 3e-4 rad under an offset near π read as 2.9 rad)
    d = np.angle(np.exp(1j * (d - np.angle(np.mean(np.exp(1j * d))))))
    return {"phase_mean": float(p.mean()), "phase_std": float(p.std()), "phase_rmse": float(np.sqrt(np.mean(d**2)))}


def save_images(ctx, pred: np.ndarray, truth: np.ndarray, history: dict | None) -> None:
    """PNGs: amplitude/phase pred vs truth, and the training curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(8, 8))
    for ax, img, title in zip(
        axes.ravel(),
        [np.abs(pred), np.abs(truth), np.angle(pred), np.angle(truth)],
        ["amplitude (pred)", "amplitude (truth)", "phase (pred)", "phase (truth)"],
        strict=False,
    ):
        im = ax.imshow(img, cmap="gray")
        ax.set_title(title)
        ax.axis("off")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(ctx.artifact("reconstruction.png"), dpi=80)
    plt.close(fig)
    if history and history.get("metrics"):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for key in ("loss", "val_loss"):
            if key in history["metrics"]:
                ax.plot(history["metrics"][key], label=key)
        ax.set_xlabel("epoch")
        ax.legend()
        fig.tight_layout()
        fig.savefig(ctx.artifact("training_curves.png"), dpi=80)
        plt.close(fig)
