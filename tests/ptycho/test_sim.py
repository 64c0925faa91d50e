import numpy as np

from ptycho import sim


def test_probe_normalisation():
    for kind, scale in (("ideal", 10.0), ("custom", 4.0)):
        p = sim.make_probe(32, kind, scale, mask=kind == "ideal")
        inner = sim._radius(32) <= 8
        assert p.shape == (32, 32) and p.dtype == np.complex64
        np.testing.assert_allclose(np.abs(p[inner]).mean(), 1 / scale, rtol=1e-5)
    custom = sim.custom_probe(32)
    assert np.ptp(np.angle(custom[sim._radius(32) <= 4])) > 0.5  # aberrated: phase not flat


def test_lines_object_amplitude():
    obj = sim.lines_object(128, np.random.default_rng(1))
    assert obj.shape == (128, 128) and np.all(np.angle(obj) == 0)
    assert 2.0 < np.abs(obj).mean() < 4.0


def test_poisson_scaling_puts_nphotons_in_each_pattern():
    rng = np.random.default_rng(0)
    obj = sim.lines_object(64, rng)
    probe = sim.make_probe(16, "ideal", 10, True)
    coords = sim.random_scan(64, 16, 50, 2, rng)
    patches = sim.extract_patches(obj, coords, 16)
    X, s = sim.diffract(patches, probe, 1e6, rng)
    counts = (X * s) ** 2
    assert np.allclose(counts, np.round(counts), atol=1e-2 * s**0)  # integers: Poisson draws
    np.testing.assert_allclose(counts.sum(axis=(1, 2)).mean(), 1e6, rtol=0.02)


def test_scan_split_and_determinism():
    a = sim.simulate_lines(96, 16, 30, sim.make_probe(16, "ideal", 10, True), 1e6, 4, seed=3)
    b = sim.simulate_lines(96, 16, 30, sim.make_probe(16, "ideal", 10, True), 1e6, 4, seed=3)
    np.testing.assert_array_equal(a["X"], b["X"])
    assert a["coords"].min() >= 12 and a["coords"].max() <= 84
    train, test = sim.y_split(a["coords"])
    assert len(train) == 15 and a["coords"][train, 0].max() <= a["coords"][test, 0].min()
    np.testing.assert_allclose(np.abs(a["object_sim"]) * a["object_norm"], np.abs(a["object"]), rtol=1e-5)


def test_object_gain_scales_the_raw_object_only():
    probe = sim.make_probe(16, "ideal", 10.0, True)
    one = sim.simulate_lines(64, 16, 20, probe, 1e6, 2, seed=3)
    two = sim.simulate_lines(64, 16, 20, probe, 1e6, 2, seed=3, object_gain=2.0)
    np.testing.assert_allclose(two["object"], 2 * one["object"], rtol=1e-6)
    np.testing.assert_array_equal(two["X"], one["X"])  # patch-max normalisation undoes the gain
