import numpy as np
import pytest

from ptycho import quality, sim


def _pair(noise=0.3, seed=0):
    truth = sim.lines_object(64, np.random.default_rng(seed)).astype(np.complex128)
    pred = truth + np.random.default_rng(seed + 1).normal(0, noise, truth.shape)
    return pred, truth


def test_ssim_is_one_for_a_perfect_match_and_falls_with_noise():
    _, truth = _pair()
    amp = np.abs(truth)
    rng = amp.max() - amp.min()
    assert quality.ssim(amp, amp, rng) == pytest.approx(1.0)
    noisy = [quality.ssim(amp, amp + np.random.default_rng(2).normal(0, s, amp.shape), rng) for s in (0.05, 0.3, 1.0)]
    assert 1 > noisy[0] > noisy[1] > noisy[2]


def test_ssim_matches_the_published_formula_on_one_window():
    # a 7 x 7 image: the map without its 3 px border is the centre pixel, whose window is the
    # whole image, so SSIM is the global formula with the sample (N - 1) covariance
    rng = np.random.default_rng(3)
    x, y = rng.random((7, 7)), rng.random((7, 7))
    mx, my = x.mean(), y.mean()
    cxy = np.sum((x - mx) * (y - my)) / 48
    c1, c2 = 0.01**2, 0.03**2
    expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (x.var(ddof=1) + y.var(ddof=1) + c2))
    assert quality.ssim(x, y, 1.0) == pytest.approx(expected)
    with pytest.raises(ValueError, match="each side >= 7"):
        quality.ssim(x[:5], y[:5], 1.0)


def test_psnr_uses_the_255_peak_and_frc50_finds_the_resolution():
    a = np.zeros((10, 10))
    assert quality.psnr(a, a + 0.1) == pytest.approx(10 * np.log10(255**2 / 0.01))
    _, truth = _pair(noise=0.0)
    amp = np.abs(truth)
    assert quality.frc50(amp, amp) == 32  # never below 0.5: the number of rings
    from scipy.ndimage import gaussian_filter

    sharp, blurred = quality.frc50(amp, gaussian_filter(amp, 1)), quality.frc50(amp, gaussian_filter(amp, 3))
    assert 0 < blurred < sharp <= 32


def test_original_metrics_rescale_the_amplitude_and_remove_a_phase_plane():
    pred, truth = _pair(noise=0.05)
    rows, cols = np.indices(truth.shape)
    tilted = 0.25 * pred * np.exp(1j * (0.01 * rows - 0.02 * cols + 0.3))  # gain and phase ramp
    a, b = quality.original_metrics(pred, truth), quality.original_metrics(tilted, truth)
    for k in ("ssim_amp", "psnr_amp", "mae_amp_normalised", "frc50_amp"):
        assert a[k] == pytest.approx(b[k], rel=1e-6), k
    assert b["ssim_phase"] > 0.9 and b["eval_filled_fraction"] == 0
    holes = pred.copy()
    holes[:4] = np.nan
    assert quality.original_metrics(holes, truth)["eval_filled_fraction"] == pytest.approx(4 / 64)
    with pytest.raises(ValueError, match="one shape"):
        quality.original_metrics(pred[:10], truth)
