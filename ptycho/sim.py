"""Simulation: lines object, probes, random scan, Poisson diffraction, train/test split.

Pure numpy/scipy so cheap modes never import TensorFlow. Conventions: positions are patch
centres in object pixel coordinates (row, col), integers, so extraction and reassembly are exact.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

from . import params


def lines_object(size: int, rng: np.random.Generator, n_lines: int | None = None) -> np.ndarray:
    """Real object: random segments on a 2x canvas, blurred at three scales, centre-cropped.

    The line count scales with size so that the line density (and so the amplitude mean,
    about 2.7-3) stays that of the original; our 1-px rasteriser draws slightly denser lines
    than the original's, hence 360 rather than 400 lines per 392 px.
    """
    big = 2 * size
    if n_lines is None:
        n_lines = max(4, round(360 * size / 392))
    canvas = np.zeros((big, big), np.float64)
    ends = rng.uniform(0, big, size=(n_lines, 4))
    for r0, c0, r1, c1 in ends:
        steps = int(np.hypot(r1 - r0, c1 - c0)) * 2 + 2
        rr = np.clip(np.linspace(r0, r1, steps).astype(int), 0, big - 1)
        cc = np.clip(np.linspace(c0, c1, steps).astype(int), 0, big - 1)
        canvas[rr, cc] = 1.0
    amp = gaussian_filter(canvas, 1) + 2 * gaussian_filter(canvas, 5) + 5 * gaussian_filter(canvas, 10)
    lo = (big - size) // 2
    return amp[lo : lo + size, lo : lo + size].astype(np.complex64)  # phase 0: a real object


def _radius(N: int) -> np.ndarray:
    yy, xx = np.mgrid[:N, :N] - (N - 1) / 2
    return np.hypot(yy, xx)


def ideal_probe(N: int) -> np.ndarray:
    """Gaussian window thresholded at half maximum (a disk of radius N/4), edge blurred by 1 px."""
    sigma = (N / 4) / np.sqrt(2 * np.log(2))  # half maximum falls at r = N/4
    disk = (np.exp(-(_radius(N) ** 2) / (2 * sigma**2)) >= 0.5).astype(np.float64)
    return gaussian_filter(disk, 1).astype(np.complex64)


def custom_probe(N: int) -> np.ndarray:
    """A deterministic stand-in for an experimentally recovered probe.

    Focused probe = inverse FFT of a circular pupil carrying a Zernike aberration phase:
    defocus (spreads the spot and rings it), astigmatism and coma (break its symmetry). The
    sharp pupil edge gives Airy-like side lobes, so the probe is "big" and structured, with a
    non-flat phase, like real probes and unlike the ideal disk.
    """
    k = np.fft.fftshift(np.fft.fftfreq(N))
    ky, kx = np.meshgrid(k, k, indexing="ij")
    rho = np.hypot(ky, kx) / 0.12  # pupil radius 0.12 cycles/pixel -> central spot ~N/8 wide
    theta = np.arctan2(ky, kx)
    pupil = (rho <= 1.0).astype(np.float64)
    defocus = np.sqrt(3) * (2 * rho**2 - 1)
    astig = np.sqrt(6) * rho**2 * np.cos(2 * theta)
    coma = np.sqrt(8) * (3 * rho**3 - 2 * rho) * np.cos(theta)
    phase = 2 * np.pi * (0.9 * defocus + 0.3 * astig + 0.2 * coma)  # waves -> radians
    probe = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(pupil * np.exp(1j * phase))))
    return probe.astype(np.complex64)


def make_probe(N: int, kind: str, probe_scale: float, mask: bool) -> np.ndarray:
    """Probe normalised to mean |P| = 1/probe_scale inside a disk of radius N/4."""
    if kind == "ideal":
        probe = ideal_probe(N)
    elif kind == "custom":
        probe = custom_probe(N)
    else:
        raise ValueError(f"unknown probe kind {kind!r} (ideal | custom)")
    if mask:  # cut the corners: the probe lives inside the inscribed circle
        probe = probe * (_radius(N) <= N / 2)
    inner = _radius(N) <= N / 4
    return (probe / (probe_scale * np.abs(probe[inner]).mean())).astype(np.complex64)


def random_scan(size: int, N: int, n: int, buffer: int, rng: np.random.Generator) -> np.ndarray:
    """n integer centres, uniform, keeping every patch `buffer` px inside the object."""
    lo, hi = buffer + N // 2, size - buffer - N // 2
    if hi <= lo:
        raise ValueError(f"object size {size} too small for N={N} with buffer {buffer}")
    return rng.integers(lo, hi + 1, size=(n, 2)).astype(np.float64)


def grid_scan(n: int, N: int, buffer: int, step: float) -> tuple[int, np.ndarray]:
    """A raster of n points `step` px apart (k x k, k = ceil(sqrt n), row-major, last row
    partial) and the object size that holds it with `buffer`: the pattern count stays n while
    the overlap between neighbours falls as the step grows."""
    k = math.ceil(math.sqrt(n))
    size = N + 2 * buffer + math.ceil(step * (k - 1)) + 1
    ticks = N // 2 + buffer + np.round(step * np.arange(k))
    grid = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    return size, grid[:n].astype(np.float64)


def jittered(coords: np.ndarray, sigma: float, size: int, N: int, rng: np.random.Generator) -> np.ndarray:
    """True positions: nominal + Gaussian error (sigma px per axis, cut at 3 sigma), kept
    inside the frame. Sub-pixel: extract_patches interpolates off-grid centres."""
    error = np.clip(rng.normal(0.0, sigma, coords.shape), -3 * sigma, 3 * sigma)
    return np.clip(coords + error, N // 2, size - N // 2 - 1)


def _interpolated_patches(obj: np.ndarray, centres: np.ndarray, N: int) -> np.ndarray:
    from scipy.ndimage import map_coordinates

    h = N // 2
    rows = centres[:, 0][:, None] - h + np.arange(N)[None, :]
    cols = centres[:, 1][:, None] - h + np.arange(N)[None, :]
    n = len(centres)
    where = np.stack([np.broadcast_to(rows[:, :, None], (n, N, N)), np.broadcast_to(cols[:, None, :], (n, N, N))])
    # cubic spline: exact at integer centres, smooth between them
    re = map_coordinates(obj.real.astype(np.float64), where, order=3, mode="nearest")
    im = map_coordinates(obj.imag.astype(np.float64), where, order=3, mode="nearest")
    return (re + 1j * im).astype(obj.dtype)


def extract_patches(obj: np.ndarray, centres: np.ndarray, N: int) -> np.ndarray:
    if not np.array_equal(centres, np.round(centres)):
        return _interpolated_patches(obj, centres, N)
    h = N // 2
    rows = centres[:, 0].astype(int)[:, None] - h + np.arange(N)[None, :]
    cols = centres[:, 1].astype(int)[:, None] - h + np.arange(N)[None, :]
    return obj[rows[:, :, None], cols[:, None, :]]


def exact_scale(patches: np.ndarray, probe: np.ndarray, nphotons: float) -> float:
    """s = sqrt(nphotons / mean sum |O P|^2): the scale that puts nphotons in each pattern."""
    power = np.mean(np.sum(np.abs(patches * probe) ** 2, axis=(1, 2)))
    return float(np.sqrt(nphotons / power))


def diffract(patches: np.ndarray, probe: np.ndarray, nphotons: float, rng: np.random.Generator):
    """Returns (normalised amplitude X, s). X = sqrt(Poisson(|FFT(s O P)|^2 / N^2)) / s."""
    N = probe.shape[0]
    s = exact_scale(patches, probe, nphotons)
    X = np.empty(patches.shape, np.float32)
    for i in range(0, len(patches), 256):  # chunks keep peak memory flat for big runs
        field = np.fft.fftshift(np.fft.fft2(s * patches[i : i + 256] * probe), axes=(1, 2))
        X[i : i + 256] = np.sqrt(rng.poisson(np.abs(field) ** 2 / N**2)) / s
    return X, s


def y_split(coords: np.ndarray, fraction: float = 0.5):
    """Indices (train, test): sorted by row (y), the lower `fraction` trains, the rest tests."""
    order = np.argsort(coords[:, 0], kind="stable")
    cut = round(len(order) * fraction)
    return order[:cut], order[cut:]


def patch_max_norm(obj: np.ndarray, coords: np.ndarray, N: int) -> float:
    """Mean over scan patches of each patch's maximum amplitude (the legacy normalisation)."""
    return float(np.mean(np.abs(extract_patches(obj, coords, N)).max(axis=(1, 2))))


def simulate_lines(
    size: int,
    N: int,
    n_images: int,
    probe: np.ndarray,
    nphotons: float,
    buffer: int,
    seed: int,
    diffraction: bool = True,
    object_norm: str = "patch_max",
    object_gain: float = 1.0,
    scan_step: float | None = None,
    position_jitter: float = 0.0,
) -> dict:
    """The sim_lines_4x simulation step. Writes its own gridsize into params.cfg, as the
    original did: simulation is per scan point, i.e. gridsize 1.

    object_norm "patch_max": the legacy simulator divides the object by the mean per-patch
    maximum before diffracting (so amplitudes sit near [0, 1], where a sigmoid head can reach);
    "none": diffract the raw object. data["object"] is always the raw object, the one the
    original compared against; data["object_sim"] is what was actually diffracted.
    object_gain multiplies the raw object (same scan, same noise draws): a probe of whether the
    data can tell objects that differ only in absolute scale.
    scan_step (px): a raster scan of n_images points that far apart instead of the random scan
    (`size` must then be grid_scan's). position_jitter (px, per axis): the patterns are
    diffracted at true positions = coords + error (drawn from its own stream, so the object,
    scan and noise draws are unchanged); data["coords"] stay the nominal positions and
    data["true_coords"] are the true ones.
    """
    rng = np.random.default_rng(seed)
    obj = lines_object(size, rng) * np.float32(object_gain)
    if scan_step is None:
        coords = random_scan(size, N, n_images, buffer, rng)
    else:
        coords = grid_scan(n_images, N, buffer, scan_step)[1]
    true_coords = coords
    if position_jitter > 0:
        true_coords = jittered(coords, position_jitter, size, N, np.random.default_rng([seed, 1]))
    params.cfg["gridsize"] = 1
    params.cfg["nphotons"] = nphotons
    if object_norm == "patch_max":
        norm = patch_max_norm(obj, coords, N)
    elif object_norm == "none":
        norm = 1.0
    else:
        raise ValueError(f"unknown object_norm {object_norm!r} (patch_max | none)")
    out = {"object": obj, "object_sim": obj / norm, "object_norm": norm, "coords": coords, "probe": probe}
    out["true_coords"] = true_coords
    if diffraction:
        patches = extract_patches(out["object_sim"], true_coords, N)
        out["X"], out["scale"] = diffract(patches, probe, nphotons, rng)
        out["Y"] = patches
    return out


def perturbed_probe(probe: np.ndarray, error: float, seed: int) -> np.ndarray:
    """The probe as a reconstruction believes it: amplitude x (1 + error a), phase + error pi b,
    with a, b smooth random fields (white noise blurred at N/8, unit RMS where the probe is lit)
    drawn from the seed; rescaled to the true probe's energy so the error is one of shape, not
    of gain (model_probe_gain is that axis). error 0 returns the probe unchanged."""
    if error == 0:
        return probe
    N = probe.shape[0]
    rng = np.random.default_rng([seed, 2])
    light = np.abs(probe) ** 2
    lit = light > 0.01 * light.max()

    def field() -> np.ndarray:
        f = gaussian_filter(rng.normal(size=(N, N)), N / 8, mode="wrap")
        return f / np.sqrt(np.mean(f[lit] ** 2))

    amp = np.abs(probe) * np.clip(1 + error * field(), 0, None)
    out = amp * np.exp(1j * (np.angle(probe) + error * np.pi * field()))
    out *= np.sqrt(light.sum() / np.sum(np.abs(out) ** 2))
    return out.astype(np.complex64)


def overlap_fraction(coords: np.ndarray, probe: np.ndarray) -> float:
    """Mean over scan positions of the share of the probe's energy that its nearest neighbour's
    probe also delivers: sum min(I(r), I(r - d)) / sum I, I = |P|^2, d = the displacement to
    the nearest other position (rounded to pixels). 1: same spot; 0: no shared light."""
    from scipy.spatial import cKDTree

    coords = np.asarray(coords, np.float64)
    if len(coords) < 2:
        return 0.0
    _, nn = cKDTree(coords).query(coords, k=2)
    d = np.round(coords[nn[:, 1]] - coords).astype(int)
    light = np.abs(np.asarray(probe, np.complex128)) ** 2
    N, total, shared = light.shape[0], light.sum(), {}
    for dr, dc in {(int(a), int(b)) for a, b in d}:
        if abs(dr) >= N or abs(dc) >= N:
            shared[dr, dc] = 0.0
            continue
        moved = np.zeros_like(light)
        moved[max(dr, 0) : N + min(dr, 0), max(dc, 0) : N + min(dc, 0)] = light[
            max(-dr, 0) : N + min(-dr, 0), max(-dc, 0) : N + min(-dc, 0)
        ]
        shared[dr, dc] = float(np.minimum(light, moved).sum() / total)
    return float(np.mean([shared[int(a), int(b)] for a, b in d]))
