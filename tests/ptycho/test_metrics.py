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
