import numpy as np
import pytest

from ptycho import classical, metrics, refine, sim

N = 16


def _data(nphotons=1e9, n=100, step=8.0, seed=1):
    """A raster at half the probe width apart: overlap low enough that plain error reduction
    stagnates, high enough that the standard algorithms can still tie the patterns together."""
    probe = sim.make_probe(N, "ideal", 10.0, True)
    size = sim.grid_scan(n, N, 2, step)[0]
    d = sim.simulate_lines(size, N, n, probe, nphotons, 2, seed=seed, object_norm="none", scan_step=step)
    lit = metrics.lit_mask(refine.illumination(d["coords"], probe, d["object"].shape))
    return d, probe, lit


def _r(image, truth, lit):
    return metrics.pearson_r(np.abs(image[lit]), np.abs(truth[lit]))


def _fourier_error(image, d, probe):
    return refine.fourier_error(np.where(np.isfinite(image), image, 0), d["X"], d["coords"], probe)


@pytest.mark.parametrize("method", classical.METHODS)
def test_standard_algorithms_beat_the_energy_estimate_at_high_dose(method):
    d, probe, lit = _data()
    truth = d["object"]
    energy = classical.energy_estimate(d["X"], d["coords"], probe, truth.shape)
    out = classical.reconstruct(d["X"], d["coords"], probe, truth.shape, classical.Settings(method=method))
    assert out["fourier_error"] < 0.05 * _fourier_error(energy, d, probe)
    assert _r(out["image"], truth, lit) > _r(energy, truth, lit) + 0.015
    # no truth decided the iteration count, and it is one the run actually reached
    assert 1 <= out["iterations_chosen"] <= out["iterations_run"] <= 100


@pytest.mark.parametrize("method", ["rpie", "dm"])
def test_rpie_and_difference_map_beat_error_reduction_at_equal_iterations(method):
    d, probe, lit = _data()
    truth = d["object"]
    er = refine.refine(refine.flat_start(truth.shape, d["X"], probe), d["X"], d["coords"], probe, 100)
    out = classical.reconstruct(d["X"], d["coords"], probe, truth.shape, classical.Settings(method=method))
    assert _r(out["image"], truth, lit) > _r(er["image"], truth, lit) + 0.005


@pytest.mark.parametrize("mode", ["pixels", "patterns"])
def test_heldout_error_stops_early_at_low_dose(mode):
    d, probe, _ = _data(nphotons=1e3, step=4.0)
    s = classical.Settings(method="epie", max_iterations=200, patience=5, holdout_mode=mode)
    out = classical.reconstruct(d["X"], d["coords"], probe, d["object"].shape, s)
    errors = out["heldout_error"]
    # noise fitting sets in: the held-out error turns up, and the reported iterate is its minimum
    assert out["iterations_run"] == out["iterations_chosen"] + 5 < 200
    assert errors[out["iterations_chosen"]] == min(errors)
    assert out["n_heldout"] > 0


@pytest.mark.parametrize("method", classical.METHODS)
def test_probe_refinement_improves_a_wrong_initial_probe(method):
    d, probe, lit = _data(n=64, step=6.0)
    truth, wrong = d["object"], sim.perturbed_probe(probe, 0.15, 0)
    fixed = classical.reconstruct(d["X"], d["coords"], wrong, truth.shape, classical.Settings(method=method))
    s = classical.Settings(method=method, refine_probe=True)
    moved = classical.reconstruct(d["X"], d["coords"], wrong, truth.shape, s)
    assert moved["fourier_error"] < 0.5 * fixed["fourier_error"]
    assert _r(moved["image"], truth, lit) > _r(fixed["image"], truth, lit) + 0.02
    # the refined probe is closer to the true one (up to the object-probe gain and phase gauge)
    gain = np.vdot(moved["probe"], probe) / np.vdot(moved["probe"], moved["probe"])
    assert np.linalg.norm(gain * moved["probe"] - probe) < np.linalg.norm(wrong - probe)


def test_energy_estimate_is_each_patterns_constant_and_matches_flat_start_on_a_flat_object():
    probe = sim.make_probe(N, "custom", 4.0, False)
    obj = np.full((48, 48), 1.7 + 0j)
    coords = sim.random_scan(48, N, 30, 2, np.random.default_rng(0))
    X = np.fft.fftshift(np.abs(np.fft.fft2(sim.extract_patches(obj, coords, N) * probe)), axes=(1, 2)) / N
    energy = classical.energy_estimate(X, coords, probe, obj.shape)
    lit = np.isfinite(energy)
    assert lit.any() and not lit.all()  # NaN where no light fell
    assert np.allclose(energy[lit], 1.7, rtol=1e-5)
    assert np.allclose(refine.flat_start(obj.shape, X, probe), 1.7, rtol=1e-5)


def test_bad_settings_are_refused():
    d, probe, _ = _data(n=16)
    shape = d["object"].shape
    with pytest.raises(ValueError, match="unknown classical method 'pie'"):
        classical.reconstruct(d["X"], d["coords"], probe, shape, classical.Settings(method="pie"))
    with pytest.raises(ValueError, match="holdout_mode"):
        classical.reconstruct(d["X"], d["coords"], probe, shape, classical.Settings(holdout_mode="rows"))
    with pytest.raises(ValueError, match="outside the object frame"):
        classical.reconstruct(d["X"], d["coords"] + 100, probe, shape, classical.Settings())


def test_poisson_deviance_is_zero_at_the_data_positive_elsewhere_and_scale_free():
    rng = np.random.default_rng(0)
    x = np.sqrt(rng.poisson(0.5, 400)).astype(float)
    m = np.sqrt(rng.uniform(0.1, 1.0, 400))
    assert classical.poisson_deviance(x, x) == pytest.approx(0.0, abs=1e-12)
    assert classical.poisson_deviance(m, x) > 0
    assert classical.poisson_deviance(3 * m, 3 * x) == pytest.approx(classical.poisson_deviance(m, x))
    # the rate that maximises the likelihood of counts x^2 is their mean, not the mean amplitude squared
    mean_rate, amp_fit = np.sqrt(np.mean(x**2)), np.mean(x)
    assert classical.poisson_deviance(np.full(400, mean_rate), x) < classical.poisson_deviance(np.full(400, amp_fit), x)
