import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from ptycho import metrics, refine, sim


def _data(kind="custom"):
    probe = sim.make_probe(16, kind, 4.0 if kind == "custom" else 10.0, kind == "ideal")
    d = sim.simulate_lines(80, 16, 300, probe, 1e9, 2, seed=1, object_norm="none")
    return d, probe


@pytest.mark.parametrize("kind", ["ideal", "custom"])
def test_refinement_recovers_detail_a_blurred_start_lacks(kind):
    d, probe = _data(kind)
    truth = d["object_sim"]
    start = gaussian_filter(np.abs(truth), 3).astype(np.complex128)
    out = refine.refine(start, d["X"], d["coords"], probe, iterations=15)
    lit = np.isfinite(out["image"])
    before = metrics.pearson_r(np.abs(start[lit]), np.abs(truth[lit]))
    after = metrics.pearson_r(np.abs(out["image"][lit]), np.abs(truth[lit]))
    assert after > 0.99 > before
    assert out["fourier_error_after"] < 0.01 * out["fourier_error_before"]
    # the data fix the absolute scale: no gauge left for a calibrated probe
    assert metrics.least_squares_scalar(np.abs(out["image"][lit]), np.abs(truth[lit])) == pytest.approx(1, abs=0.01)


def test_zero_iterations_keeps_the_start_and_unknown_pixels_start_at_the_mean():
    d, probe = _data()
    start = np.full(d["object"].shape, 2.0 + 0j)
    start[:5] = np.nan
    out = refine.refine(start, d["X"], d["coords"], probe, iterations=0)
    lit = np.isfinite(out["image"])
    assert np.allclose(out["image"][lit], 2.0)
    assert out["fourier_error_after"] == out["fourier_error_before"] > 0


def test_positions_outside_the_frame_are_refused():
    d, probe = _data()
    with pytest.raises(ValueError, match="outside the object frame"):
        refine.refine(d["object"], d["X"][:2], np.array([[3.0, 40.0], [40.0, 40.0]]), probe, 1)


def test_flat_start_is_the_constant_object_the_data_imply():
    probe = sim.make_probe(16, "custom", 4.0, False)
    obj = np.full((60, 60), 2.5 + 0j)
    coords = sim.random_scan(60, 16, 40, 2, np.random.default_rng(0))
    waves = sim.extract_patches(obj, coords, 16) * probe
    X = np.fft.fftshift(np.abs(np.fft.fft2(waves)), axes=(1, 2)) / 16  # noise-free data
    start = refine.flat_start(obj.shape, X, probe)
    assert start.shape == obj.shape and np.allclose(start, 2.5)
    assert refine.fourier_error(start, X, coords, probe) < 1e-12  # float32 probe round-off


def test_illumination_is_the_refinement_weight_map():
    d, probe = _data()
    light = refine.illumination(d["coords"], probe, d["object"].shape)
    out = refine.refine(d["object"], d["X"], d["coords"], probe, 0)
    assert np.array_equal(light, out["weight"])
