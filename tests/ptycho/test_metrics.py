import numpy as np

from ptycho import metrics


def test_scale_free_and_scale_sensitive_metrics():
    t = np.random.default_rng(0).random(100) + 1
    s = metrics.amplitude_stats(t / 4, t)
    assert abs(s["pearson_r"] - 1) < 1e-12 and abs(s["least_squares_scalar"] - 4) < 1e-9
    assert metrics.least_squares_scalar(np.zeros(5), np.ones(5)) is None
    p = t.copy()
    p[:10] = np.nan  # non-finite pixels are ignored, not propagated
    assert metrics.amplitude_stats(p, t)["n_pixels"] == 90
    assert metrics.amplitude_stats(np.full(3, np.nan), np.ones(3))["pearson_r"] is None


def test_phase_rmse_rewraps_after_removing_a_global_offset_near_pi():
    rng = np.random.default_rng(1)
    truth = rng.uniform(-0.5, 0.5, 1000)
    err = 3e-4 * rng.standard_normal(1000)
    for c in (np.pi - 1e-3, np.pi, -np.pi + 1e-3, 3.0):
        pred = np.angle(np.exp(1j * (truth + c + err)))  # the reconstruction times exp(i c)
        assert metrics.phase_stats(pred, truth)["phase_rmse"] < 1e-3, c


def test_lit_mask_is_a_fraction_of_the_peak_illumination():
    light = np.array([0.0, 0.005, 0.02, 1.0])
    assert metrics.lit_mask(light).tolist() == [False, False, True, True]
    assert metrics.lit_mask(light, fraction=0.001).tolist() == [False, True, True, True]
