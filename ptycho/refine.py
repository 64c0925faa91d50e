"""Overlap-constrained refinement of a stitched object against the measured diffraction.

The network inverts each diffraction pattern (or gridsize**2 group) on its own. Ptychography's
real constraint is overlap: every object pixel is seen by many patterns through a known probe.
`refine` enforces it with parallel projections (all patterns at once, the "parallel PIE" /
error-reduction update): form the exit waves from the current object, replace their Fourier
moduli by the measured ones, and average the corrected waves back into the object, weighted by
the probe intensity that lit each pixel. It uses only measurements, the probe and the scan
positions, never the truth, so it tells whether the data hold detail the network missed.

Measurement model (sim.diffract): X = |fftshift(fft2(O P))| / N in normalised units.
"""

from __future__ import annotations

import numpy as np


def _index(positions: np.ndarray, N: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, N, N) row and column indices of each patch in the object frame (sim's convention)."""
    h = N // 2
    rows = positions[:, 0].astype(int)[:, None] - h + np.arange(N)[None, :]
    cols = positions[:, 1].astype(int)[:, None] - h + np.arange(N)[None, :]
    n = len(positions)
    return (np.broadcast_to(rows[:, :, None], (n, N, N)), np.broadcast_to(cols[:, None, :], (n, N, N)))


def fourier_error(obj: np.ndarray, X: np.ndarray, positions: np.ndarray, probe: np.ndarray) -> float:
    """Relative misfit sum (|F(O P)|/N - X)^2 / sum X^2 of an object against the data."""
    rr, cc = _index(positions, probe.shape[0])
    model = np.abs(np.fft.fft2(obj[rr, cc] * probe)) / probe.shape[0]
    measured = np.fft.ifftshift(X, axes=(1, 2))
    return float(np.sum((model - measured) ** 2) / np.sum(measured**2))


def illumination(positions: np.ndarray, probe: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sum of |P|^2 over the scan, in the object frame (patches must lie inside it)."""
    rr, cc = _index(positions, probe.shape[0])
    weight = np.zeros(shape)
    np.add.at(weight, (rr, cc), np.broadcast_to(np.abs(probe) ** 2, rr.shape))
    return weight


def flat_start(shape: tuple[int, int], X: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """The classical neutral start: a constant, real object whose exit waves carry the measured
    energy. By Parseval sum X^2 = sum |O P|^2 per pattern, so a constant a satisfies
    a^2 = sum X^2 / (n sum |P|^2); phase 0 (no prior on the phase)."""
    X = np.asarray(X, np.float64)
    energy = float(np.sum(X**2)) / (len(X) * float(np.sum(np.abs(probe) ** 2)))
    return np.full(shape, np.sqrt(energy), np.complex128)


def refine(initial: np.ndarray, X: np.ndarray, positions: np.ndarray, probe: np.ndarray, iterations: int) -> dict:
    """Refine `initial` (obj_size^2 complex, NaN where unknown) against X (n, N, N) measured at
    integer patch centres `positions` (n, 2) with `probe` (N, N). Returns the refined image (NaN
    where no light fell), the Fourier error before and after, and the weight map."""
    N = probe.shape[0]
    rr, cc = _index(positions, N)
    inside = ((rr >= 0) & (rr < initial.shape[0]) & (cc >= 0) & (cc < initial.shape[1])).all(axis=(1, 2))
    if not inside.all():
        raise ValueError(f"{int((~inside).sum())} scan positions put their patch outside the object frame")
    obj = np.array(initial, np.complex128)
    known = np.isfinite(obj)
    # unknown pixels start at the mean of the known ones: a neutral start, not a zero hole
    obj[~known] = obj[known].mean() if known.any() else 1.0
    measured = np.fft.ifftshift(np.asarray(X, np.float64), axes=(1, 2))  # unshifted, like fft2
    light = np.abs(probe) ** 2
    weight = illumination(positions, probe, obj.shape)
    lit = weight > 1e-3 * light.max()
    conj_probe = np.conj(probe)
    before = fourier_error(obj, X, positions, probe)
    for _ in range(int(iterations)):
        wave = obj[rr, cc] * probe
        far = np.fft.fft2(wave)
        # modulus constraint; a zero model amplitude keeps phase 0
        far = measured * N * np.exp(1j * np.angle(far))
        corrected = np.fft.ifft2(far)
        update = np.zeros_like(obj)
        np.add.at(update, (rr, cc), conj_probe * (corrected - wave))
        obj[lit] += update[lit] / weight[lit]
    image = np.where(lit, obj, np.nan + 0j)
    return {
        "image": image,
        "weight": weight,
        "fourier_error_before": before,
        "fourier_error_after": fourier_error(obj, X, positions, probe),
    }
