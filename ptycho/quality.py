"""Image-quality metrics computed the way the original project's evaluation computes them.

The original (`ptycho/evaluation.py::eval_reconstruction` of PtychoPINN) scores a stitched
complex object against the truth like this, and the numbers it publishes (amplitude SSIM 0.904,
PSNR 68.9 dB for gs1_custom) are these:
- both images trimmed by offset/2 px on every side (offset 4: 2 px);
- amplitude: the prediction is rescaled by mean(truth) / mean(pred) before every metric;
- MAE, MSE on the rescaled amplitude; PSNR = 10 log10(255^2 / MSE), the OpenCV default peak of
  255 whatever the data's range (which is why an amplitude near 3 reaches ~69 dB);
- SSIM: the scikit-image default (7x7 uniform window, K1 0.01, K2 0.03, sample covariance,
  the mean over the map without its 3 px border) with data_range = max - min of the truth;
- phase: a least-squares plane removed from each image, then mapped to [0, 1] by
  (phi + pi) / 2 pi for SSIM (data_range 1); PSNR and MAE on the plane-removed phases;
- FRC50: the Fourier ring correlation (real part of the cross spectrum over integer-radius rings
  about the centre, divided by the rings' power), no smoothing; the first ring index where it
  drops below 0.5, or the number of rings when it never does. Square centre crop first.
SSIM and FRC are written here from their published definitions (numpy/scipy only), not taken
from those libraries. Non-finite prediction pixels (stitch holes) are filled with the mean of the
finite ones and counted in `eval_filled_fraction`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

SSIM_WINDOW = 7
PSNR_PEAK = 255.0  # OpenCV's default R in cv2.PSNR, as the original calls it


def ssim(truth: np.ndarray, pred: np.ndarray, data_range: float, win: int = SSIM_WINDOW) -> float:
    """Mean structural similarity (Wang et al. 2004) with a uniform win x win window and the
    sample (N - 1) covariance, averaged over the map without its (win - 1)/2 border."""
    x, y = np.asarray(truth, np.float64), np.asarray(pred, np.float64)
    if x.shape != y.shape or min(x.shape) < win:
        raise ValueError(f"ssim needs two images of one shape, each side >= {win}; got {x.shape} and {y.shape}")
    n = win * win
    cov_norm = n / (n - 1)

    def mean(a: np.ndarray) -> np.ndarray:
        return uniform_filter(a, size=win)

    ux, uy = mean(x), mean(y)
    vx = cov_norm * (mean(x * x) - ux * ux)
    vy = cov_norm * (mean(y * y) - uy * uy)
    vxy = cov_norm * (mean(x * y) - ux * uy)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    pad = (win - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())


def psnr(truth: np.ndarray, pred: np.ndarray, peak: float = PSNR_PEAK) -> float:
    mse = float(np.mean((np.asarray(truth, np.float64) - np.asarray(pred, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))


def frc_curve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fourier ring correlation on integer-radius rings about the centre (square crop first)."""
    side = min(a.shape)
    r0, c0 = (a.shape[0] - side) // 2, (a.shape[1] - side) // 2
    a, b = a[r0 : r0 + side, c0 : c0 + side], b[r0 : r0 + side, c0 : c0 + side]
    fa, fb = np.fft.fftshift(np.fft.fft2(a)), np.fft.fftshift(np.fft.fft2(b))
    yy, xx = np.indices(a.shape) - side // 2
    ring = np.round(np.hypot(yy, xx)).astype(int).ravel()
    n = side // 2  # rings up to the Nyquist frequency along an axis
    keep = ring < n
    cross = np.bincount(ring[keep], (fa * np.conj(fb)).real.ravel()[keep], n)
    pa = np.bincount(ring[keep], (np.abs(fa) ** 2).ravel()[keep], n)
    pb = np.bincount(ring[keep], (np.abs(fb) ** 2).ravel()[keep], n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pa * pb > 0, cross / np.sqrt(pa * pb), 0.0)


def frc50(a: np.ndarray, b: np.ndarray) -> int:
    curve = frc_curve(a, b)
    below = np.flatnonzero(curve < 0.5)
    return int(below[0]) if below.size else len(curve)


def remove_plane(phase: np.ndarray) -> np.ndarray:
    """The phase minus its least-squares plane a row + b col + c."""
    rows, cols = np.indices(phase.shape)
    design = np.column_stack([rows.ravel(), cols.ravel(), np.ones(phase.size)])
    coef, *_ = np.linalg.lstsq(design, phase.ravel(), rcond=None)
    return phase - (design @ coef).reshape(phase.shape)


def _filled(image: np.ndarray) -> tuple[np.ndarray, float]:
    ok = np.isfinite(image)
    if not ok.any():
        raise ValueError("the reconstruction has no finite pixel to score")
    out = np.where(ok, image, image[ok].mean())
    return out, float(1.0 - ok.mean())


def original_metrics(pred: np.ndarray, truth: np.ndarray, offset: int = 4) -> dict:
    """pred, truth: 2-D complex images of one region. The original's metric suite (see above)."""
    if pred.shape != truth.shape or pred.ndim != 2:
        raise ValueError(f"pred and truth must be 2-D of one shape; got {pred.shape} and {truth.shape}")
    pred, filled = _filled(np.asarray(pred, np.complex128))
    t = offset // 2
    pred, truth = pred[t:-t, t:-t], np.asarray(truth, np.complex128)[t:-t, t:-t]
    amp_t, amp_p = np.abs(truth), np.abs(pred)
    amp_p = amp_p * (amp_t.mean() / amp_p.mean()) if amp_p.mean() > 0 else amp_p
    phi_t, phi_p = remove_plane(np.angle(truth)), remove_plane(np.angle(pred))
    amp_range = float(amp_t.max() - amp_t.min())
    return {
        "ssim_amp": ssim(amp_t, amp_p, amp_range if amp_range > 0 else 1.0),
        "ssim_phase": ssim((phi_t + np.pi) / (2 * np.pi), (phi_p + np.pi) / (2 * np.pi), 1.0),
        "psnr_amp": psnr(amp_t, amp_p),
        "psnr_phase": psnr(phi_t, phi_p),
        "mae_amp_normalised": float(np.mean(np.abs(amp_t - amp_p))),
        "mae_phase": float(np.mean(np.abs(phi_t - phi_p))),
        "frc50_amp": frc50(amp_t, amp_p),
        "frc50_phase": frc50(phi_t, phi_p),
        "eval_filled_fraction": filled,
    }
