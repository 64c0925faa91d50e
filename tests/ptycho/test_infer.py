import numpy as np

from investigate.ptycho import infer, params, sim


def test_canvas_formulas():
    pos = np.array([[42.0, 50.0], [350.0, 382.0]])
    assert infer.required_canvas(pos, 64) == 64 + 2 * 382
    assert infer.required_canvas(np.array([[10.5, 0.0]]), 64) == 86  # ceil(85) made even
    params.cfg.update({"N": 64, "gridsize": 2, "offset": 4, "max_position_jitter": 10})
    assert infer.legacy_padded_size() == 78
    j = infer.jitter_for(828, 64, 2, 4, 10)
    params.cfg["max_position_jitter"] = j
    assert infer.legacy_padded_size() == 828


def _truth_patches():
    rng = np.random.default_rng(0)
    obj = sim.lines_object(96, rng)
    coords = sim.random_scan(96, 16, 200, 2, rng)
    return obj, coords, sim.extract_patches(obj, coords, 16)


def test_stitching_truth_recovers_object_exactly():
    obj, coords, patches = _truth_patches()
    out = infer.reassemble(patches, coords, 96, 8, infer.required_canvas(coords, 16))
    covered = out["count"] > 0
    assert covered.mean() > 0.5 and out["signal_lost_fraction"] == 0
    np.testing.assert_allclose(out["image"][covered], obj[covered], rtol=1e-6)
    assert np.isnan(out["image"][~covered]).all()


def test_legacy_canvas_loses_signal_and_epsilon_mode():
    obj, coords, patches = _truth_patches()
    small = infer.reassemble(patches, coords, 96, 8, 16 + 10)
    assert small["signal_lost_fraction"] > 0.9
    eps = infer.reassemble(patches, coords, 96, 8, infer.required_canvas(coords, 16), "epsilon")
    assert np.isfinite(eps["image"]).all()
    assert (eps["image"][eps["count"] == 0] == 0).all()  # uncovered pixels become fake zeros
