"""Standard classical ptychographic reconstructions, as baselines for the network.

- ePIE (Maiden & Rodenburg 2009): one pattern at a time, in a fresh random order each
  iteration; the exit wave's Fourier modulus is replaced by the measured one and the object
  (and, with probe refinement, the probe) moves along the correction, the object step scaled by
  conj(P) / max |P|^2 (alpha 1), the probe step by conj(O) / max |O|^2 (beta 1).
- rPIE (Maiden, Johnson & Li 2017): the same loop with the regularised object step
  conj(P) / ((1 - alpha) |P|^2 + alpha max |P|^2), alpha 0.1: full steps where the probe is
  bright, damped ones where it is faint (ePIE's alpha = 1 damps everywhere alike).
- Difference map (Thibault et al. 2008, 2009): all exit waves at once, psi <- psi +
  F(2 O P - psi) - O P with F the Fourier-modulus projection and O P the overlap projection
  (O = sum conj(P) psi / sum |P|^2 over the scan, with probe refinement alternated with
  P = sum conj(O) psi / sum |O|^2); the reported object is the overlap projection's.
- the energy estimate, a declared trivial baseline with no iteration: each pattern is a constant
  amplitude a_j = sqrt(sum X_j^2 / sum |P|^2) (Parseval: the constant whose exit wave carries
  that pattern's measured energy), phase 0, stitched with |P|^2 weights. It is also the start
  of every iterative method here (iteration 0); refine.flat_start is its single-constant
  version (one a for the whole scan), the start of `refine_init: flat`.

The iteration count is chosen without the truth, by cross-validation on the data. `holdout:
pixels` (the default) leaves a random `holdout` share of each pattern's detector pixels out of
the modulus constraint (the model's own amplitude is kept there) and measures the misfit on
exactly those pixels after every iteration, as a Poisson deviance (`poisson_deviance`);
`holdout: patterns` leaves that share of whole patterns out of the updates instead. The
iterate where the held-out misfit is lowest is the one reported (stopping once it has not
improved for `patience` iterations); iteration 0 is the energy estimate. Whole patterns are
the textbook choice but fail without overlap: a held-out pattern's area is then seen by no
fitted pattern, its error cannot fall, and an early iterate wins (16 px raster, N 32, 256
points, 1e9 photons: DM stopped at iteration 0, r_lit 0.840, ePIE at 24, 0.869; holding out
pixels instead, DM chose 85, 0.934, ePIE 300, 0.908). Held-out pixels are constrained by the
rest of their own pattern, with or without overlap.
Everything uses the measured data, the (believed) probe and the nominal positions only.
Measurement model as sim.diffract: X = |fftshift(fft2(O P))| / N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import refine

METHODS = ("epie", "rpie", "dm")
RPIE_ALPHA = 0.1


@dataclass
class Settings:
    method: str = "epie"
    max_iterations: int = 100
    holdout: float = 0.1  # share held out to choose the iteration count
    holdout_mode: str = "pixels"  # pixels (of every pattern) | patterns (whole ones)
    patience: int = 10  # stop after this many iterations without a held-out improvement
    refine_probe: bool = False
    probe_start: int = 2  # iterations with the probe fixed before it may move (avoids early drift)
    seed: int = 0


def _patch_index(positions: np.ndarray, N: int) -> tuple[np.ndarray, np.ndarray]:
    return refine._index(positions, N)


def energy_estimate(X: np.ndarray, positions: np.ndarray, probe: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per-pattern constant amplitude sqrt(sum X^2 / sum |P|^2), stitched with |P|^2 weights;
    NaN where no light fell."""
    X = np.asarray(X, np.float64)
    light = np.abs(np.asarray(probe, np.complex128)) ** 2
    amp = np.sqrt(np.sum(X**2, axis=(1, 2)) / light.sum())
    rr, cc = _patch_index(positions, probe.shape[0])
    total, weight = np.zeros(shape), np.zeros(shape)
    np.add.at(total, (rr, cc), amp[:, None, None] * light)
    np.add.at(weight, (rr, cc), np.broadcast_to(light, rr.shape))
    covered = weight > 1e-3 * light.max()
    return np.where(covered, total / np.where(covered, weight, 1.0), np.nan) + 0j


def classical_start(X: np.ndarray, positions: np.ndarray, probe: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The iterative methods' start: the energy estimate, the flat start's constant where no
    light fell."""
    start = energy_estimate(X, positions, probe, shape)
    return np.where(np.isfinite(start), start, refine.flat_start(shape, X, probe))


def poisson_deviance(model: np.ndarray, measured: np.ndarray) -> float:
    """Poisson deviance of model amplitudes against measured ones, over sum measured^2:
    2 sum(X^2 log(X^2 / m^2) - X^2 + m^2). The counts are (s X)^2 with one unknown scale s,
    which factors out, so this ranks iterates as the held-out likelihood does. A squared
    amplitude error would not: at under a photon per pixel E[sqrt(counts)] falls well below
    sqrt(rate), and that error prefers a too-faint model (1e3 photons: it kept the energy
    estimate, r_lit 0.865, over ePIE's first iteration, 0.911)."""
    m2, x2 = np.square(model, dtype=np.float64), np.square(measured, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.where(x2 > 0, x2 * np.log(x2 / np.maximum(m2, 1e-300)), 0.0)
    return float(2 * np.sum(log_term - x2 + m2) / max(float(np.sum(x2)), 1e-300))


def _modulus(wave: np.ndarray, measured: np.ndarray, free: np.ndarray | None) -> np.ndarray:
    """Exit wave(s) with the Fourier modulus replaced by the measured one (phase kept), except
    at held-out (`free`) detector pixels, which keep the model's own value."""
    far = np.fft.fft2(wave)
    fixed = measured * np.exp(1j * np.angle(far))
    return np.fft.ifft2(fixed if free is None else np.where(free, far, fixed))


def _pie_epoch(obj, probe, measured, free, rr, cc, order, s: Settings, move_probe: bool) -> None:
    """One ePIE / rPIE sweep over the patterns in `order`, updating obj and probe in place."""
    for j in order:
        r, c = rr[j], cc[j]
        view = obj[r, c]
        wave = view * probe
        diff = _modulus(wave, measured[j], None if free is None else free[j]) - wave
        light = np.abs(probe) ** 2
        if s.method == "epie":
            obj_step = np.conj(probe) / light.max()
        else:  # rpie
            obj_step = np.conj(probe) / ((1 - RPIE_ALPHA) * light + RPIE_ALPHA * light.max())
        obj[r, c] = view + obj_step * diff
        if move_probe:
            probe += np.conj(view) / max(float(np.max(np.abs(view) ** 2)), 1e-12) * diff


def _overlap(psi, obj, probe, rr, cc, move_probe: bool) -> None:
    """Difference map's overlap projection: object (and probe) that best explain the waves."""
    for _ in range(2 if move_probe else 1):
        num, den = np.zeros_like(obj), np.zeros(obj.shape)
        np.add.at(num, (rr, cc), np.conj(probe) * psi)
        np.add.at(den, (rr, cc), np.broadcast_to(np.abs(probe) ** 2, rr.shape))
        lit = den > 1e-3 * den.max()
        obj[lit] = num[lit] / den[lit]
        if move_probe:
            views = obj[rr, cc]
            probe[...] = np.sum(np.conj(views) * psi, axis=0) / np.maximum(np.sum(np.abs(views) ** 2, axis=0), 1e-12)


def _split(n: int, N: int, s: Settings, rng: np.random.Generator):
    """(patterns to fit, held-out patterns, held-out detector pixels (n, N, N) or None)."""
    if not 0 <= s.holdout < 1:
        raise ValueError(f"holdout must lie in [0, 1), not {s.holdout}")
    if s.holdout_mode == "patterns":
        held = rng.choice(n, size=round(s.holdout * n), replace=False)
        return np.setdiff1d(np.arange(n), held), held, None
    if s.holdout_mode == "pixels":
        free = rng.random((n, N, N)) < s.holdout if s.holdout > 0 else None
        return np.arange(n), np.array([], int), free
    raise ValueError(f"unknown holdout_mode {s.holdout_mode!r} (pixels | patterns)")


def reconstruct(X: np.ndarray, positions: np.ndarray, probe: np.ndarray, shape: tuple[int, int], s: Settings) -> dict:
    """Reconstruct an object of `shape` from X (n, N, N) at integer centres `positions` (n, 2)
    with the starting `probe`. Returns the chosen iterate's image (NaN where no light fell), its
    probe, the iteration chosen, and the held-out Fourier errors along the way."""
    if s.method not in METHODS:
        raise ValueError(f"unknown classical method {s.method!r}; choose one of {', '.join(METHODS)}")
    X, positions = np.asarray(X, np.float64), np.asarray(positions)
    n, N = len(X), probe.shape[0]
    rng = np.random.default_rng(s.seed)
    fit, held, free = _split(n, N, s, rng)
    if fit.size == 0:
        raise ValueError(f"holdout {s.holdout} leaves no pattern to fit")
    rr, cc = _patch_index(positions, N)
    inside = ((rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])).all(axis=(1, 2))
    if not inside.all():
        raise ValueError(f"{int((~inside).sum())} scan positions put their patch outside the object frame")
    measured = np.fft.ifftshift(X, axes=(1, 2)) * N  # the modulus fft2 must reach
    # start from the energy estimate (unlit pixels: the flat start's constant): iteration 0 is
    # then the trivial baseline, and a method no iteration of which lowers the held-out error
    # reports that, not a constant object with no correlation to anything
    obj = classical_start(X[fit], positions[fit], probe, shape)
    pr = np.array(probe, np.complex128)
    psi = obj[rr[fit], cc[fit]] * pr if s.method == "dm" else None

    def held_error() -> float | None:
        if free is not None:
            model = np.abs(np.fft.fft2(obj[rr, cc] * pr))
            return poisson_deviance(model[free], measured[free])
        if held.size:
            model = np.abs(np.fft.fft2(obj[rr[held], cc[held]] * pr))
            return poisson_deviance(model, measured[held])
        return None

    history = [held_error()]
    best = (history[0], 0, obj.copy(), pr.copy())
    for it in range(1, s.max_iterations + 1):
        move = s.refine_probe and it > s.probe_start
        if s.method == "dm":
            assert psi is not None
            fitted = obj[rr[fit], cc[fit]] * pr
            psi += _modulus(2 * fitted - psi, measured[fit], None if free is None else free[fit]) - fitted
            _overlap(psi, obj, pr, rr[fit], cc[fit], move)
        else:
            _pie_epoch(obj, pr, measured, free, rr, cc, rng.permutation(fit), s, move)
        err = held_error()
        history.append(err)
        if err is None or best[0] is None or err < best[0]:
            best = (err, it, obj.copy(), pr.copy())
        elif it - best[1] >= s.patience:
            break
    _, chosen, obj, pr = best
    light = refine.illumination(positions, pr, shape)
    image = np.where(light > 1e-3 * light.max(), obj, np.nan + 0j)
    return {
        "image": image,
        "probe": pr,
        "iterations_chosen": chosen,
        "iterations_run": len(history) - 1,
        "heldout_error": history,
        "fourier_error": refine.fourier_error(obj, X, positions, pr),
        "n_heldout": int(held.size) if free is None else int(free.sum()),
    }
